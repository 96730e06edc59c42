// The spec editor (New project page, a project's Settings tab): line numbers beside the
// YAML, the check's problems marked in them (a problem's "Line N" selects that line), and
// the preview: the labeling page's own widgets for the sample item the check sent back.
// The preview's form cannot submit; nothing is leased, saved or sent anywhere. The check
// is this module's too: it posts the editor's form to the check URL (spec_parts.html) after
// a pause in typing, and shows an answer only for the text the editor holds (see "the check").
import * as boxes from "./widgets/boxes.js";
import * as choice from "./widgets/choice.js";
import * as multiChoice from "./widgets/multi_choice.js";
import * as pairwise from "./widgets/pairwise.js";
import * as rating from "./widgets/rating.js";
import * as segments from "./widgets/segments.js";
import * as spans from "./widgets/spans.js";
import * as text from "./widgets/text.js";

const { h } = choice;
const WIDGETS = { choice, multi_choice: multiChoice, spans, boxes, segments, pairwise, rating, text };
// Widgets that show their payload themselves: the labeling page leaves their sources out of the item card.
const RICH = new Set(["spans", "boxes", "segments", "pairwise"]);

const source = document.getElementById("spec-text");
const gutter = document.querySelector("[data-testid=gutter]");
const checkBox = document.getElementById("spec-check");
const previewForm = document.getElementById("spec-preview");
const stale = document.getElementById("preview-stale");
const sampleBox = document.querySelector("[data-testid=sample-editor]");
const checkUrl = source.dataset.checkUrl;
// The check waits for this pause in typing before asking the server.
const CHECK_DELAY_MS = 400;
let entries = [];
let shownConfig = null;
let lastPayload = {};

// ---- line numbers ---------------------------------------------------------------------

function numberLines() {
  const count = source.value.split("\n").length;
  const spans = gutter.children;
  while (spans.length < count) gutter.append(h("span", { text: String(spans.length + 1) }), "\n");
  while (spans.length > count) { gutter.lastChild.remove(); gutter.lastChild.remove(); }
  gutter.scrollTop = source.scrollTop;
}

function markProblems() {
  const bad = new Set([...checkBox.querySelectorAll("[data-line]")].map((el) => Number(el.dataset.line)));
  [...gutter.children].forEach((span, i) => span.classList.toggle("bad", bad.has(i + 1)));
}

/** Select line `n` of the spec (1-based) and bring it into view. */
function goToLine(n) {
  const lines = source.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((sum, line) => sum + line.length + 1, 0);
  source.focus();
  source.setSelectionRange(start, start + (lines[n - 1] || "").length);
  const lineHeight = source.scrollHeight / Math.max(lines.length, 1);
  source.scrollTop = Math.max(0, (n - 3) * lineHeight);
  gutter.scrollTop = source.scrollTop;
}

// ---- the preview ------------------------------------------------------------------------

function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (error) { return null; }
}

function mediaKind(url) {
  const name = url.toLowerCase().split(/[?#]/)[0];
  if (/\.(png|jpe?g|gif|webp|bmp|avif|svg)$/.test(name)) return "image";
  if (/\.(wav|mp3|ogg|oga|flac|m4a|aac|opus)$/.test(name)) return "audio";
  if (/\.(mp4|webm|ogv|mov|m4v)$/.test(name)) return "video";
  return "file";
}

function renderSource(key, raw, url) {
  const block = h("div", { class: "lw-source", testid: "preview-source", "data-key": key }, h("div", { class: "lw-source-key", text: key }));
  const kind = url ? mediaKind(url) : null;
  if (kind === "image") block.append(h("img", { src: url, alt: `${key} image`, class: "lw-item-image" }));
  else if (kind === "audio" || kind === "video") block.append(h(kind, { src: url, controls: true, preload: "metadata" }));
  else if (url) block.append(h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: `Open ${key}` }));
  else if (typeof raw === "string") block.append(h("div", { class: "lw-text-block", text: raw }));
  else block.append(h("pre", { class: "payload", text: JSON.stringify(raw, null, 2) }));
  return block;
}

// A field shows when its condition holds on the answers above it (label_answer.js's rule).
function holds(when, value) {
  const actual = value[when.field];
  const expected = when.equals !== undefined && when.equals !== null ? [when.equals] : when.in || [];
  const same = (x) => (typeof x === "string" ? expected.map(String).includes(x) : Number.isInteger(x) && expected.includes(x));
  if (Array.isArray(actual)) return actual.some((x) => same(x && typeof x === "object" ? x.label : x));
  if (actual && typeof actual === "object") return same(actual.choice);
  return same(actual);
}

function refresh() {
  const value = {};
  for (const entry of entries) {
    entry.wrap.hidden = Boolean(entry.field.when) && !holds(entry.field.when, value);
    if (entry.wrap.hidden) continue;
    const given = entry.widget.getValue();
    if (given !== null && given !== undefined) value[entry.field.name] = given;
  }
  const out = previewForm.querySelector("[data-testid=preview-value]");
  if (out) out.textContent = JSON.stringify(value, null, 2);
}

function buildField(field, payload, media, status) {
  const kind = WIDGETS[field.kind];
  const wrap = h("section", { class: "lw-field", tabindex: "0", testid: `field-${field.name}`, "data-kind": field.kind, "data-field": field.name },
    h("div", { class: "lw-field-head" },
      h("span", { class: "lw-field-title", text: field.title || field.name }),
      field.required ? h("span", { class: "lw-required", title: "required", text: "*" }) : h("span", { class: "lw-optional", text: "optional" })));
  const ctx = { assignmentId: 0, payload, media, changed: refresh, notify: (message) => { status.textContent = message; }, activity() {} };
  const widget = kind.create(field, ctx);
  wrap.append(widget.root);
  const entry = { field, wrap, widget };
  wrap.addEventListener("focusin", () => {
    for (const other of entries) other.wrap.classList.toggle("lw-active", other === entry);
  });
  wrap.addEventListener("keydown", (event) => {
    const typing = event.target instanceof HTMLElement && ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName);
    if (!typing && widget.handleKey(event)) event.preventDefault();
  });
  return entry;
}

function renderPreview(config) {
  for (const { widget } of entries) { try { widget.destroy(); } catch (error) { /* keep going */ } }
  entries = [];
  lastPayload = config.payload || {};
  const media = {};
  for (const [key, url] of Object.entries(config.media || {})) { const ok = safeUrl(url); if (ok) media[key] = ok; }
  const keys = [];
  for (const field of config.fields) {
    const key = field.source ?? null;
    if (!RICH.has(field.kind) && key !== null && key in lastPayload && !keys.includes(key)) keys.push(key);
  }
  if (!keys.length && !config.fields.some((f) => RICH.has(f.kind))) keys.push(...Object.keys(lastPayload));
  const status = h("p", { class: "lw-status", role: "status", testid: "preview-status" });
  const known = config.fields.filter((field) => WIDGETS[field.kind]);
  const fields = h("div", { class: "lw-fields", testid: "preview-fields" });
  entries = known.map((field) => buildField(field, lastPayload, media, status));
  fields.append(...entries.map((e) => e.wrap));
  const item = keys.length ? h("div", { class: "lw-item card", testid: "preview-item" }, ...keys.map((key) => renderSource(key, lastPayload[key], media[key]))) : "";
  previewForm.replaceChildren(
    h("div", { class: "lw-toolbar" },
      h("div", { class: "lw-title" }, h("b", { text: config.name }), config.description ? h("span", { class: "muted", text: ` ${config.description}` }) : null),
      h("div", { class: "lw-actions" },
        h("button", { type: "button", class: "secondary", disabled: true }, "Skip ", h("kbd", { text: "Ctrl+K" })),
        h("button", { type: "button", disabled: true, testid: "preview-submit", title: "A preview submits nothing" }, "Submit ", h("kbd", { text: "Ctrl+Enter" })))),
    status,
    item,
    fields,
    h("details", { class: "preview-value" }, h("summary", { text: "The annotation this would submit" }), h("pre", { class: "payload", testid: "preview-value" })));
  refresh();
}

function afterCheck() {
  markProblems();
  const found = checkBox.querySelector("#spec-preview-config");
  stale.hidden = Boolean(found) || !shownConfig;
  if (!found || found.textContent === shownConfig) return;
  shownConfig = found.textContent;
  renderPreview(JSON.parse(shownConfig));
}

// ---- the check --------------------------------------------------------------------------
// An answer belongs to the exact text it was asked about (the spec and the sample item), and
// the box shows it only while the editor still holds that text. A change marks the shown
// answer busy, aborts the check in flight and numbers a new one; an answer that comes back
// for an older number, or for text the editor no longer holds, is dropped (and the text the
// editor holds is checked instead). Text typed before this module ran (a slow page), or put
// back by the browser (history), differs from the text the page was rendered for: it is
// checked at once.

const textOf = (spec, sample) => JSON.stringify([spec, sample]);
const editorText = () => textOf(source.value, sampleBox.value);
let answeredText = textOf(source.defaultValue, sampleBox.defaultValue);  // what the box answers
let asked = 0;  // the number of the latest check
let waiting = null;  // the pause before the next check
let inFlight = null;  // the AbortController of the check on its way

function setBusy(busy) {
  checkBox.setAttribute("aria-busy", String(busy));
  gutter.classList.toggle("checking", busy);
}

function scheduleCheck(delay) {
  asked += 1;
  clearTimeout(waiting);
  if (inFlight) inFlight.abort();
  inFlight = null;
  setBusy(true);
  waiting = setTimeout(runCheck, delay);
}

async function runCheck() {
  waiting = null;
  const text = editorText();
  if (text === answeredText) { setBusy(false); return; }  // typed back to the answered text
  const number = asked;
  const controller = new AbortController();
  inFlight = controller;
  let answer;
  try {
    const response = await fetch(checkUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(source.form)),
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: controller.signal,
    });
    answer = { ok: response.ok, status: response.status, html: await response.text() };
  } catch (error) {
    if (controller.signal.aborted) return;
    answer = { ok: false, status: 0, html: "" };
  }
  if (number !== asked) return;  // a newer check is on its way
  inFlight = null;
  if (editorText() !== text) { scheduleCheck(0); return; }  // changed without an input event
  showAnswer(answer, text);
}

function showAnswer(answer, text) {
  if (answer.ok) {
    const parsed = document.createElement("template");
    parsed.innerHTML = answer.html;  // inert: its JSON script is data, never run
    checkBox.replaceChildren(parsed.content);
    answeredText = text;
  } else {
    const why = answer.status ? `the server answered ${answer.status}` : "the server could not be reached";
    checkBox.replaceChildren(h("p", { class: "flash bad", role: "alert", testid: "check-failed",
      text: `The spec could not be checked (${why}). Edit it to try again, or reload the page.` }));
    answeredText = null;  // the next change is checked even if it restores this text
  }
  setBusy(false);
  afterCheck();
}

/** Check the editor's text now when the box does not answer it and no check is coming. */
function checkIfStale() {
  if (waiting === null && inFlight === null && editorText() !== answeredText) scheduleCheck(0);
}

// ---- wiring -----------------------------------------------------------------------------

previewForm.addEventListener("submit", (event) => event.preventDefault());
sampleBox.addEventListener("input", () => scheduleCheck(CHECK_DELAY_MS));
source.addEventListener("input", () => {
  scheduleCheck(CHECK_DELAY_MS);
  numberLines();
  const outdated = document.getElementById("review-stale");
  if (outdated) {
    outdated.hidden = false;
    const apply = document.querySelector("[data-testid=apply-button]");
    if (apply) apply.disabled = true;
  }
});
source.addEventListener("scroll", () => { gutter.scrollTop = source.scrollTop; });
// The numbers keep the editor's height when it is resized (style set from script: the CSP allows it).
new ResizeObserver(() => { gutter.style.height = `${source.offsetHeight}px`; }).observe(source);
checkBox.addEventListener("click", (event) => {
  const jump = event.target instanceof Element ? event.target.closest("button.jump") : null;
  if (jump) goToLine(Number(jump.dataset.line));
});
// The browser may put back text typed before (history navigation) without input events.
window.addEventListener("pageshow", () => { numberLines(); checkIfStale(); });
document.getElementById("fill-sample").addEventListener("click", () => {
  sampleBox.value = JSON.stringify(lastPayload, null, 2);
  sampleBox.dispatchEvent(new Event("input", { bubbles: true }));
});
numberLines();
afterCheck();
checkIfStale();

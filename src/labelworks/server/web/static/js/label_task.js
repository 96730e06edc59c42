// Building a task on the labeling page: the item's sources, one widget per field, restored
// work or model suggestions, the guidelines notice, and the feedback shown after a submit.
import { activate, changed, focusEntry, loadWork, refresh, saveWork, snapshot } from "./label_answer.js";
import { newKey } from "./label_net.js";
import { clock, config, setBusy, setProgress, setTask, showStatus, task, ui } from "./label_session.js";
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
const RICH = new Set(["spans", "boxes", "segments", "pairwise"]);

function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, window.location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (error) { return null; }
}

function mediaKind(url, raw) {
  const name = `${typeof raw === "string" ? raw : ""} ${url}`.toLowerCase().split(/[?#]/)[0];
  const ext = (re) => re.test(name);
  if (ext(/\.(png|jpe?g|gif|webp|bmp|avif)\b/)) return "image";
  if (ext(/\.(wav|mp3|ogg|oga|flac|m4a|aac|opus)\b/)) return "audio";
  if (ext(/\.(mp4|webm|ogv|mov|m4v)\b/)) return "video";
  if (ext(/\.(csv|tsv)\b/)) return "timeseries";
  return "file";
}

function renderSource(key, raw, url) {
  const block = h("div", { class: "lw-source", testid: "item-source", "data-key": key }, h("div", { class: "lw-source-key", text: key }));
  if (url) {
    const kind = mediaKind(url, raw);
    if (kind === "image") block.append(h("img", { src: url, alt: `${key} image`, class: "lw-item-image" }));
    else if (kind === "audio" || kind === "video") block.append(h(kind, { src: url, controls: true, preload: "metadata" }));
    else if (kind === "timeseries") {
      const canvas = h("canvas", { class: "lw-series" });
      block.append(canvas);
      fetch(segments.fetchable(url), { credentials: "same-origin" }).then((r) => r.text()).then((body) => {
        const series = segments.parseSeriesCsv(body);
        const g = canvas.getContext("2d");
        canvas.width = canvas.clientWidth || 600;
        canvas.height = 160;
        const end = series.times[series.times.length - 1] || 1;
        segments.drawSeries(g, series, { x0: 0, width: canvas.width, y0: 0, height: 160, start: series.times[0] || 0, end });
      }).catch(() => block.append(h("p", { class: "error", text: "Could not load the series." })));
    } else block.append(h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: `Open ${key}` }));
  } else if (typeof raw === "string") block.append(h("div", { class: "lw-text-block", text: raw }));
  else block.append(h("pre", { class: "payload", text: JSON.stringify(raw, null, 2) }));
  return block;
}

/** Show the payload keys the widgets do not display themselves (each once). */
function renderItem(item, media) {
  const payload = item.payload || {};
  const keys = [];
  for (const field of config.fields) {
    const source = field.source ?? null;
    if (!RICH.has(field.kind) && source !== null && source in payload && !keys.includes(source)) keys.push(source);
  }
  if (!keys.length && !config.fields.some((f) => RICH.has(f.kind))) keys.push(...Object.keys(payload));
  // The project's privacy policy: what kinds of personal data this item holds (never the values).
  const note = item.pii_note ? [h("p", { class: "flash bad", role: "note", testid: "pii-note", text: item.pii_note })] : [];
  ui.item.replaceChildren(...note, ...keys.map((key) => renderSource(key, payload[key], media[key])));
  ui.item.hidden = keys.length === 0 && note.length === 0;
}

// The minimum-count setting of each kind of field whose answer is a list of marks.
export const MARKS = { spans: "min_spans", boxes: "min_boxes", segments: "min_segments" };

function buildField(field, data, media) {
  const kind = WIDGETS[field.kind];
  const badge = h("span", { class: "lw-badge lw-suggest-badge", testid: "suggestion-badge", hidden: true }, "suggestion");
  const title = h("div", { class: "lw-field-head" },
    h("span", { class: "lw-field-title", text: field.title || field.name }),
    field.required ? h("span", { class: "lw-required", title: "required", text: "*" }) : h("span", { class: "lw-optional", text: "optional" }),
    badge);
  const wrap = h("section", { class: "lw-field", tabindex: "0", testid: `field-${field.name}`, "data-kind": field.kind, "data-field": field.name }, title);
  const entry = { field, wrap, badge, widget: null };
  const ctx = {
    assignmentId: data.assignment_id, payload: data.item.payload || {}, media,
    changed, notify: (message, level) => showStatus(message, level), activity: () => clock.touch(),
  };
  entry.widget = kind
    ? kind.create(field, ctx)
    : { root: h("p", { class: "error", text: `Unknown field kind ${field.kind}` }), getState: () => null, setState() {}, getValue: () => null, prefill() {}, isSuggested: () => false, handleKey: () => false, focus() {}, destroy() {} };
  wrap.append(entry.widget.root);
  // A required spans, boxes or segments field submitted empty must say so on purpose.
  if (field.required && MARKS[field.kind] !== undefined && !(field[MARKS[field.kind]] > 0)) {
    entry.nothing = h("input", { type: "checkbox", testid: `nothing-${field.name}` });
    wrap.append(h("label", { class: "lw-nothing" }, entry.nothing, " Nothing to mark in this item"));
  }
  wrap.addEventListener("focusin", () => activate(entry));
  wrap.addEventListener("mousedown", (event) => {
    activate(entry);
    // Canvas widgets cancel mousedown (to draw), which also cancels the default focus.
    if (event.defaultPrevented && !wrap.contains(document.activeElement)) wrap.focus({ preventScroll: true });
  });
  wrap.addEventListener("lw-refocus", () => wrap.focus({ preventScroll: true }));
  return entry;
}

function checkGuidelines(version) {
  if (version === null || version === undefined) return;
  const key = `lw:guidelines:${config.project}`;
  let seen = null;
  try { seen = localStorage.getItem(key); localStorage.setItem(key, String(version)); } catch (error) { /* ignore */ }
  if (seen === null) { if (ui.guidelines) ui.guidelines.open = true; return; }
  if (seen === String(version)) return;
  const stale = version !== config.guideline_version;
  ui.banner.replaceChildren(`Guidelines updated to v${version}.`,
    stale ? h("a", { href: window.location.pathname, text: " Reload the page to read them." }) : " Please read them (opened on the right).",
    h("button", { type: "button", class: "secondary lw-inline", on: { click: () => { ui.banner.hidden = true; } } }, "Dismiss"));
  ui.banner.hidden = false;
  if (ui.guidelines) ui.guidelines.open = true;
}

// Training projects answer each submit with the expert's answer and why.
function shown(value) {
  if (Array.isArray(value)) return value.map(shown).join(", ");
  return value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function verdict(feedback) {
  const expert = Object.entries(feedback.expert || {}).map(([name, value]) => `${name}: ${shown(value)}`).join("; ");
  return h("span", { class: "lw-verdict", testid: "verdict" },
    h("strong", { text: feedback.correct ? "Right." : "Not quite." }), ` The expert's answer: ${expert}.`,
    feedback.explanation ? h("span", { class: "lw-why", text: ` ${feedback.explanation}` }) : null);
}

export function teardown() {
  if (!task) return;
  for (const { widget } of task.entries) { try { widget.destroy(); } catch (error) { /* keep going */ } }
  ui.fields.replaceChildren();
  ui.item.replaceChildren();
  setTask(null);
}

export function startTask(data) {
  const media = {};
  for (const [key, url] of Object.entries(data.item.media || {})) { const ok = safeUrl(url); if (ok) media[key] = ok; }
  const saved = loadWork(data.assignment_id);
  setTask({
    assignmentId: data.assignment_id, expiresAt: data.expires_at,
    guidelineVersion: data.guideline_version ?? null, key: saved?.key || newKey(), entries: [],
    history: [], future: [], busy: false, active: null, lastCoalesce: null, lastChange: 0, suggestions: {},
  });
  setProgress(data.progress);
  checkGuidelines(task.guidelineVersion);
  renderItem(data.item, media);
  task.entries = config.fields.map((field) => buildField(field, data, media));
  ui.fields.replaceChildren(...task.entries.map((e) => e.wrap));
  if (saved && saved.states) {
    for (const { field, widget } of task.entries) if (saved.states[field.name] !== undefined) widget.setState(saved.states[field.name]);
  } else {
    const ranked = [...(data.item.pre_annotations || [])].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity));
    for (const entry of task.entries) {
      const source = ranked.find((p) => p && p.value && p.value[entry.field.name] !== undefined && p.value[entry.field.name] !== null);
      if (!source) continue;
      entry.widget.prefill(source.value[entry.field.name]);
      task.suggestions[entry.field.name] = source.model ?? null;
      entry.badge.textContent = `suggestion${source.model ? ` from ${source.model}` : ""}${source.score != null ? ` (${Number(source.score).toFixed(2)})` : ""}: edit or confirm`;
    }
  }
  task.history = [snapshot()];
  clock.start(saved?.seconds || 0);
  saveWork();
  refresh();
  const expires = data.expires_at ? new Date(data.expires_at) : null;
  const parts = [];
  // A qualification test or training says so; ordinary work (gold included) says nothing.
  const note = data.progress?.note;
  if (note) parts.push(h("span", { class: "lw-note", testid: "task-note", text: note.charAt(0).toUpperCase() + note.slice(1) }));
  if (expires && !Number.isNaN(expires.getTime())) parts.push(`${parts.length ? "reserved" : "Reserved"} for you until ${expires.toLocaleTimeString()}`);
  if (saved) parts.push(parts.length ? "restored your unsaved work" : "Restored your unsaved work");
  ui.meta.replaceChildren(...parts.flatMap((part, i) => (i ? [" · ", part] : [part])));
  ui.task.hidden = false;
  ui.done.hidden = true;
  const first = task.entries.find((e) => !e.wrap.hidden) || null;
  activate(first);
  if (first) focusEntry(first);
  setBusy(false);
}

// The labeling page controller: leases tasks, builds one widget per field, routes keys,
// keeps per-task undo history and active time, and submits without reloading the page.
// Work in progress lives in localStorage under its assignment id until the server has it.
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
const COALESCE_MS = 1500;
const RETRY_MAX_MS = 15000;
const WORK_TTL_MS = 7 * 24 * 3600 * 1000;

const config = JSON.parse(document.getElementById("label-config").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") || "";
const byId = (id) => document.getElementById(id);
const ui = {
  item: byId("lw-item"), fields: byId("lw-fields"), status: byId("lw-status"), submit: byId("lw-submit"),
  skip: byId("lw-skip"), undo: byId("lw-undo"), banner: byId("lw-banner"), done: byId("lw-done"),
  task: byId("lw-task"), doneToday: byId("lw-done-today"), remaining: byId("lw-remaining"),
  guidelines: byId("lw-guidelines"), dialog: byId("lw-skip-dialog"), reason: byId("lw-skip-reason"),
  timer: byId("lw-timer"), meta: byId("lw-item-meta"),
};
// Flagging an item for an expert (ambiguous, or an edge case) with a skip or a submit.
const flagUi = { button: byId("lw-flag"), dialog: byId("lw-flag-dialog"), comment: byId("lw-flag-comment") };

/** Active time: gaps between key/mouse activity count only when shorter than the idle limit. */
class ActiveClock {
  constructor(idleSeconds) { this.idleMs = idleSeconds * 1000; this.start(0); }
  start(priorSeconds) { this.active = priorSeconds * 1000; this.last = performance.now(); }
  touch() {
    const t = performance.now();
    const gap = t - this.last;
    if (gap <= this.idleMs) this.active += gap;
    this.last = t;
  }
  peek() { return this.active / 1000; }
}

const clock = new ActiveClock(config.idle_seconds ?? 60);
let task = null;
let progress = { ...(config.progress || { done_today: 0, remaining: 0 }) };
let lastStatus = { text: "", kind: "" };
let allDone = false;
let waiting = null;
let lastResult = null;

function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; plain-http LAN installs fall back to a v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function showStatus(message, kind = "info", action = null) {
  lastStatus = { text: typeof message === "string" ? message : message.textContent, kind };
  ui.status.replaceChildren(message);
  ui.status.dataset.kind = kind;
  if (action) ui.status.append(" ", h("button", { type: "button", class: "secondary lw-inline", testid: "status-action", on: { click: action.run } }, action.label));
}

// ---- server calls ---------------------------------------------------------------------

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
  });
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

/** Repeat `call` through network errors and 5xx/429 answers, with backoff; Retry now skips the wait. */
async function withRetry(call, what) {
  for (let attempt = 0; ; attempt += 1) {
    let failure;
    try {
      const result = await call();
      if (result.status < 500 && result.status !== 429) return result;
      failure = result.data?.message || `server error ${result.status}`;
    } catch (error) {
      failure = "network error";
    }
    const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt);
    showStatus(`Problem while ${what} (${failure}). Your work is kept in this page; retrying in ${Math.round(delay / 1000)} s.`,
      "error", { label: "Retry now", run: retryNow });
    await new Promise((resolve) => { waiting = resolve; setTimeout(resolve, delay); });
    waiting = null;
  }
}
function retryNow() { if (waiting) waiting(); }

const problemOf = (result) => result.data?.message || `The server answered ${result.status}.`;

// ---- local copies of work -------------------------------------------------------------

const workKey = (id) => `lw:work:${id}`;
function saveWork() {
  if (!task) return;
  try {
    localStorage.setItem(workKey(task.assignmentId), JSON.stringify({
      project: config.project, key: task.key, states: snapshot(), seconds: clock.peek(), saved: Date.now(),
    }));
  } catch (error) { /* storage full or disabled: the page still holds the work */ }
}
function loadWork(id) {
  try { return JSON.parse(localStorage.getItem(workKey(id)) || "null"); } catch (error) { return null; }
}
function forgetWork(id) { try { localStorage.removeItem(workKey(id)); } catch (error) { /* ignore */ } }
function pruneWork() {
  try {
    for (let i = localStorage.length - 1; i >= 0; i -= 1) {
      const key = localStorage.key(i);
      if (!key || !key.startsWith("lw:work:")) continue;
      const saved = JSON.parse(localStorage.getItem(key) || "{}").saved || 0;
      if (Date.now() - saved > WORK_TTL_MS) localStorage.removeItem(key);
    }
  } catch (error) { /* ignore */ }
}

// ---- values, conditions, history ------------------------------------------------------

function conditionHolds(when, value) {
  const actual = value[when.field];
  const expected = (when.equals !== undefined && when.equals !== null ? [when.equals] : when.in || []);
  const same = (x) => (typeof x === "string" ? expected.map(String).includes(x) : Number.isInteger(x) && expected.includes(x));
  if (Array.isArray(actual)) return actual.some((x) => same(x && typeof x === "object" ? x.label : x));
  if (actual && typeof actual === "object") return same(actual.choice);
  return same(actual);
}

/** The annotation value (visible fields only) and which fields are visible. */
function collect() {
  const value = {};
  const visible = {};
  for (const { field, widget } of task ? task.entries : []) {
    visible[field.name] = !field.when || conditionHolds(field.when, value);
    if (!visible[field.name]) continue;
    const given = widget.getValue();
    if (given !== null && given !== undefined) value[field.name] = given;
  }
  return { value, visible };
}

const snapshot = () => Object.fromEntries(task.entries.map(({ field, widget }) => [field.name, widget.getState()]));

function refresh() {
  const { visible } = collect();
  for (const entry of task.entries) {
    entry.wrap.hidden = !visible[entry.field.name];
    const suggested = entry.widget.isSuggested();
    entry.badge.hidden = !suggested;
  }
  if (task.active && task.active.wrap.hidden) activate(task.entries.find((e) => !e.wrap.hidden) || null);
  ui.undo.disabled = task.history.length < 2;
}

function changed(coalesce) {
  if (!task) return;
  const snap = snapshot();
  const top = task.history[task.history.length - 1];
  if (JSON.stringify(snap) === JSON.stringify(top)) return;
  const merge = coalesce && task.lastCoalesce === coalesce && Date.now() - task.lastChange < COALESCE_MS && task.history.length > 1;
  if (merge) task.history[task.history.length - 1] = snap; else task.history.push(snap);
  task.lastCoalesce = coalesce || null;
  task.lastChange = Date.now();
  task.future = [];
  // An error about the old answer is stale once the annotator changes it.
  if (lastStatus.kind === "error" && !waiting) showStatus("");
  refresh();
  saveWork();
}

function restore(snap) {
  for (const { field, widget } of task.entries) widget.setState(snap[field.name]);
  refresh();
  saveWork();
}
function undo() {
  if (!task || task.busy) return;
  if (task.history.length < 2) { showStatus("Nothing to undo in this task.", "info"); return; }
  task.future.push(task.history.pop());
  task.lastCoalesce = null;
  restore(task.history[task.history.length - 1]);
}
function redo() {
  if (!task || task.busy || !task.future.length) return;
  const snap = task.future.pop();
  task.history.push(snap);
  restore(snap);
}

// ---- building a task ------------------------------------------------------------------

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
      fetch(url, { credentials: "same-origin" }).then((r) => r.text()).then((body) => {
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
  ui.item.replaceChildren(...keys.map((key) => renderSource(key, payload[key], media[key])));
  ui.item.hidden = keys.length === 0;
}

function activate(entry) {
  if (task && task.active) task.active.wrap.classList.remove("lw-active");
  if (!task) return;
  task.active = entry;
  if (entry) entry.wrap.classList.add("lw-active");
}

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

function verdict(feedback) {
  const expert = Object.entries(feedback.expert || {}).map(([name, value]) => `${name}: ${shown(value)}`).join("; ");
  return h("span", { class: "lw-verdict", testid: "verdict" },
    h("strong", { text: feedback.correct ? "Right." : "Not quite." }), ` The expert's answer: ${expert}.`,
    feedback.explanation ? h("span", { class: "lw-why", text: ` ${feedback.explanation}` }) : null);
}

function setProgress(next) {
  if (next) progress = { ...progress, ...next };
  ui.doneToday.textContent = String(progress.done_today ?? 0);
  ui.remaining.textContent = String(progress.remaining ?? 0);
}

function teardown() {
  if (!task) return;
  for (const { widget } of task.entries) { try { widget.destroy(); } catch (error) { /* keep going */ } }
  ui.fields.replaceChildren();
  ui.item.replaceChildren();
  task = null;
}

function startTask(data) {
  const media = {};
  for (const [key, url] of Object.entries(data.item.media || {})) { const ok = safeUrl(url); if (ok) media[key] = ok; }
  const saved = loadWork(data.assignment_id);
  task = {
    assignmentId: data.assignment_id, expiresAt: data.expires_at,
    guidelineVersion: data.guideline_version ?? null, key: saved?.key || newKey(), entries: [],
    history: [], future: [], busy: false, active: null, lastCoalesce: null, lastChange: 0, suggestions: {},
  };
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

function setBusy(busy) {
  if (task) task.busy = busy;
  ui.submit.disabled = busy || !task;
  ui.skip.disabled = busy || !task;
  flagUi.button.disabled = busy || !task;
  ui.task.classList.toggle("lw-saving", busy);
}

// New guidelines must be read and acknowledged before the next task: the changelog and a
// short diff, then a button that records it.
function showChangedGuidelines(problem) {
  const details = problem.details || {};
  const version = details.version;
  const acknowledge = async () => {
    const url = config.api.acknowledge.replace("{version}", String(version));
    const done = await withRetry(() => post(url, {}), "acknowledging the guidelines");
    if (!done.ok) { showStatus(problemOf(done), "error"); return; }
    try { localStorage.setItem(`lw:guidelines:${config.project}`, String(version)); } catch (error) { /* ignore */ }
    ui.banner.hidden = !stale;
    if (stale) {
      ui.banner.replaceChildren(`The guidelines panel still shows version ${config.guideline_version}. `,
        h("a", { href: window.location.pathname, text: `Reload the page to read version ${version} in full.` }), " ",
        h("button", { type: "button", class: "secondary lw-inline", on: { click: () => { ui.banner.hidden = true; } } }, "Dismiss"));
    }
    await loadNext(`Thanks: guidelines version ${version} acknowledged.`, "ok");
  };
  const stale = version !== config.guideline_version;
  const changelog = (details.changelog || "").trim();
  ui.banner.replaceChildren(
    h("strong", { text: `The guidelines changed (version ${details.acknowledged} → ${version}). ` }),
    changelog ? h("span", { text: `${changelog}${/[.!?]$/.test(changelog) ? "" : "."} ` }) : "",
    h("pre", { class: "lw-diff", "data-testid": "guidelines-diff", text: details.diff || "" }),
    h("button", { type: "button", "data-testid": "acknowledge-button", on: { click: acknowledge } },
      `I have read version ${version}`));
  ui.banner.hidden = false;
  ui.task.hidden = true;
  if (ui.guidelines && !stale) ui.guidelines.open = true;
  showStatus("Read what changed in the guidelines, then continue.", "warn");
  setBusy(true);
}

// ---- flow -----------------------------------------------------------------------------

async function loadNext(message = null, kind = "ok") {
  teardown();
  setBusy(true);
  const result = await withRetry(() => post(config.api.next, {}), "loading the next task");
  if (result.status === 204) {
    allDone = true;
    ui.task.hidden = true;
    ui.done.hidden = false;
    setProgress({ remaining: 0 });
    showStatus(message || "All done: nothing is left for you in this project.", message ? kind : "ok");
    setBusy(true);
    return;
  }
  if (result.status === 409 && result.data?.code === "guidelines_changed") { showChangedGuidelines(result.data); return; }
  if (!result.ok) { showStatus(problemOf(result), "error", { label: "Try again", run: () => loadNext() }); return; }
  allDone = false;
  startTask(result.data);
  showStatus(message || "", message ? kind : "info");
}

function problems(value, visible) {
  const found = [];
  for (const { field, widget } of task.entries) {
    if (!visible[field.name]) continue;
    const name = field.title || field.name;
    const given = value[field.name];
    if (field.required && (given === undefined || given === null)) found.push([field, `"${name}" needs an answer`]);
    else if (field.kind === "multi_choice" && Array.isArray(given) && given.length < (field.min_selections || 0)) {
      found.push([field, `"${name}": select at least ${field.min_selections} labels`]);
    } else if (given !== undefined && widget.problem && widget.problem()) found.push([field, `"${name}" ${widget.problem()}`]);
  }
  return found;
}

async function submit(flag = null) {
  if (waiting) { retryNow(); return; }
  if (!task || task.busy) return;
  const { value, visible } = collect();
  const wrong = problems(value, visible);
  if (wrong.length) {
    showStatus(`${wrong.map(([, m]) => m).join("; ")}.`, "error");
    const entry = task.entries.find((e) => e.field === wrong[0][0]);
    focusEntry(entry);
    return;
  }
  clock.touch();
  const body = { value, seconds: Math.round(clock.peek() * 1000) / 1000, idempotency_key: task.key };
  if (flag) body.flag = flag;
  const { assignmentId } = task;
  saveWork();
  setBusy(true);
  showStatus("Saving…", "info");
  const result = await withRetry(() => post(config.api.submit.replace("{id}", assignmentId), body), "saving your annotation");
  const code = result.data?.code;
  if (result.ok) {
    lastResult = result.data;
    forgetWork(assignmentId);
    progress.done_today = (progress.done_today ?? 0) + 1;
    const feedback = result.data?.feedback;
    if (feedback) await loadNext(verdict(feedback), feedback.correct ? "ok" : "warn");
    else await loadNext(flag ? "Saved, and flagged for an expert." : "Saved.", "ok");
  } else if (result.status === 409 && code === "lease_lost") {
    forgetWork(assignmentId);
    await loadNext(`${problemOf(result)} Your annotation was kept as a late submission.`, "warn");
  } else if (result.status === 409) {
    forgetWork(assignmentId);
    await loadNext(`${problemOf(result)} Loaded the next task.`, "warn");
  } else {
    setBusy(false);
    const hint = result.status === 401 ? " Log in again in another tab, then press Ctrl+Enter; your work is kept." : "";
    showStatus(`${problemOf(result)}${hint}`, "error");
  }
}

function openSkip() {
  if (!task || task.busy) return;
  ui.reason.value = "";
  ui.dialog.showModal();
  ui.reason.focus();
}

async function skip(reason, flag = null) {
  if (!task || task.busy) return;
  const { assignmentId } = task;
  setBusy(true);
  const body = flag ? { reason, flag } : { reason };
  const result = await withRetry(() => post(config.api.skip.replace("{id}", assignmentId), body), "skipping");
  if (result.ok || result.status === 409) {
    forgetWork(assignmentId);
    const done = flag ? "Skipped, and flagged for an expert." : "Skipped.";
    await loadNext(result.ok ? done : `${problemOf(result)} Loaded the next task.`, result.ok ? "ok" : "warn");
  } else {
    setBusy(false);
    showStatus(problemOf(result), "error");
  }
}

/** The flag form, kept while it is about the same task (a refused submit keeps the draft). */
function openFlag() {
  if (!task || task.busy) return;
  const form = flagUi.dialog.querySelector("form");
  if (flagUi.dialog.dataset.assignment !== String(task.assignmentId)) {
    form.reset();
    flagUi.dialog.dataset.assignment = String(task.assignmentId);
  }
  flagUi.dialog.returnValue = "";
  flagUi.dialog.showModal();
  flagUi.comment.focus();
}

function closedFlag() {
  const action = flagUi.dialog.returnValue;
  const form = flagUi.dialog.querySelector("form");
  const flag = { kind: form.elements.kind.value, comment: flagUi.comment.value.trim() };
  if (action === "skip" && flag.comment) skip(null, flag);
  else if (action === "submit" && flag.comment) submit(flag);
  else if (task && task.active) task.active.wrap.focus();
}

// ---- keyboard and wiring --------------------------------------------------------------

/** Move to the next (+1) or previous (-1) visible field; a text field takes the caret at once. */
function step(direction) {
  const shown = task.entries.filter((e) => !e.wrap.hidden);
  if (!shown.length) return;
  const at = shown.indexOf(task.active);
  const next = shown[(at + direction + shown.length) % shown.length];
  focusEntry(next);
}

function focusEntry(entry) {
  activate(entry);
  entry.wrap.focus({ preventScroll: false });
  if (entry.field.kind === "text") entry.widget.focus();
}

const isTyping = (node) => node instanceof HTMLElement && (node.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName));

document.addEventListener("keydown", (event) => {
  if (ui.dialog.open || flagUi.dialog.open) return;
  clock.touch();
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (mod && key === "Enter") { event.preventDefault(); submit(); return; }
  if (mod && !event.shiftKey && !event.altKey && key === "k") { event.preventDefault(); openSkip(); return; }
  if (mod && event.shiftKey && !event.altKey && key === "f") { event.preventDefault(); openFlag(); return; }
  if (event.key === "Tab" && !mod && !event.altKey && task && (ui.fields.contains(event.target) || event.target === document.body)) {
    event.preventDefault();
    step(event.shiftKey ? -1 : 1);
    return;
  }
  const typing = isTyping(event.target);
  if (typing) {
    if (event.key === "Escape" && task && task.active) { event.preventDefault(); task.active.wrap.focus(); }
    return;
  }
  if (mod && key === "z") { event.preventDefault(); if (event.shiftKey) redo(); else undo(); return; }
  if (mod && key === "y") { event.preventDefault(); redo(); return; }
  if (!task || task.busy || !task.active) return;
  if (task.active.widget.handleKey(event)) event.preventDefault();
});

for (const type of ["mousedown", "wheel", "input", "touchstart"]) document.addEventListener(type, () => clock.touch(), { passive: true });
let lastMove = 0;
document.addEventListener("mousemove", () => { const t = performance.now(); if (t - lastMove > 500) { lastMove = t; clock.touch(); } }, { passive: true });
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") saveWork(); });
ui.submit.addEventListener("click", () => submit());
ui.skip.addEventListener("click", () => openSkip());
flagUi.button.addEventListener("click", () => openFlag());
flagUi.dialog.addEventListener("close", closedFlag);
ui.undo.addEventListener("click", () => undo());
ui.dialog.addEventListener("close", () => {
  if (ui.dialog.returnValue === "skip") skip(ui.reason.value.trim() || null);
  else if (task && task.active) task.active.wrap.focus();
});
setInterval(() => {
  const s = Math.round(clock.peek());
  ui.timer.textContent = `active ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}, 1000);

function publicState() {
  const { value, visible } = task ? collect() : { value: null, visible: {} };
  return {
    project: config.project, assignmentId: task ? task.assignmentId : null,
    value, visible, idempotencyKey: task ? task.key : null, activeField: task?.active?.field.name ?? null,
    busy: task ? task.busy : false, allDone, progress: { ...progress }, seconds: clock.peek(),
    undoDepth: task ? task.history.length - 1 : 0, status: { ...lastStatus }, lastSubmission: lastResult,
    suggested: task ? Object.fromEntries(task.entries.map((e) => [e.field.name, e.widget.isSuggested()])) : {},
    guidelineVersion: task ? task.guidelineVersion : config.guideline_version ?? null,
  };
}
const freeze = (obj) => { Object.values(obj || {}).forEach((v) => { if (v && typeof v === "object") freeze(v); }); return Object.freeze(obj); };
Object.defineProperty(window, "LW", {
  value: Object.freeze(Object.defineProperty({}, "state", { get: () => freeze(JSON.parse(JSON.stringify(publicState()))), enumerable: true })),
  writable: false, configurable: false,
});

pruneWork();
setProgress(null);
loadNext();

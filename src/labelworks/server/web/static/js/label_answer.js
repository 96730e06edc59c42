// The answer being built in the labeling page: which fields are visible, the value, the
// per-task undo history, which field is active, and the copy kept in localStorage under the
// assignment id until the server has it.
import { waiting } from "./label_net.js";
import { clock, config, lastStatus, showStatus, task, ui } from "./label_session.js";

const COALESCE_MS = 1500;
const WORK_TTL_MS = 7 * 24 * 3600 * 1000;

// ---- local copies of work -------------------------------------------------------------

const workKey = (id) => `lw:work:${id}`;
export function saveWork() {
  if (!task) return;
  try {
    localStorage.setItem(workKey(task.assignmentId), JSON.stringify({
      project: config.project, key: task.key, states: snapshot(), seconds: clock.peek(), saved: Date.now(),
    }));
  } catch (error) { /* storage full or disabled: the page still holds the work */ }
}
export function loadWork(id) {
  try { return JSON.parse(localStorage.getItem(workKey(id)) || "null"); } catch (error) { return null; }
}
export function forgetWork(id) { try { localStorage.removeItem(workKey(id)); } catch (error) { /* ignore */ } }
export function pruneWork() {
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
export function collect() {
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

export const snapshot = () => Object.fromEntries(task.entries.map(({ field, widget }) => [field.name, widget.getState()]));

export function refresh() {
  const { visible } = collect();
  for (const entry of task.entries) {
    entry.wrap.hidden = !visible[entry.field.name];
    const suggested = entry.widget.isSuggested();
    entry.badge.hidden = !suggested;
  }
  if (task.active && task.active.wrap.hidden) activate(task.entries.find((e) => !e.wrap.hidden) || null);
  ui.undo.disabled = task.history.length < 2;
}

export function changed(coalesce) {
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
export function undo() {
  if (!task || task.busy) return;
  if (task.history.length < 2) { showStatus("Nothing to undo in this task.", "info"); return; }
  task.future.push(task.history.pop());
  task.lastCoalesce = null;
  restore(task.history[task.history.length - 1]);
}
export function redo() {
  if (!task || task.busy || !task.future.length) return;
  const snap = task.future.pop();
  task.history.push(snap);
  restore(snap);
}

export function activate(entry) {
  if (task && task.active) task.active.wrap.classList.remove("lw-active");
  if (!task) return;
  task.active = entry;
  if (entry) entry.wrap.classList.add("lw-active");
}

/** Move to the next (+1) or previous (-1) visible field; a text field takes the caret at once. */
export function step(direction) {
  const shown = task.entries.filter((e) => !e.wrap.hidden);
  if (!shown.length) return;
  const at = shown.indexOf(task.active);
  const next = shown[(at + direction + shown.length) % shown.length];
  focusEntry(next);
}

export function focusEntry(entry) {
  activate(entry);
  entry.wrap.focus({ preventScroll: false });
  if (entry.field.kind === "text") entry.widget.focus();
}

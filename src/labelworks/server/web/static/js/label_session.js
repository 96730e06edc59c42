// The labeling page's shared state: the config the server rendered, the page's elements,
// the active-time clock, the task in hand, and the status line, progress and busy state.
// `task`, `progress` and `lastStatus` are live bindings: the other modules read them, and
// only this module reassigns them (a module's imports are read-only).
import { h } from "./widgets/choice.js";

export const config = JSON.parse(document.getElementById("label-config").textContent);
const byId = (id) => document.getElementById(id);
export const ui = {
  item: byId("lw-item"), fields: byId("lw-fields"), status: byId("lw-status"), submit: byId("lw-submit"),
  skip: byId("lw-skip"), undo: byId("lw-undo"), banner: byId("lw-banner"), done: byId("lw-done"),
  task: byId("lw-task"), doneToday: byId("lw-done-today"), remaining: byId("lw-remaining"),
  guidelines: byId("lw-guidelines"), dialog: byId("lw-skip-dialog"), reason: byId("lw-skip-reason"),
  timer: byId("lw-timer"), meta: byId("lw-item-meta"),
};
// Flagging an item for an expert (ambiguous, or an edge case) with a skip or a submit.
export const flagUi = { button: byId("lw-flag"), dialog: byId("lw-flag-dialog"), comment: byId("lw-flag-comment") };

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

export const clock = new ActiveClock(config.idle_seconds ?? 60);
export let task = null;
export let progress = { ...(config.progress || { done_today: 0, remaining: 0 }) };
export let lastStatus = { text: "", kind: "" };

export function setTask(next) { task = next; }

export function showStatus(message, kind = "info", action = null) {
  lastStatus = { text: typeof message === "string" ? message : message.textContent, kind };
  ui.status.replaceChildren(message);
  ui.status.dataset.kind = kind;
  if (action) ui.status.append(" ", h("button", { type: "button", class: "secondary lw-inline", testid: "status-action", on: { click: action.run } }, action.label));
}

export function setProgress(next) {
  if (next) progress = { ...progress, ...next };
  ui.doneToday.textContent = String(progress.done_today ?? 0);
  ui.remaining.textContent = String(progress.remaining ?? 0);
}

export function setBusy(busy) {
  if (task) task.busy = busy;
  ui.submit.disabled = busy || !task;
  ui.skip.disabled = busy || !task;
  flagUi.button.disabled = busy || !task;
  ui.task.classList.toggle("lw-saving", busy);
}

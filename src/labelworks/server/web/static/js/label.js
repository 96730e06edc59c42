// The labeling page controller: leases tasks, submits and skips without reloading the page,
// flags items for an expert, routes keys, and exposes a read-only `window.LW.state` for
// tests. The task, the answer and server calls live in label_task.js, label_answer.js and
// label_net.js; the shared state in label_session.js.
import { collect, focusEntry, forgetWork, pruneWork, redo, saveWork, step, undo } from "./label_answer.js";
import { get, post, problemOf, retryNow, waiting, withRetry } from "./label_net.js";
import { clock, config, flagUi, lastStatus, progress, setBusy, setProgress, showStatus, task, ui } from "./label_session.js";
import { MARKS, startTask, teardown, verdict } from "./label_task.js";
import { h } from "./widgets/choice.js";

let allDone = false;
let lastResult = null;
// A manager's preview walks the items in import order: the last one shown.
let previewItem = 0;

/** The next item of a preview, in the shape of a leased task (nothing is leased). */
async function previewNext() {
  const result = await get(`${config.preview.next}?after=${previewItem}`);
  if (result.status !== 200) return result;
  const { item_id: id, item, guideline_version: version, total } = result.data;
  previewItem = id;
  const note = `preview of item ${id} (${total} in the project): nothing is leased or saved`;
  const data = { assignment_id: `preview-${id}`, item, guideline_version: version, progress: { note } };
  return { ...result, data };
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
  const lease = config.preview ? previewNext : () => post(config.api.next, {});
  const result = await withRetry(lease, "loading the next task");
  if (result.status === 204 && config.preview) {
    ui.task.hidden = true;
    showStatus("End of the preview: you have seen every item.", "ok", { label: "Start again", run: () => { previewItem = 0; loadNext(); } });
    setBusy(true);
    return;
  }
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
  for (const { field, widget, nothing } of task.entries) {
    if (!visible[field.name]) continue;
    const name = field.title || field.name;
    const given = value[field.name];
    const least = field[MARKS[field.kind]] || 0;
    if (field.required && (given === undefined || given === null)) found.push([field, `"${name}" needs an answer`]);
    else if (Array.isArray(given) && given.length < least) found.push([field, `"${name}": mark at least ${least}`]);
    else if (nothing && Array.isArray(given) && !given.length && !nothing.checked) {
      found.push([field, `"${name}": mark something, or tick "Nothing to mark"`]);
    }
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
  const send = config.preview
    ? () => post(config.preview.check, { item_id: previewItem, value })
    : () => post(config.api.submit.replace("{id}", assignmentId), body);
  const result = await withRetry(send, "saving your annotation");
  const code = result.data?.code;
  if (result.ok && config.preview) {
    forgetWork(assignmentId);
    await loadNext("Preview: that answer would be accepted. Nothing was saved.", "ok");
  } else if (result.ok) {
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
  if (config.preview) { forgetWork(assignmentId); await loadNext("Preview: skipped. Nothing was recorded.", "ok"); return; }
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
  if (config.preview) { showStatus("The preview files no flags: label for real to flag an item.", "warn"); return; }
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

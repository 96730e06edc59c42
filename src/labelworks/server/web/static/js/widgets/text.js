// text widget: a textarea with a counter. Lengths count code points, as the server does,
// so the textarea's own maxlength (UTF-16 units) is not used; the counter turns red instead.
import { h, helpLine } from "./choice.js";

/** Length in Unicode code points (Python's len), not UTF-16 units. */
export function codePointLength(text) {
  let count = 0;
  for (const _ of text) count += 1; // eslint-disable-line no-unused-vars
  return count;
}

/** State: {value: string, suggested: bool}. */
export function create(field, ctx) {
  const max = field.max_length ?? 2000;
  let state = { value: "", suggested: false };
  const area = h("textarea", {
    class: "lw-textarea", rows: "4", testid: "text-input", "aria-label": field.title || field.name,
  });
  const counter = h("span", { class: "lw-counter", testid: "text-counter" });
  const root = h("div", { class: "lw-text" }, area, h("div", { class: "lw-text-foot" }, counter),
    helpLine([["Enter", "start typing"], ["Esc", "leave the box"], ["Ctrl+Enter", "submit"]]));

  function render() {
    if (area.value !== state.value) area.value = state.value;
    const length = codePointLength(state.value);
    counter.textContent = `${length} / ${max}`;
    counter.classList.toggle("lw-over", length > max);
    root.classList.toggle("lw-suggested", state.suggested);
  }
  area.addEventListener("input", () => {
    state = { value: area.value, suggested: false };
    render();
    // Consecutive keystrokes become one undo step.
    ctx.changed(`text:${field.name}`);
  });
  render();
  return {
    root,
    getState: () => ({ ...state }),
    setState(next) { state = { value: "", suggested: false, ...next }; render(); },
    getValue: () => (state.value === "" ? null : state.value),
    prefill(value) {
      if (typeof value === "string") { state = { value, suggested: true }; render(); }
    },
    isSuggested: () => state.suggested,
    /** A message when the text cannot be submitted, else null. */
    problem() {
      const length = codePointLength(state.value);
      if (length > max) return `is ${length} characters long; the limit is ${max}`;
      if (field.required && state.value !== "" && !state.value.trim()) return "is only spaces";
      return null;
    },
    handleKey(event) {
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && event.target !== area) {
        area.focus();
        return true;
      }
      return false;
    },
    focus() { area.focus(); },
    destroy() {},
  };
}

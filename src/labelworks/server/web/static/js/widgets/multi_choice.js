// multi_choice widget: any number of labels, toggled with their keys.
import { assignKeys, createLabelPicker, h, helpLine } from "./choice.js";

/**
 * State: {selected: [labels], touched: bool, suggested: bool}. An untouched empty field
 * gives no value, so a required field needs an explicit "none apply" (key 0).
 */
export function create(field, ctx) {
  const keys = assignKeys(field.labels, field.shortcuts);
  const max = field.max_selections ?? field.labels.length;
  const min = field.min_selections || 0;
  let state = { selected: [], touched: false, suggested: false };
  const picker = createLabelPicker({ labels: field.labels, keys, onPick: toggle });
  const limits = [];
  if (min > 0) limits.push(`at least ${min}`);
  if (field.max_selections != null) limits.push(`at most ${max}`);
  const none = h("span", { class: "lw-none", testid: "none-apply", hidden: true }, "none apply");
  const root = h("div", { class: "lw-multi" },
    limits.length ? h("p", { class: "lw-hint", text: `Select ${limits.join(" and ")}.` }) : null,
    picker.root, none,
    helpLine([["1-9", "or the key shown: toggle"], ["0", "none apply"], ["Del", "clear"]].concat(
      field.labels.length >= 10 ? [["/", "filter labels"]] : [])));

  // Keep selections in label order so the value does not depend on click order.
  const ordered = (labels) => field.labels.filter((label) => labels.includes(label));
  function render() {
    picker.setSelected(state.selected);
    none.hidden = !(state.touched && state.selected.length === 0);
    root.classList.toggle("lw-suggested", state.suggested);
  }
  function update(next) {
    state = { ...next, suggested: false };
    render();
    ctx.changed();
  }
  function toggle(label) {
    const on = state.selected.includes(label);
    if (!on && state.selected.length >= max) {
      ctx.notify(`At most ${max} label${max === 1 ? "" : "s"} in "${field.title || field.name}".`, "warn");
      return;
    }
    const selected = on ? state.selected.filter((l) => l !== label) : ordered([...state.selected, label]);
    update({ selected, touched: true });
  }
  return {
    root,
    getState: () => ({ ...state, selected: [...state.selected] }),
    setState(next) {
      state = { selected: [], touched: false, suggested: false, ...next };
      render();
    },
    getValue: () => (state.touched || state.selected.length ? [...state.selected] : null),
    prefill(value) {
      if (!Array.isArray(value)) return;
      const selected = ordered(value.filter((label) => field.labels.includes(label))).slice(0, max);
      state = { selected, touched: true, suggested: true };
      render();
    },
    isSuggested: () => state.suggested,
    handleKey(event) {
      const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
      if (plain && event.key === "0" && ![...keys.values()].includes("0")) {
        update({ selected: [], touched: true });
        return true;
      }
      if (plain && (event.key === "Delete" || event.key === "Backspace")) {
        update({ selected: [], touched: false });
        return true;
      }
      return picker.handleKey(event);
    },
    focus() {},
    destroy() {},
  };
}

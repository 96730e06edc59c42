// choice widget: one label. This module also exports the pieces every widget shares
// (element builder, shortcut assignment, label colours, the label picker), because the
// labelled widgets (spans, boxes, segments) pick their labels with the same picker.

// Builds DOM without ever parsing HTML: item payloads are untrusted.
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "testid") node.dataset.testid = value;
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "hidden") node.hidden = true;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const COLORS = ["#2457c5", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490",
  "#a16207", "#be185d", "#4d7c0f", "#1e40af", "#7c2d12", "#0f766e"];

/** Colour of the label at `index` in its field's label list. */
export function labelColor(index) {
  return COLORS[((index % COLORS.length) + COLORS.length) % COLORS.length];
}

const DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * Map each target (label, choice, scale point) to its key: the spec's shortcut when given,
 * otherwise the next free key of `defaults` in order (number keys 1-9 unless told).
 */
export function assignKeys(targets, shortcuts, defaults = DIGITS) {
  const given = shortcuts || {};
  const taken = new Set(Object.values(given));
  const keys = new Map();
  // A target keeps its positional default (3rd label -> "3") unless a spec shortcut took it.
  const spare = defaults.filter((key, i) => taken.has(defaults[i]) === false && i >= targets.length);
  targets.forEach((target, i) => {
    if (Object.prototype.hasOwnProperty.call(given, target)) keys.set(target, given[target]);
    else if (i < defaults.length && !taken.has(defaults[i])) keys.set(target, defaults[i]);
    else if (spare.length) keys.set(target, spare.shift());
  });
  return keys;
}

/** The target whose key the event pressed: exact match first, then ignoring case. */
export function targetForKey(keys, event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.key.length !== 1) return null;
  let loose = null;
  for (const [target, key] of keys) {
    if (key === event.key) return target;
    if (loose === null && key.toLowerCase() === event.key.toLowerCase()) loose = target;
  }
  return loose;
}

/** A small "keys: what they do" line shown under a widget. */
export function helpLine(pairs) {
  const line = h("p", { class: "lw-help" });
  for (const [key, what] of pairs) line.append(h("kbd", { text: key }), ` ${what}  `);
  return line;
}

/**
 * A row of label buttons with their keys, plus a filter box (press "/") for long lists.
 * `onPick(label)` runs on click, key or Enter in the filter.
 */
export function createLabelPicker({ labels, keys, onPick, filterAt = 10 }) {
  const buttons = new Map();
  const root = h("div", { class: "lw-picker" });
  const list = h("div", { class: "lw-labels", role: "group" });
  labels.forEach((label, index) => {
    const key = keys.get(label);
    const button = h("button", {
      type: "button", class: "lw-label", tabindex: "-1", testid: "label-option",
      "data-label": label, "aria-pressed": "false",
      on: { click: (event) => { event.preventDefault(); onPick(label); } },
    }, key ? h("kbd", { text: key }) : null, h("span", { class: "lw-swatch" }), label);
    button.style.setProperty("--label-color", labelColor(index));
    buttons.set(label, button);
    list.append(button);
  });
  let filter = null;
  let highlighted = null;
  const visible = () => labels.filter((label) => !buttons.get(label).hidden);
  const highlight = (label) => {
    if (highlighted) buttons.get(highlighted).classList.remove("lw-highlight");
    highlighted = label;
    if (label) buttons.get(label).classList.add("lw-highlight");
  };
  const clearFilter = () => {
    filter.value = "";
    for (const button of buttons.values()) button.hidden = false;
    highlight(null);
  };
  if (labels.length >= filterAt) {
    filter = h("input", {
      type: "search", class: "lw-filter", placeholder: "Filter labels (press /)",
      "aria-label": "Filter labels", testid: "label-filter",
    });
    filter.addEventListener("input", () => {
      const needle = filter.value.trim().toLowerCase();
      for (const [label, button] of buttons) button.hidden = !label.toLowerCase().includes(needle);
      highlight(visible()[0] || null);
    });
    filter.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey) return;
      const shown = visible();
      const at = shown.indexOf(highlighted);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight(shown[(at + step + shown.length) % shown.length] || null);
      } else if (event.key === "Enter") {
        const label = highlighted;
        clearFilter();
        filter.blur();
        root.dispatchEvent(new CustomEvent("lw-refocus", { bubbles: true }));
        if (label) onPick(label);
      } else if (event.key === "Escape") {
        clearFilter();
        filter.blur();
        root.dispatchEvent(new CustomEvent("lw-refocus", { bubbles: true }));
      } else return;
      event.preventDefault();
      event.stopPropagation();
    });
    root.append(filter);
  }
  root.append(list);
  return {
    root,
    /** Mark which labels are selected (a Set or array of labels). */
    setSelected(selected) {
      const chosen = new Set(selected);
      for (const [label, button] of buttons) {
        button.classList.toggle("lw-selected", chosen.has(label));
        button.setAttribute("aria-pressed", String(chosen.has(label)));
      }
    },
    /** Handle "/" (filter) and label keys; true when the key was used. */
    handleKey(event) {
      if (filter && event.key === "/" && !event.ctrlKey && !event.metaKey) {
        filter.focus();
        return true;
      }
      const label = targetForKey(keys, event);
      if (label === null) return false;
      onPick(label);
      return true;
    },
  };
}

/** A one-label field. State: {value: label|null, suggested: bool}. */
export function create(field, ctx) {
  const keys = assignKeys(field.labels, field.shortcuts);
  let state = { value: null, suggested: false };
  const picker = createLabelPicker({ labels: field.labels, keys, onPick: pick });
  const root = h("div", { class: "lw-choice" }, picker.root,
    helpLine([["1-9", "or the key shown: pick"], ["Del", "clear"]].concat(
      field.labels.length >= 10 ? [["/", "filter labels"]] : [])));

  function render() {
    picker.setSelected(state.value === null ? [] : [state.value]);
    root.classList.toggle("lw-suggested", state.suggested);
  }
  function pick(label) {
    state = { value: label, suggested: false };
    render();
    ctx.changed();
  }
  return {
    root,
    getState: () => ({ ...state }),
    setState(next) { state = { value: null, suggested: false, ...next }; render(); },
    getValue: () => state.value,
    prefill(value) {
      if (field.labels.includes(value)) { state = { value, suggested: true }; render(); }
    },
    isSuggested: () => state.suggested,
    handleKey(event) {
      if ((event.key === "Delete" || event.key === "Backspace") && state.value !== null) {
        state = { value: null, suggested: false };
        render();
        ctx.changed();
        return true;
      }
      return picker.handleKey(event);
    },
    focus() {},
    destroy() {},
  };
}

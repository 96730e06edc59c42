// rating widget: a Likert or rubric scale with anchor text, picked with number keys.
import { h, helpLine, targetForKey } from "./choice.js";

/**
 * Default keys of a scale: the point itself when the scale lies within 0..9 (a 1-5 scale
 * uses keys 1-5), otherwise 1-9 then 0 by position. `avoid` lists keys already taken.
 */
export function scaleKeys(low, high, shortcuts, avoid = []) {
  const given = shortcuts || {};
  const own = low >= 0 && high <= 9;
  const positional = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];
  const taken = new Set([...avoid, ...Object.values(given)]);
  // When a default key is taken (by a spec shortcut or a pairwise choice), use a letter.
  const spare = "qwertyuiop".split("").filter((key) => !taken.has(key));
  const keys = new Map();
  for (let p = low; p <= high; p += 1) {
    const point = String(p);
    const fallback = own ? point : positional[p - low];
    if (given[point]) keys.set(point, given[point]);
    else if (fallback !== undefined && !taken.has(fallback)) keys.set(point, fallback);
    else if (spare.length) keys.set(point, spare.shift());
  }
  return keys;
}

/** A row of scale buttons; `onPick(point)` receives an integer. */
export function createScale({ low, high, anchors, keys, onPick }) {
  const buttons = new Map();
  const row = h("div", { class: "lw-scale", role: "radiogroup" });
  for (let point = low; point <= high; point += 1) {
    const anchor = anchors && (anchors[point] ?? anchors[String(point)]);
    const button = h("button", {
      type: "button", class: "lw-point", tabindex: "-1", testid: "scale-point",
      "data-point": String(point), role: "radio", "aria-checked": "false",
      on: { click: (event) => { event.preventDefault(); onPick(point); } },
    },
    h("span", { class: "lw-point-num", text: String(point) }),
    keys.get(String(point)) ? h("kbd", { text: keys.get(String(point)) }) : null,
    anchor ? h("span", { class: "lw-anchor", text: anchor }) : null);
    buttons.set(point, button);
    row.append(button);
  }
  return {
    root: row,
    setSelected(value) {
      for (const [point, button] of buttons) {
        button.classList.toggle("lw-selected", point === value);
        button.setAttribute("aria-checked", String(point === value));
      }
    },
    pointForKey: (event) => {
      const point = targetForKey(keys, event);
      return point === null ? null : Number(point);
    },
  };
}

/** State: {value: int|null, suggested: bool}. */
export function create(field, ctx) {
  const low = field.min ?? 1;
  const high = field.max ?? 5;
  const keys = scaleKeys(low, high, field.shortcuts);
  let state = { value: null, suggested: false };
  const scale = createScale({ low, high, anchors: field.anchors, keys, onPick: pick });
  const root = h("div", { class: "lw-rating" }, scale.root,
    helpLine([["keys shown", "pick a point"], ["←/→", "step"], ["Del", "clear"]]));

  function render() {
    scale.setSelected(state.value);
    root.classList.toggle("lw-suggested", state.suggested);
  }
  function pick(point) {
    state = { value: point, suggested: false };
    render();
    ctx.changed();
  }
  return {
    root,
    getState: () => ({ ...state }),
    setState(next) { state = { value: null, suggested: false, ...next }; render(); },
    getValue: () => state.value,
    prefill(value) {
      if (Number.isInteger(value) && value >= low && value <= high) {
        state = { value, suggested: true };
        render();
      }
    },
    isSuggested: () => state.suggested,
    handleKey(event) {
      const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
      const point = scale.pointForKey(event);
      if (point !== null) { pick(point); return true; }
      if (plain && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
        const step = event.key === "ArrowRight" ? 1 : -1;
        const from = state.value ?? (step > 0 ? low - 1 : high + 1);
        pick(Math.min(high, Math.max(low, from + step)));
        return true;
      }
      if (plain && (event.key === "Delete" || event.key === "Backspace") && state.value !== null) {
        state = { value: null, suggested: false };
        render();
        ctx.changed();
        return true;
      }
      return false;
    },
    focus() {},
    destroy() {},
  };
}

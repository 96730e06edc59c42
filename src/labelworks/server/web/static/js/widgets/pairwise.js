// pairwise widget: prompt above, two responses side by side in a per-assignment random
// order. On screen the left response is always "A" and the right one "B"; the value records
// which payload response was chosen and the order they were shown in.
import { assignKeys, h, helpLine, targetForKey } from "./choice.js";
import { createScale, scaleKeys } from "./rating.js";

/** A small deterministic PRNG (mulberry32), so a reload shows the same order. */
export function seededRandom(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Left-to-right order of the responses for an assignment: ["a","b"] or ["b","a"]. */
export function displayOrder(assignmentId) {
  return seededRandom(Number(assignmentId) * 2654435761)() < 0.5 ? ["a", "b"] : ["b", "a"];
}

function showText(value) {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** State: {choice: "a"|"b"|"tie"|null, strength: int|null, suggested: bool}. */
export function create(field, ctx) {
  const order = displayOrder(ctx.assignmentId);
  const payload = ctx.payload || {};
  const source = { a: field.a_source ?? "a", b: field.b_source ?? "b" };
  const promptKey = field.prompt_source === undefined ? "prompt" : field.prompt_source;
  // Screen positions: "a" = left, "b" = right; spec shortcuts {a, b, tie} name positions.
  const positions = field.allow_tie === false ? ["a", "b"] : ["a", "b", "tie"];
  const keys = assignKeys(positions, field.shortcuts, ["a", "b", "t"]);
  const scale = field.strength || null;
  let state = { choice: null, strength: null, suggested: false };

  const panels = {};
  const columns = h("div", { class: "lw-pair" });
  ["a", "b"].forEach((position, index) => {
    const shown = order[index];
    const panel = h("div", {
      class: "lw-response", testid: `response-${position === "a" ? "left" : "right"}`,
      "data-source": shown, on: { click: () => choose(position) },
    },
    h("div", { class: "lw-response-head" },
      h("kbd", { text: (keys.get(position) || "").toUpperCase() }),
      h("b", { text: position === "a" ? "Response A" : "Response B" })),
    h("div", { class: "lw-response-body", text: showText(payload[source[shown]]) }));
    panels[position] = panel;
    columns.append(panel);
  });
  const tie = positions.includes("tie")
    ? h("button", {
      type: "button", class: "lw-label lw-tie", tabindex: "-1", testid: "choice-tie",
      on: { click: (event) => { event.preventDefault(); choose("tie"); } },
    }, h("kbd", { text: (keys.get("tie") || "").toUpperCase() }), "Tie / equally good")
    : null;
  let strength = null;
  let strengthKeys = new Map();
  if (scale) {
    strengthKeys = scaleKeys(scale.min ?? 1, scale.max ?? 3, {}, [...keys.values()]);
    strength = createScale({
      low: scale.min ?? 1, high: scale.max ?? 3, anchors: scale.anchors, keys: strengthKeys,
      onPick: (point) => setStrength(point),
    });
  }
  const strengthRow = strength
    ? h("div", { class: "lw-strength", testid: "strength" }, h("span", { class: "lw-hint", text: "How much better?" }), strength.root)
    : null;
  const prompt = promptKey && payload[promptKey] !== undefined
    ? h("div", { class: "lw-prompt", testid: "prompt" }, h("b", { text: "Prompt" }), h("div", { text: showText(payload[promptKey]) }))
    : null;
  const shown = (position) => (keys.get(position) || "").toUpperCase();
  const help = [[shown("a"), "left better"], [shown("b"), "right better"]];
  if (tie) help.push([shown("tie"), "tie"]);
  if (strength) help.push([[...strengthKeys.values()].join(" "), "how much better"]);
  const root = h("div", { class: "lw-pairwise" }, prompt, columns,
    h("div", { class: "lw-pair-actions" }, tie, strengthRow), helpLine(help));

  function render() {
    for (const position of ["a", "b"]) {
      const picked = state.choice !== null && state.choice !== "tie" && order[position === "a" ? 0 : 1] === state.choice;
      panels[position].classList.toggle("lw-selected", picked);
    }
    if (tie) tie.classList.toggle("lw-selected", state.choice === "tie");
    if (strengthRow) {
      strengthRow.hidden = state.choice === null || state.choice === "tie";
      strength.setSelected(state.strength);
    }
    root.classList.toggle("lw-suggested", state.suggested);
  }
  function choose(position) {
    const choice = position === "tie" ? "tie" : order[position === "a" ? 0 : 1];
    const keep = choice !== "tie" && state.choice !== "tie" && state.choice !== null;
    state = { choice, strength: keep ? state.strength : null, suggested: false };
    render();
    ctx.changed();
  }
  function setStrength(point) {
    if (state.choice === null || state.choice === "tie") return;
    state = { ...state, strength: point, suggested: false };
    render();
    ctx.changed();
  }
  render();
  return {
    root,
    getState: () => ({ ...state }),
    setState(next) { state = { choice: null, strength: null, suggested: false, ...next }; render(); },
    getValue() {
      if (state.choice === null) return null;
      const value = { choice: state.choice };
      if (scale && state.choice !== "tie" && state.strength !== null) value.strength = state.strength;
      value.order = [...order];
      return value;
    },
    prefill(value) {
      if (!value || !["a", "b", "tie"].includes(value.choice)) return;
      if (value.choice === "tie" && !tie) return;
      const strengthOk = scale && Number.isInteger(value.strength) && value.choice !== "tie";
      state = { choice: value.choice, strength: strengthOk ? value.strength : null, suggested: true };
      render();
    },
    isSuggested: () => state.suggested,
    problem() {
      if (scale && state.choice !== null && state.choice !== "tie" && state.strength === null) {
        return "needs a strength (how much better)";
      }
      return null;
    },
    handleKey(event) {
      const position = targetForKey(keys, event);
      if (position !== null) { choose(position); return true; }
      if (strength) {
        const point = strength.pointForKey(event);
        if (point !== null) { setStrength(point); return true; }
      }
      if ((event.key === "Delete" || event.key === "Backspace") && state.choice !== null) {
        state = { choice: null, strength: null, suggested: false };
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

// spans widget: labelled ranges of a text. All offsets are Unicode code points (Python str
// indices): the text is handled as an array of code points, never as UTF-16 indices.
import { assignKeys, createLabelPicker, h, helpLine, labelColor } from "./choice.js";

const WORD = /[\p{L}\p{N}\p{M}_]/u;
const SPACE = /\s/u;
const LEVEL_PX = 4;

/** Tokens as [start, end) code-point ranges: runs of word characters or one other symbol. */
export function tokenize(chars) {
  const tokens = [];
  let i = 0;
  while (i < chars.length) {
    if (SPACE.test(chars[i])) { i += 1; continue; }
    let j = i + 1;
    if (WORD.test(chars[i])) while (j < chars.length && WORD.test(chars[j])) j += 1;
    tokens.push([i, j]);
    i = j;
  }
  return tokens;
}

/** Widen a code-point range to whole tokens; null when it touches no token. */
export function snapToTokens(tokens, start, end) {
  const inside = tokens.filter(([s, e]) => e > start && s < end);
  return inside.length ? [inside[0][0], inside[inside.length - 1][1]] : null;
}

/** Stacking level of each span so overlapping spans get separate underlines. */
export function spanLevels(spans) {
  const order = spans.map((_, i) => i).sort((i, j) => spans[i].start - spans[j].start || spans[j].end - spans[i].end);
  const reach = [];
  const levels = new Array(spans.length).fill(0);
  for (const i of order) {
    let level = reach.findIndex((end) => end <= spans[i].start);
    if (level < 0) level = reach.length;
    reach[level] = spans[i].end;
    levels[i] = level;
  }
  return levels;
}

const codePoints = (text) => Array.from(text).length;

/** State: {spans: [{start, end, label, suggested}]}; caret and selection are not undone. */
export function create(field, ctx) {
  const raw = (ctx.payload || {})[field.source ?? "text"];
  const chars = Array.from(typeof raw === "string" ? raw : "");
  const tokens = tokenize(chars);
  const tokenAt = new Array(chars.length).fill(-1);
  tokens.forEach(([s, e], index) => { for (let k = s; k < e; k += 1) tokenAt[k] = index; });
  const keys = assignKeys(field.labels, field.shortcuts);
  const colorOf = (label) => labelColor(field.labels.indexOf(label));
  let spans = [];
  let caret = 0;
  let anchor = 0;
  let selected = null;

  const picker = createLabelPicker({ labels: field.labels, keys, onPick: applyLabel });
  const text = h("div", { class: "lw-span-text", testid: "span-text", "aria-label": "Text to annotate" });
  const list = h("ul", { class: "lw-item-list", testid: "span-list" });
  const root = h("div", { class: "lw-spans" }, picker.root, text, list,
    helpLine([["←/→", "move by word"], ["Shift+←/→", "extend"], ["label key", "label the selection"],
      ["Enter", "select the span here"], ["Del", "delete span"], ["Esc", "deselect"]]));
  if (typeof raw !== "string") text.append(h("p", { class: "error", text: `No text under "${field.source}" in this item.` }));

  const range = () => (tokens.length ? [tokens[Math.min(anchor, caret)][0], tokens[Math.max(anchor, caret)][1]] : null);
  const slice = (s, e) => chars.slice(s, e).join("");

  function render() {
    picker.setSelected(selected === null ? [] : [spans[selected].label]);
    root.classList.toggle("lw-suggested", spans.some((s) => s.suggested));
    const levels = spanLevels(spans);
    const depth = levels.length ? Math.max(...levels) + 1 : 0;
    text.style.lineHeight = String(1.9 + 0.3 * depth);
    const cuts = new Set([0, chars.length]);
    for (const [s, e] of tokens) { cuts.add(s); cuts.add(e); }
    for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
    const points = [...cuts].sort((a, b) => a - b);
    const [selStart, selEnd] = range() || [-1, -1];
    const ends = new Map();
    spans.forEach((s, i) => { if (!ends.has(s.end)) ends.set(s.end, []); ends.get(s.end).push(i); });
    const pieces = [];
    for (let k = 0; k + 1 < points.length; k += 1) {
      const [a, b] = [points[k], points[k + 1]];
      const seg = h("span", { class: "lw-seg", "data-s": a, "data-e": b, text: slice(a, b) });
      const token = tokenAt[a];
      if (token >= 0 && a >= selStart && b <= selEnd && selected === null) seg.classList.add("lw-sel");
      if (token === caret && selected === null) seg.classList.add("lw-caret");
      const covering = spans.map((s, i) => i).filter((i) => spans[i].start <= a && spans[i].end >= b);
      if (covering.length) paint(seg, covering, levels, depth);
      pieces.push(seg);
      for (const i of (ends.get(b) || []).sort((x, y) => levels[x] - levels[y])) {
        const tag = h("span", { class: "lw-tag", "data-span": i, text: spans[i].label, "aria-hidden": "true" });
        tag.style.setProperty("--label-color", colorOf(spans[i].label));
        if (i === selected) tag.classList.add("lw-tag-selected");
        if (spans[i].suggested) tag.classList.add("lw-tag-suggested");
        pieces.push(tag);
      }
    }
    text.replaceChildren(...pieces);
    if (typeof raw !== "string") text.append(h("p", { class: "error", text: `No text under "${field.source}" in this item.` }));
    renderList();
    const focusSeg = text.querySelector(".lw-caret, .lw-span-selected");
    if (focusSeg && focusSeg.scrollIntoView) focusSeg.scrollIntoView({ block: "nearest" });
  }

  function paint(seg, covering, levels, depth) {
    const images = [];
    const positions = [];
    for (const i of covering) {
      const color = colorOf(spans[i].label);
      images.push(spans[i].suggested
        ? `repeating-linear-gradient(90deg, ${color} 0 4px, transparent 4px 7px)`
        : `linear-gradient(${color}, ${color})`);
      positions.push(`0 calc(100% - ${levels[i] * LEVEL_PX}px)`);
    }
    seg.style.backgroundImage = images.join(", ");
    seg.style.backgroundPosition = positions.join(", ");
    seg.style.backgroundSize = covering.map(() => "100% 2px").join(", ");
    seg.style.backgroundRepeat = "no-repeat";
    seg.style.paddingBottom = `${depth * LEVEL_PX}px`;
    seg.style.backgroundColor = covering.includes(selected) ? "#fde68a" : `${colorOf(spans[covering[0]].label)}1f`;
    if (covering.includes(selected)) seg.classList.add("lw-span-selected");
  }

  function renderList() {
    const rows = spans.map((s, i) => i).sort((i, j) => spans[i].start - spans[j].start || spans[i].end - spans[j].end);
    list.replaceChildren(...rows.map((i) => {
      const s = spans[i];
      const chip = h("span", { class: "lw-chip", text: s.label });
      chip.style.setProperty("--label-color", colorOf(s.label));
      const excerpt = slice(s.start, s.end);
      return h("li", {
        class: i === selected ? "lw-row lw-selected" : "lw-row", testid: "span-item",
        "data-start": s.start, "data-end": s.end, "data-label": s.label,
        on: { click: () => select(i) },
      }, chip, h("span", { class: "lw-excerpt", text: excerpt.length > 60 ? `${excerpt.slice(0, 60)}…` : excerpt }),
      s.suggested ? h("span", { class: "lw-badge", text: "suggested" }) : null,
      h("button", {
        type: "button", class: "lw-delete", tabindex: "-1", title: "Delete", testid: "delete-span",
        on: { click: (event) => { event.stopPropagation(); remove(i); } },
      }, "×"));
    }));
  }

  function select(i) {
    selected = i;
    if (i !== null && tokens.length) {
      const first = tokenAt[spans[i].start];
      caret = anchor = first >= 0 ? first : caret;
    }
    render();
  }

  function commit(next, note) {
    spans = next;
    render();
    ctx.changed();
    if (note) ctx.notify(note, "info");
  }

  function remove(i) {
    selected = null;
    commit(spans.filter((_, k) => k !== i));
  }

  function applyLabel(label) {
    if (selected !== null) {
      const next = spans.map((s, k) => (k === selected ? { ...s, label, suggested: false } : s));
      commit(next);
      return;
    }
    const r = range();
    if (!r) return;
    const [start, end] = r;
    const same = spans.findIndex((s) => s.start === start && s.end === end && s.label === label);
    if (same >= 0) { selected = same; spans[same] = { ...spans[same], suggested: false }; commit([...spans]); return; }
    let kept = spans;
    let note = null;
    if (!field.allow_overlap) {
      kept = spans.filter((s) => s.end <= start || s.start >= end);
      if (kept.length < spans.length) note = `Replaced ${spans.length - kept.length} overlapping span(s); Ctrl+Z undoes.`;
    }
    kept = [...kept, { start, end, label, suggested: false }];
    selected = kept.length - 1;
    commit(kept, note);
  }

  // DOM position -> code-point offset, through the segment's data-s.
  function offsetOf(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      const seg = node.parentElement.closest(".lw-seg, .lw-tag");
      if (!seg) return null;
      if (seg.classList.contains("lw-tag")) return spans[Number(seg.dataset.span)]?.end ?? null;
      return Number(seg.dataset.s) + codePoints(node.textContent.slice(0, offset));
    }
    const child = node.childNodes[offset];
    if (child && child.dataset && child.dataset.s !== undefined) return Number(child.dataset.s);
    if (node.dataset && node.dataset.e !== undefined) return offset === 0 ? Number(node.dataset.s) : Number(node.dataset.e);
    return offset === 0 ? 0 : chars.length;
  }

  text.addEventListener("mouseup", (event) => {
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed && text.contains(sel.anchorNode) && text.contains(sel.focusNode)) {
      const a = offsetOf(sel.anchorNode, sel.anchorOffset);
      const b = offsetOf(sel.focusNode, sel.focusOffset);
      sel.removeAllRanges();
      if (a === null || b === null) return;
      const snapped = snapToTokens(tokens, Math.min(a, b), Math.max(a, b));
      if (!snapped) return;
      selected = null;
      anchor = tokenAt[snapped[0]];
      caret = tokenAt[snapped[1] - 1];
      render();
      return;
    }
    const target = event.target.closest(".lw-seg, .lw-tag");
    if (!target) return;
    if (target.classList.contains("lw-tag")) { select(Number(target.dataset.span)); return; }
    const at = Number(target.dataset.s);
    const covering = spans.map((s, i) => i).filter((i) => spans[i].start <= at && spans[i].end > at);
    if (covering.length) {
      const next = covering[(covering.indexOf(selected) + 1) % covering.length];
      select(next);
      return;
    }
    selected = null;
    if (tokenAt[at] >= 0) caret = anchor = tokenAt[at];
    render();
  });

  render();
  return {
    root,
    getState: () => ({ spans: spans.map((s) => ({ ...s })) }),
    setState(next) {
      spans = ((next && next.spans) || []).map((s) => ({ ...s }));
      // Undo/redo restore contents, not a selection: an index may now name another one.
      selected = null;
      render();
    },
    getValue: () => [...spans]
      .sort((x, y) => x.start - y.start || x.end - y.end)
      .map((s) => ({ start: s.start, end: s.end, label: s.label, text: slice(s.start, s.end) })),
    prefill(value) {
      if (!Array.isArray(value)) return;
      spans = value.filter((s) => s && Number.isInteger(s.start) && Number.isInteger(s.end)
        && s.start >= 0 && s.start < s.end && s.end <= chars.length && field.labels.includes(s.label))
        .map((s) => ({ start: s.start, end: s.end, label: s.label, suggested: true }));
      render();
    },
    isSuggested: () => spans.some((s) => s.suggested),
    handleKey(event) {
      const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
      if (!plain) return false;
      const last = tokens.length - 1;
      const moves = { ArrowRight: caret + 1, ArrowLeft: caret - 1, Home: 0, End: last };
      if (event.key in moves && tokens.length) {
        caret = Math.max(0, Math.min(last, moves[event.key]));
        if (!event.shiftKey) anchor = caret;
        selected = null;
        render();
        return true;
      }
      if (event.key === "Enter") {
        const [s, e] = range() || [0, 0];
        const covering = spans.map((x, i) => i).filter((i) => spans[i].start < e && spans[i].end > s);
        if (!covering.length) return false;
        select(covering[(covering.indexOf(selected) + 1) % covering.length]);
        return true;
      }
      if (event.key === "Delete" || event.key === "Backspace") {
        if (selected !== null) { remove(selected); return true; }
        const [s, e] = range() || [0, 0];
        const levels = spanLevels(spans);
        const covering = spans.map((x, i) => i).filter((i) => spans[i].start < e && spans[i].end > s);
        if (!covering.length) return false;
        remove(covering.sort((i, j) => levels[j] - levels[i])[0]);
        return true;
      }
      if (event.key === "Escape" && (selected !== null || anchor !== caret)) {
        selected = null;
        anchor = caret;
        render();
        return true;
      }
      return picker.handleKey(event);
    },
    focus() {},
    destroy() {},
  };
}

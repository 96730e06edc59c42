// boxes widget: labelled rectangles on an image, drawn on a canvas. Box coordinates are
// image pixels (the payload's width/height when given, else the image's natural size).
import { assignKeys, createLabelPicker, h, helpLine, labelColor, targetForKey } from "./choice.js";

const HANDLE = 6;
const MIN_DRAG = 3;
const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

/** Resize `box` by moving the edges named in `handle` by (dx, dy); keeps width/height positive. */
export function resizeBox(box, handle, dx, dy) {
  let { x, y } = box;
  let right = box.x + box.width;
  let bottom = box.y + box.height;
  if (handle.includes("w")) x += dx;
  if (handle.includes("e")) right += dx;
  if (handle.includes("n")) y += dy;
  if (handle.includes("s")) bottom += dy;
  return { ...box, x: Math.min(x, right), y: Math.min(y, bottom), width: Math.abs(right - x), height: Math.abs(bottom - y) };
}

/** Round to whole pixels and keep the box inside a width x height image. */
export function clampBox(box, width, height) {
  const x = Math.max(0, Math.min(width - 1, Math.round(box.x)));
  const y = Math.max(0, Math.min(height - 1, Math.round(box.y)));
  const w = Math.max(1, Math.min(width - x, Math.round(box.width)));
  const hgt = Math.max(1, Math.min(height - y, Math.round(box.height)));
  return { ...box, x, y, width: w, height: hgt };
}

/** State: {boxes: [{x, y, width, height, label, suggested}]}. */
export function create(field, ctx) {
  const url = (ctx.media || {})[field.source ?? "image"];
  const payload = ctx.payload || {};
  const keys = assignKeys(field.labels, field.shortcuts);
  const colorOf = (label) => labelColor(field.labels.indexOf(label));
  const sized = (key) => (key && Number(payload[key]) > 0 ? Number(payload[key]) : null);
  let size = { w: sized(field.width_key), h: sized(field.height_key) };
  let boxes = [];
  let selected = null;
  let current = field.labels[0];
  let view = { scale: 1, ox: 0, oy: 0 };
  let drag = null;
  let spaceDown = false;
  let image = null;

  const picker = createLabelPicker({ labels: field.labels, keys, onPick: applyLabel });
  const canvas = h("canvas", { class: "lw-canvas", testid: "image-canvas", tabindex: "-1" });
  const stage = h("div", { class: "lw-stage" }, canvas);
  const list = h("ul", { class: "lw-item-list", testid: "box-list" });
  const currentNote = h("p", { class: "lw-hint", testid: "current-label" });
  const status = h("p", { class: "lw-hint" });
  const root = h("div", { class: "lw-boxes" }, picker.root,
    h("div", { class: "lw-board" }, stage, h("div", { class: "lw-side-list" }, currentNote, list, status)),
    helpLine([["drag", "draw / move / resize"], ["Enter", "new box"], ["label key", "label"],
      [", .", "previous/next box"], ["arrows", "move box (Shift ×10) or pan"], ["Ctrl+arrows", "resize"],
      ["+ − 0", "zoom in/out/fit"], ["wheel", "zoom"], ["Space+drag", "pan"], ["Del", "delete"], ["Esc", "deselect"]]));
  const g = canvas.getContext("2d");

  const toImage = (px, py) => [(px - view.ox) / view.scale, (py - view.oy) / view.scale];
  const ready = () => size.w !== null && size.h !== null;

  function fit() {
    if (!ready()) return;
    const cw = canvas.clientWidth || 600;
    const ch = canvas.clientHeight || 400;
    const scale = Math.min(cw / size.w, ch / size.h);
    view = { scale, ox: (cw - size.w * scale) / 2, oy: (ch - size.h * scale) / 2 };
  }

  function zoom(factor, px, py) {
    const cx = px ?? canvas.clientWidth / 2;
    const cy = py ?? canvas.clientHeight / 2;
    const scale = Math.max(0.05, Math.min(40, view.scale * factor));
    view = { scale, ox: cx - ((cx - view.ox) * scale) / view.scale, oy: cy - ((cy - view.oy) * scale) / view.scale };
    draw();
  }

  function handlePoints(box) {
    const [x0, y0] = [box.x * view.scale + view.ox, box.y * view.scale + view.oy];
    const [x1, y1] = [x0 + box.width * view.scale, y0 + box.height * view.scale];
    const [xm, ym] = [(x0 + x1) / 2, (y0 + y1) / 2];
    return { nw: [x0, y0], n: [xm, y0], ne: [x1, y0], e: [x1, ym], se: [x1, y1], s: [xm, y1], sw: [x0, y1], w: [x0, ym] };
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) {
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(ch * dpr);
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#20242a";
    g.fillRect(0, 0, cw, ch);
    canvas.dataset.view = `${view.scale},${view.ox},${view.oy}`;
    if (!ready()) return;
    g.save();
    g.translate(view.ox, view.oy);
    g.scale(view.scale, view.scale);
    if (image) g.drawImage(image, 0, 0, size.w, size.h);
    g.restore();
    const shapes = drag && drag.mode === "draw" && drag.box ? [...boxes, drag.box] : boxes;
    shapes.forEach((box, i) => {
      const color = box === (drag && drag.box) ? "#ffffff" : colorOf(box.label);
      const [x, y] = [box.x * view.scale + view.ox, box.y * view.scale + view.oy];
      const [w, hh] = [box.width * view.scale, box.height * view.scale];
      g.setLineDash(box.suggested || box === (drag && drag.box) ? [6, 4] : []);
      g.lineWidth = i === selected ? 3 : 2;
      g.strokeStyle = color;
      g.strokeRect(x, y, w, hh);
      g.setLineDash([]);
      if (box.label && box !== (drag && drag.box)) {
        g.font = "12px system-ui, sans-serif";
        const tag = box.suggested ? `${box.label}?` : box.label;
        const tw = g.measureText(tag).width + 8;
        g.fillStyle = color;
        g.fillRect(x, y - 16 < 0 ? y : y - 16, tw, 16);
        g.fillStyle = "#fff";
        g.fillText(tag, x + 4, (y - 16 < 0 ? y : y - 16) + 12);
      }
      if (i === selected) {
        g.fillStyle = "#fff";
        g.strokeStyle = color;
        g.lineWidth = 1;
        for (const [hx, hy] of Object.values(handlePoints(box))) {
          g.fillRect(hx - HANDLE / 2, hy - HANDLE / 2, HANDLE, HANDLE);
          g.strokeRect(hx - HANDLE / 2, hy - HANDLE / 2, HANDLE, HANDLE);
        }
      }
    });
  }

  function renderList() {
    currentNote.textContent = `New boxes get the label: ${current}`;
    list.replaceChildren(...boxes.map((box, i) => {
      const chip = h("span", { class: "lw-chip", text: box.label });
      chip.style.setProperty("--label-color", colorOf(box.label));
      return h("li", {
        class: i === selected ? "lw-row lw-selected" : "lw-row", testid: "box-item",
        "data-label": box.label, on: { click: () => { selected = i; render(); } },
      }, chip, h("span", { class: "lw-excerpt", text: `${box.x}, ${box.y} · ${box.width}×${box.height}` }),
      box.suggested ? h("span", { class: "lw-badge", text: "suggested" }) : null,
      h("button", {
        type: "button", class: "lw-delete", tabindex: "-1", title: "Delete", testid: "delete-box",
        on: { click: (event) => { event.stopPropagation(); remove(i); } },
      }, "×"));
    }));
    picker.setSelected(selected === null ? [current] : [boxes[selected].label]);
    root.classList.toggle("lw-suggested", boxes.some((b) => b.suggested));
  }

  function render() { renderList(); draw(); }

  function commit(next, coalesce) {
    boxes = next;
    render();
    ctx.changed(coalesce);
  }

  function remove(i) {
    selected = null;
    commit(boxes.filter((_, k) => k !== i));
  }

  function applyLabel(label) {
    current = label;
    if (selected !== null) commit(boxes.map((b, k) => (k === selected ? { ...b, label, suggested: false } : b)));
    else render();
  }

  function replaceSelected(box, coalesce) {
    commit(boxes.map((b, k) => (k === selected ? { ...clampBox(box, size.w, size.h), suggested: false } : b)), coalesce);
  }

  function local(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  function hit(px, py) {
    if (selected !== null) {
      const points = handlePoints(boxes[selected]);
      for (const name of HANDLES) {
        const [hx, hy] = points[name];
        if (Math.abs(px - hx) <= HANDLE && Math.abs(py - hy) <= HANDLE) return { mode: "resize", handle: name, index: selected };
      }
    }
    const [x, y] = toImage(px, py);
    const inside = boxes.map((b, i) => i).filter((i) => {
      const b = boxes[i];
      return x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height;
    });
    if (!inside.length) return null;
    // The smallest box wins, so a box drawn inside another stays reachable.
    inside.sort((i, j) => boxes[i].width * boxes[i].height - boxes[j].width * boxes[j].height);
    return { mode: "move", index: inside[0] };
  }

  canvas.addEventListener("mousedown", (event) => {
    event.preventDefault();
    const [px, py] = local(event);
    if (spaceDown || event.button === 1) {
      drag = { mode: "pan", px, py, ox: view.ox, oy: view.oy };
      return;
    }
    if (event.button !== 0 || !ready()) return;
    const found = hit(px, py);
    if (found) {
      selected = found.index;
      drag = { ...found, px, py, orig: { ...boxes[found.index] }, moved: false };
      render();
    } else {
      const [x, y] = toImage(px, py);
      drag = { mode: "draw", px, py, x, y, box: null };
    }
  });
  const onMove = (event) => {
    if (!drag) return;
    const [px, py] = local(event);
    const [dx, dy] = [(px - drag.px) / view.scale, (py - drag.py) / view.scale];
    if (drag.mode === "pan") {
      view = { ...view, ox: drag.ox + px - drag.px, oy: drag.oy + py - drag.py };
    } else if (drag.mode === "draw") {
      if (Math.abs(px - drag.px) < MIN_DRAG && Math.abs(py - drag.py) < MIN_DRAG) return;
      drag.box = resizeBox({ x: drag.x, y: drag.y, width: 0, height: 0, label: current }, "se", dx, dy);
    } else {
      const moved = drag.mode === "move" ? { ...drag.orig, x: drag.orig.x + dx, y: drag.orig.y + dy } : resizeBox(drag.orig, drag.handle, dx, dy);
      if (drag.mode === "move") {
        moved.x = Math.max(0, Math.min(size.w - moved.width, moved.x));
        moved.y = Math.max(0, Math.min(size.h - moved.height, moved.y));
      }
      boxes = boxes.map((b, k) => (k === drag.index ? { ...moved, label: b.label, suggested: b.suggested } : b));
      drag.moved = true;
    }
    draw();
  };
  const onUp = () => {
    if (!drag) return;
    const done = drag;
    drag = null;
    if (done.mode === "draw" && done.box) {
      const box = clampBox({ ...done.box, suggested: false }, size.w, size.h);
      selected = boxes.length;
      commit([...boxes, box]);
    } else if ((done.mode === "move" || done.mode === "resize") && done.moved) {
      replaceSelected(boxes[done.index]);
    } else draw();
  };
  const onKeyUp = (event) => { if (event.key === " ") spaceDown = false; };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  window.addEventListener("keyup", onKeyUp);
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = local(event);
    zoom(Math.pow(1.1, -event.deltaY / 100), px, py);
  }, { passive: false });
  const observer = new ResizeObserver(() => { if (!drag) { if (image || ready()) fit(); draw(); } });
  observer.observe(stage);

  if (url) {
    const img = new Image();
    img.addEventListener("load", () => {
      image = img;
      if (size.w === null || size.h === null) size = { w: img.naturalWidth, h: img.naturalHeight };
      canvas.dataset.imageWidth = String(size.w);
      canvas.dataset.imageHeight = String(size.h);
      fit();
      render();
      canvas.dataset.loaded = "true";
    });
    img.addEventListener("error", () => { status.textContent = "The image could not be loaded."; status.classList.add("error"); });
    img.src = url;
  } else {
    status.textContent = `No image under "${field.source}" in this item.`;
    status.classList.add("error");
  }
  render();

  return {
    root,
    getState: () => ({ boxes: boxes.map((b) => ({ ...b })) }),
    setState(next) {
      boxes = ((next && next.boxes) || []).map((b) => ({ ...b }));
      // Undo/redo restore contents, not a selection: an index may now name another one.
      selected = null;
      render();
    },
    getValue: () => boxes.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height, label: b.label })),
    prefill(value) {
      if (!Array.isArray(value)) return;
      boxes = value.filter((b) => b && field.labels.includes(b.label) && [b.x, b.y, b.width, b.height].every(Number.isFinite)
        && b.x >= 0 && b.y >= 0 && b.width > 0 && b.height > 0)
        .map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height, label: b.label, suggested: true }));
      render();
    },
    isSuggested: () => boxes.some((b) => b.suggested),
    handleKey(event) {
      const label = targetForKey(keys, event);
      if (label !== null) { applyLabel(label); return true; }
      const mod = event.ctrlKey || event.metaKey;
      const step = event.shiftKey ? 10 : 1;
      const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (event.key === " ") { spaceDown = true; return true; }
      if (event.key in arrows) {
        const [ax, ay] = arrows[event.key];
        if (selected === null) {
          if (mod) return false;
          view = { ...view, ox: view.ox - ax * 40, oy: view.oy - ay * 40 };
          draw();
        } else if (mod) {
          const b = boxes[selected];
          replaceSelected({ ...b, width: b.width + ax * step, height: b.height + ay * step }, `box:${field.name}`);
        } else {
          const b = boxes[selected];
          replaceSelected({ ...b, x: Math.max(0, Math.min(size.w - b.width, b.x + ax * step)),
            y: Math.max(0, Math.min(size.h - b.height, b.y + ay * step)) }, `box:${field.name}`);
        }
        return true;
      }
      if (mod || event.altKey) return false;
      if (event.key === "+" || event.key === "=") { zoom(1.25); return true; }
      if (event.key === "-" || event.key === "_") { zoom(0.8); return true; }
      if (event.key === "0") { fit(); draw(); return true; }
      if ((event.key === "," || event.key === ".") && boxes.length) {
        const delta = event.key === "." ? 1 : -1;
        selected = selected === null ? (delta > 0 ? 0 : boxes.length - 1) : (selected + delta + boxes.length) % boxes.length;
        render();
        return true;
      }
      if (event.key === "Enter" && ready()) {
        const [cx, cy] = toImage(canvas.clientWidth / 2, canvas.clientHeight / 2);
        const w = Math.max(4, canvas.clientWidth / view.scale / 4);
        const hh = Math.max(4, canvas.clientHeight / view.scale / 4);
        const box = clampBox({ x: cx - w / 2, y: cy - hh / 2, width: w, height: hh, label: current, suggested: false }, size.w, size.h);
        selected = boxes.length;
        commit([...boxes, box]);
        return true;
      }
      if ((event.key === "Delete" || event.key === "Backspace") && selected !== null) { remove(selected); return true; }
      if (event.key === "Escape" && selected !== null) { selected = null; render(); return true; }
      return picker.handleKey(event);
    },
    focus() {},
    destroy() {
      window.removeEventListener("mousemove", onMove);
      window.removeEventListener("mouseup", onUp);
      window.removeEventListener("keyup", onKeyUp);
      observer.disconnect();
    },
  };
}

// segments widget: labelled time ranges of audio (waveform), video (timeline) or a time
// series (CSV drawn as a line chart per channel). Times are seconds, rounded to 1 ms.
import { assignKeys, createLabelPicker, h, helpLine, labelColor, targetForKey } from "./choice.js";

const LANE = 16;
const AXIS = 16;
const round = (t) => Math.round(t * 1000) / 1000;

/** Parse a "t,<channel>,..." CSV (first column seconds; tab-separated when the header has
 * tabs and no commas, as the server's probe reads it) into {times, channels: [{name, values}]}. */
export function parseSeriesCsv(text) {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (!lines.length) return { times: [], channels: [] };
  const sep = lines[0].includes("\t") && !lines[0].includes(",") ? "\t" : ",";
  const header = lines[0].split(sep).map((cell) => cell.trim());
  const channels = header.slice(1).map((name) => ({ name, values: [] }));
  const times = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(sep);
    const t = Number(cells[0]);
    if (!Number.isFinite(t)) continue;
    times.push(t);
    channels.forEach((channel, i) => {
      const v = Number(cells[i + 1]);
      channel.values.push(Number.isFinite(v) ? v : NaN);
    });
  }
  return { times, channels };
}

/** The URL of a file media processing derived from a local media URL (``/media/p/a.wav``,
 * relative or absolute on this origin → ``/media-peaks/p/a.wav``), or null for others. */
export function derivedUrl(url, kind) {
  if (typeof url !== "string") return null;
  let parsed;
  try { parsed = new URL(url, window.location.href); } catch { return null; }
  if (parsed.origin !== window.location.origin || !parsed.pathname.startsWith("/media/")) return null;
  return `/media-${kind}/${parsed.pathname.slice("/media/".length)}`;
}

/** The URL a script reads the bytes of: object media are asked for through this server
 * (``?stream=1``), as the page's policy lets scripts fetch from this origin only, where the
 * elements themselves may follow a redirect to a presigned URL. */
export function fetchable(url) {
  return url.startsWith("/media-objects/") ? `${url}${url.includes("?") ? "&" : "?"}stream=1` : url;
}

function loadJson(from) {
  if (!from) return Promise.reject(new Error("no derived file"));
  // 204: the file's media have not been processed yet; the widget works from the file.
  return fetch(from, { credentials: "same-origin" })
    .then((response) => (response.status === 200 ? response.json() : Promise.reject(new Error(String(response.status)))));
}

/** Draw a parsed series into a canvas region, one lane per channel. */
export function drawSeries(g, series, { x0, width, y0, height, start, end }) {
  const lane = height / Math.max(1, series.channels.length);
  series.channels.forEach((channel, c) => {
    const finite = channel.values.filter(Number.isFinite);
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    const span = high - low || 1;
    const top = y0 + c * lane;
    g.strokeStyle = labelColor(c);
    g.lineWidth = 1.2;
    g.beginPath();
    let pen = false;
    series.times.forEach((t, i) => {
      const v = channel.values[i];
      if (!Number.isFinite(v)) { pen = false; return; }
      const x = x0 + ((t - start) / (end - start || 1)) * width;
      const y = top + 4 + (1 - (v - low) / span) * (lane - 8);
      if (pen) g.lineTo(x, y); else g.moveTo(x, y);
      pen = true;
    });
    g.stroke();
    g.fillStyle = "#5f6b76";
    g.font = "11px system-ui, sans-serif";
    g.fillText(channel.name, x0 + 4, top + 12);
  });
}

/** Lane of each segment so overlapping segments do not hide each other. */
function lanes(segments) {
  const order = segments.map((_, i) => i).sort((i, j) => segments[i].start - segments[j].start);
  const reach = [];
  const out = new Array(segments.length).fill(0);
  for (const i of order) {
    let lane = reach.findIndex((end) => end <= segments[i].start);
    if (lane < 0) lane = reach.length;
    reach[lane] = segments[i].end;
    out[i] = lane;
  }
  return out;
}

const clock = (t) => {
  const m = Math.floor(t / 60);
  return `${m}:${(t - m * 60).toFixed(3).padStart(6, "0")}`;
};

/** State: {segments: [{start, end, label, suggested}]}. */
export function create(field, ctx) {
  const media = field.media || "audio";
  const url = (ctx.media || {})[field.source ?? media];
  const given = field.duration_key ? Number((ctx.payload || {})[field.duration_key]) : NaN;
  const keys = assignKeys(field.labels, field.shortcuts);
  const colorOf = (label) => labelColor(field.labels.indexOf(label));
  let duration = Number.isFinite(given) && given > 0 ? given : 0;
  let segments = [];
  let selected = null;
  let pending = null;
  let current = field.labels[0];
  let peaks = null;
  let series = null;
  let drag = null;
  let frame = 0;
  let lastPing = 0;
  // Time series have no media element: a virtual clock plays them at real speed.
  const virtual = { playing: false, time: 0, since: 0 };

  const picker = createLabelPicker({ labels: field.labels, keys, onPick: applyLabel });
  const element = media === "video"
    ? h("video", { class: "lw-video", testid: "video", preload: "metadata", playsinline: true })
    : media === "audio" ? h("audio", { preload: "auto", testid: "audio" }) : null;
  const canvas = h("canvas", { class: "lw-timeline", testid: "timeline-canvas" });
  const readout = h("span", { class: "lw-time", testid: "time" });
  const list = h("ul", { class: "lw-item-list", testid: "segment-list" });
  const note = h("p", { class: "lw-hint", testid: "current-label" });
  const status = h("p", { class: "lw-hint" });
  const root = h("div", { class: "lw-segments" }, picker.root, element && media === "video" ? element : null,
    element && media === "audio" ? element : null, canvas, h("div", { class: "lw-transport" }, readout, note), status, list,
    helpLine([["Space", "play/pause"], ["[", "mark start"], ["]", "mark end"], ["label key", "label"],
      ["{ }", "move start/end of selected"], ["←/→", "seek (Shift: more)"], [", .", "previous/next segment"],
      ["click/drag timeline", "seek / new segment"], ["Del", "delete"], ["Esc", "cancel"]]));
  const g = canvas.getContext("2d");
  const contentHeight = media === "audio" ? 96 : media === "timeseries" ? 150 : 24;

  const now = () => {
    if (element) return element.currentTime || 0;
    return virtual.playing ? Math.min(duration, virtual.time + (performance.now() - virtual.since) / 1000) : virtual.time;
  };
  const playing = () => (element ? !element.paused && !element.ended : virtual.playing);
  function seek(t) {
    const to = Math.max(0, Math.min(duration || 0, t));
    if (element) element.currentTime = to;
    else { virtual.time = to; virtual.since = performance.now(); }
    draw();
  }
  function toggle() {
    if (element) {
      if (playing()) element.pause();
      else element.play().catch(() => { status.textContent = "Playback was refused by the browser; click the timeline first."; });
    } else {
      if (virtual.playing) virtual.time = now();
      else if (virtual.time >= duration) virtual.time = 0;
      virtual.playing = !virtual.playing;
      virtual.since = performance.now();
    }
    loop();
  }
  function loop() {
    cancelAnimationFrame(frame);
    draw();
    if (!element && virtual.playing && now() >= duration) { virtual.time = duration; virtual.playing = false; draw(); return; }
    if (playing()) {
      if (performance.now() - lastPing > 1000) { lastPing = performance.now(); ctx.activity(); }
      frame = requestAnimationFrame(loop);
    }
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    const lanesOf = lanes(segments);
    const laneCount = Math.max(1, ...lanesOf.map((l) => l + 1));
    const cw = canvas.clientWidth || 600;
    const ch = contentHeight + laneCount * LANE + AXIS;
    canvas.style.height = `${ch}px`;
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) {
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(ch * dpr);
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#fff";
    g.fillRect(0, 0, cw, ch);
    const x = (t) => (duration ? (t / duration) * cw : 0);
    if (peaks) {
      g.fillStyle = "#8aa4d6";
      const mid = contentHeight / 2;
      for (let px = 0; px < cw; px += 1) {
        const i = Math.floor((px / cw) * peaks.length);
        const [low, high] = peaks[i] || [0, 0];
        g.fillRect(px, mid - high * mid, 1, Math.max(1, (high - low) * mid));
      }
    } else if (series && duration) {
      drawSeries(g, series, { x0: 0, width: cw, y0: 0, height: contentHeight, start: 0, end: duration });
    }
    segments.forEach((s, i) => {
      const color = colorOf(s.label);
      const [x0, x1] = [x(s.start), x(s.end)];
      g.fillStyle = `${color}22`;
      g.fillRect(x0, 0, Math.max(1, x1 - x0), contentHeight);
      const top = contentHeight + lanesOf[i] * LANE;
      g.fillStyle = color;
      g.globalAlpha = s.suggested ? 0.5 : 1;
      g.fillRect(x0, top + 2, Math.max(2, x1 - x0), LANE - 4);
      g.globalAlpha = 1;
      if (i === selected) { g.strokeStyle = "#111"; g.lineWidth = 2; g.strokeRect(x0, top + 1, Math.max(2, x1 - x0), LANE - 2); }
      g.fillStyle = "#fff";
      g.font = "10px system-ui, sans-serif";
      if (x1 - x0 > 24) g.fillText(s.label, x0 + 3, top + LANE - 5);
    });
    g.fillStyle = "#5f6b76";
    g.font = "10px system-ui, sans-serif";
    const ticks = 8;
    for (let k = 0; k <= ticks && duration; k += 1) {
      const t = (duration * k) / ticks;
      g.fillText(`${t.toFixed(1)}s`, Math.min(cw - 28, x(t) + 2), ch - 4);
    }
    if (pending !== null) { g.fillStyle = "#15803d"; g.fillRect(x(pending) - 1, 0, 2, ch - AXIS); }
    g.fillStyle = "#b91c1c";
    g.fillRect(x(now()) - 1, 0, 2, ch - AXIS);
    readout.textContent = `${clock(now())} / ${clock(duration)}${pending !== null ? ` · start marked at ${clock(pending)}` : ""}`;
    canvas.dataset.duration = String(duration);
  }

  function renderList() {
    note.textContent = `New segments get the label: ${current}`;
    const order = segments.map((_, i) => i).sort((i, j) => segments[i].start - segments[j].start);
    list.replaceChildren(...order.map((i) => {
      const s = segments[i];
      const chip = h("span", { class: "lw-chip", text: s.label });
      chip.style.setProperty("--label-color", colorOf(s.label));
      return h("li", {
        class: i === selected ? "lw-row lw-selected" : "lw-row", testid: "segment-item", "data-label": s.label,
        on: { click: () => { selected = i; seek(s.start); render(); } },
      }, chip, h("span", { class: "lw-excerpt", text: `${s.start.toFixed(3)}–${s.end.toFixed(3)} s` }),
      s.suggested ? h("span", { class: "lw-badge", text: "suggested" }) : null,
      h("button", {
        type: "button", class: "lw-delete", tabindex: "-1", title: "Delete", testid: "delete-segment",
        on: { click: (event) => { event.stopPropagation(); remove(i); } },
      }, "×"));
    }));
    picker.setSelected(selected === null ? [current] : [segments[selected].label]);
    root.classList.toggle("lw-suggested", segments.some((s) => s.suggested));
  }
  function render() { renderList(); draw(); }
  function commit(next) { segments = next; render(); ctx.changed(); }
  function remove(i) { selected = null; commit(segments.filter((_, k) => k !== i)); }

  function fits(start, end, except) {
    if (!(end > start)) { ctx.notify("A segment must end after it starts.", "warn"); return false; }
    if (field.allow_overlap === false) {
      const clash = segments.find((s, k) => k !== except && s.start < end && s.end > start);
      if (clash) {
        ctx.notify(`That overlaps ${clash.label} ${clash.start}–${clash.end} s; this field does not allow overlaps.`, "warn");
        return false;
      }
    }
    return true;
  }
  function add(a, b) {
    const [start, end] = [round(Math.max(0, Math.min(a, b))), round(Math.min(duration || Infinity, Math.max(a, b)))];
    if (!fits(start, end, null)) return false;
    selected = segments.length;
    commit([...segments, { start, end, label: current, suggested: false }]);
    return true;
  }
  function applyLabel(label) {
    current = label;
    if (selected !== null) commit(segments.map((s, k) => (k === selected ? { ...s, label, suggested: false } : s)));
    else renderList();
  }
  function moveEdge(edge) {
    if (selected === null) { ctx.notify("Select a segment first (click it, or , and .).", "warn"); return; }
    const s = segments[selected];
    const next = { ...s, [edge]: round(now()), suggested: false };
    if (!fits(next.start, next.end, selected)) return;
    commit(segments.map((x, k) => (k === selected ? next : x)));
  }

  const timeAt = (event) => {
    const rect = canvas.getBoundingClientRect();
    return (Math.max(0, Math.min(rect.width, event.clientX - rect.left)) / rect.width) * duration;
  };
  canvas.addEventListener("mousedown", (event) => {
    if (!duration) return;
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const y = event.clientY - rect.top;
    const t = timeAt(event);
    if (y > contentHeight) {
      const lanesOf = lanes(segments);
      const lane = Math.floor((y - contentHeight) / LANE);
      const found = segments.findIndex((s, i) => lanesOf[i] === lane && s.start <= t && s.end >= t);
      if (found >= 0) { selected = found; render(); return; }
    }
    drag = { from: t, x: event.clientX, moved: false };
  });
  const onMove = (event) => { if (drag && Math.abs(event.clientX - drag.x) > 4) { drag.moved = true; pending = drag.from; seek(timeAt(event)); } };
  const onUp = (event) => {
    if (!drag) return;
    const done = drag;
    drag = null;
    if (done.moved) { pending = null; add(done.from, timeAt(event)); } else { selected = null; seek(done.from); renderList(); }
  };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  const observer = new ResizeObserver(() => draw());
  observer.observe(canvas);

  function known(seconds) {
    if (!(duration > 0) && Number.isFinite(seconds) && seconds > 0) duration = seconds;
    render();
  }
  if (!url) {
    status.textContent = `No ${media} under "${field.source}" in this item.`;
    status.classList.add("error");
  } else if (element) {
    element.addEventListener("loadedmetadata", () => {
      // Streamed recordings (e.g. MediaRecorder WebM) report an infinite duration until the
      // browser has seeked to their end.
      if (element.duration === Infinity) element.currentTime = 1e101;
      else known(element.duration);
      canvas.dataset.loaded = "true";
    });
    element.addEventListener("durationchange", () => {
      if (!Number.isFinite(element.duration) || duration > 0) return;
      known(element.duration);
      element.currentTime = 0;
    });
    for (const type of ["play", "pause", "seeked", "ended"]) element.addEventListener(type, loop);
    element.addEventListener("error", () => { status.textContent = `The ${media} could not be loaded.`; status.classList.add("error"); });
    if (media === "video") element.addEventListener("click", toggle);
    element.src = url;
    if (media === "audio") {
      // Peaks that media processing computed are a small file; without them the browser
      // decodes the whole file itself.
      const decode = () => {
        fetch(fetchable(url), { credentials: "same-origin" })
          .then((response) => (response.ok ? response.arrayBuffer() : Promise.reject(new Error(String(response.status)))))
          .then((bytes) => new OfflineAudioContext(1, 1, 44100).decodeAudioData(bytes))
          .then((buffer) => {
            const data = buffer.getChannelData(0);
            const buckets = 2000;
            const size = Math.max(1, Math.floor(data.length / buckets));
            peaks = [];
            for (let b = 0; b * size < data.length; b += 1) {
              let low = 0;
              let high = 0;
              for (let k = b * size; k < Math.min(data.length, (b + 1) * size); k += 1) {
                if (data[k] < low) low = data[k];
                if (data[k] > high) high = data[k];
              }
              peaks.push([low, high]);
            }
            canvas.dataset.waveform = "true";
            known(buffer.duration);
          })
          .catch(() => { status.textContent = "The waveform could not be drawn; the audio still plays."; });
      };
      loadJson(derivedUrl(url, "peaks"))
        .then((doc) => {
          if (!Array.isArray(doc.peaks) || !doc.peaks.length) throw new Error("no peaks");
          peaks = doc.peaks.map((p) => (Array.isArray(p) ? [Number(p[0]) || 0, Number(p[1]) || 0] : [0, 0]));
          canvas.dataset.waveform = "true";
          canvas.dataset.peaks = "precomputed";
          known(Number(doc.duration));
        })
        .catch(decode);
    }
  } else {
    // The display copy media processing made (LTTB, a few thousand rows), else the file.
    const display = derivedUrl(url, "series");
    const getText = (from) => fetch(fetchable(from), { credentials: "same-origin" })
      .then((response) => (response.status === 200 ? response.text() : Promise.reject(new Error(String(response.status)))));
    (display ? getText(display).catch(() => getText(url)) : getText(url))
      .then((text) => {
        series = parseSeriesCsv(text);
        canvas.dataset.loaded = "true";
        known(series.times.length ? series.times[series.times.length - 1] : 0);
      })
      .catch(() => { status.textContent = "The time series could not be loaded."; status.classList.add("error"); });
  }
  render();

  return {
    root,
    getState: () => ({ segments: segments.map((s) => ({ ...s })) }),
    setState(next) {
      segments = ((next && next.segments) || []).map((s) => ({ ...s }));
      // Undo/redo restore contents, not a selection: an index may now name another one.
      selected = null;
      render();
    },
    getValue: () => [...segments].sort((a, b) => a.start - b.start || a.end - b.end)
      .map((s) => ({ start: s.start, end: s.end, label: s.label })),
    prefill(value) {
      if (!Array.isArray(value)) return;
      segments = value.filter((s) => s && field.labels.includes(s.label) && Number.isFinite(s.start)
        && Number.isFinite(s.end) && s.start >= 0 && s.end > s.start)
        .map((s) => ({ start: s.start, end: s.end, label: s.label, suggested: true }));
      render();
    },
    isSuggested: () => segments.some((s) => s.suggested),
    handleKey(event) {
      const label = targetForKey(keys, event);
      if (label !== null) { applyLabel(label); return true; }
      if (event.ctrlKey || event.metaKey || event.altKey) return false;
      const big = media === "timeseries" ? duration / 20 : 5;
      const small = media === "timeseries" ? duration / 100 : 1;
      switch (event.key) {
        case " ": toggle(); return true;
        case "[": pending = round(now()); draw(); return true;
        case "]":
          if (pending === null) { ctx.notify("Press [ to mark the start first.", "warn"); return true; }
          // A refused segment keeps its start mark, so the annotator can pick another end.
          if (add(pending, now())) pending = null;
          draw();
          return true;
        case "{": moveEdge("start"); return true;
        case "}": moveEdge("end"); return true;
        case "ArrowLeft": seek(now() - (event.shiftKey ? big : small)); return true;
        case "ArrowRight": seek(now() + (event.shiftKey ? big : small)); return true;
        case "Home": seek(0); return true;
        case "End": seek(duration); return true;
        case ",": case ".": {
          if (!segments.length) return true;
          const order = segments.map((_, i) => i).sort((i, j) => segments[i].start - segments[j].start);
          const at = order.indexOf(selected);
          const next = at < 0 ? (event.key === "." ? 0 : order.length - 1) : (at + (event.key === "." ? 1 : -1) + order.length) % order.length;
          selected = order[next];
          seek(segments[selected].start);
          renderList();
          return true;
        }
        case "Delete": case "Backspace":
          if (selected === null) return false;
          remove(selected);
          return true;
        case "Escape":
          if (pending === null && selected === null) return false;
          pending = null;
          selected = null;
          render();
          return true;
        default: return picker.handleKey(event);
      }
    },
    focus() {},
    destroy() {
      cancelAnimationFrame(frame);
      if (element) { element.pause(); element.removeAttribute("src"); element.load(); }
      window.removeEventListener("mousemove", onMove);
      window.removeEventListener("mouseup", onUp);
      observer.disconnect();
    },
  };
}

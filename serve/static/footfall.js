// Counting lines and zones on a camera's anonymised preview: drawn with the mouse (or a finger),
// saved through the API, shown as overlays with live counts (docs/footfall.md).
//
// The overlay is an SVG whose viewBox is the camera's frame (its pixels are the API's pixels)
// laid over the preview with the same "contain" fit, so a click maps to frame pixels exactly.
import { api, ApiError } from "./api.js";
import { el, fmtDuration, fmtNumber } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const CLOSE_PX = 14; // a click this close (screen pixels) to a zone's first corner closes it
const ARROW_FRAC = 0.06; // length of a line's "in" arrow, as a share of the frame's diagonal
const KIND_TEXT = { area: "Area", queue: "Queue", staff: "Staff only" };

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}

const pointsAttr = (pts) => pts.map(([x, y]) => `${x},${y}`).join(" ");

/** The live figures of every camera, refreshed by the dashboard (`setLiveFootfall`). */
let live = { lines: new Map(), zones: new Map() };
const editors = new Set();

/** Take the API's /footfall/live answer and redraw every overlay's numbers. */
export function setLiveFootfall(snapshot) {
  live = {
    lines: new Map((snapshot.lines || []).map((l) => [`${l.camera_id}/${l.line_id}`, l])),
    zones: new Map((snapshot.zones || []).map((z) => [`${z.camera_id}/${z.zone_id}`, z])),
  };
  for (const editor of editors) editor.showCounts();
}

/** One camera's lines and zones: overlay, drawing tools and list. */
export class GeometryEditor {
  constructor(cameraId, previewBox) {
    this.id = cameraId;
    this.frameSize = null;
    this.lines = [];
    this.zones = [];
    this.mode = null; // null | "line" | "zone"
    this.draft = [];
    this.loaded = false;
    // The delete waiting for its confirming tap ("lines/<id>"), kept here rather than on the button:
    // live counts redraw the list every second, and a button-held state was lost between two taps.
    this.armedDelete = null;
    this.armedTimer = null;
    const id = cameraId;
    this.overlay = svg("svg", { class: "overlay", "data-testid": `overlay-${id}`, role: "img",
      preserveAspectRatio: "xMidYMid meet", "aria-label": "Counting lines and zones" });
    this.overlay.addEventListener("click", (ev) => this.onClick(ev));
    previewBox.append(this.overlay);

    const button = (label, testid, cls, onClick) => {
      const b = el("button", { type: "button", class: cls, "data-testid": `${testid}-${id}` }, label);
      b.addEventListener("click", onClick);
      return b;
    };
    this.drawLine = button("Draw line", "geo-draw-line", "secondary", () => this.start("line"));
    this.drawZone = button("Draw zone", "geo-draw-zone", "secondary", () => this.start("zone"));
    this.finish = button("Save", "geo-finish", "", () => this.save());
    this.cancel = button("Cancel", "geo-cancel", "secondary", () => this.stop(""));
    this.name = el("input", { type: "text", maxlength: "120", placeholder: "Name (optional)",
      "data-testid": `geo-name-${id}`, "aria-label": "Name of the new line or zone" });
    this.entrance = el("input", { type: "checkbox", "data-testid": `geo-entrance-${id}`, id: `geo-entrance-${id}` });
    this.entranceField = el("label", { class: "geo-check", for: `geo-entrance-${id}` }, this.entrance, " Entrance (door)");
    this.kind = el("select", { "data-testid": `geo-kind-${id}`, "aria-label": "Kind of zone" },
      ...Object.entries(KIND_TEXT).map(([value, text]) => el("option", { value }, text)));
    this.status = el("p", { class: "geo-status", role: "status", "data-testid": `geo-status-${id}` });
    this.list = el("ul", { class: "geo-list", "data-testid": `geo-list-${id}` });
    this.drawing = el("div", { class: "geo-drawing", hidden: true },
      this.name, this.entranceField, this.kind, this.finish, this.cancel);
    this.root = el("div", { class: "geo", "data-testid": `geo-${id}` },
      el("div", { class: "geo-tools" }, this.drawLine, this.drawZone), this.drawing, this.status, this.list);
    editors.add(this);
    this.render();
  }

  /** The camera's latest view from /api/v1/cameras (its delivered frame size). */
  setCamera(cam) {
    const size = Array.isArray(cam.frame_size) ? cam.frame_size : null;
    const changed = size && (!this.frameSize || size[0] !== this.frameSize[0] || size[1] !== this.frameSize[1]);
    if (changed) this.frameSize = size;
    if (!this.loaded || changed) this.load();
    else this.render();
  }

  async load() {
    const cam = encodeURIComponent(this.id);
    try {
      const [lines, zones] = await Promise.all([
        api("GET", `/api/v1/cameras/${cam}/lines`), api("GET", `/api/v1/cameras/${cam}/zones`)]);
      this.lines = lines.items || [];
      this.zones = zones.items || [];
      this.frameSize = lines.frame_size || this.frameSize;
      this.loaded = true;
    } catch (err) {
      this.say(`Lines and zones could not be loaded: ${err.message}`, "error");
    }
    this.render();
  }

  destroy() {
    editors.delete(this);
  }

  // ---- drawing --------------------------------------------------------------------------------

  start(mode) {
    if (!this.frameSize) {
      this.say("Waiting for the camera's first picture (its size is not known yet).", "error");
      return;
    }
    this.mode = mode;
    this.draft = [];
    this.name.value = "";
    this.entrance.checked = false;
    this.say(mode === "line" ? "Click the two ends of the line on the picture."
      : "Click the corners of the zone, then Save (or click the first corner again).");
    this.render();
  }

  stop(message) {
    this.mode = null;
    this.draft = [];
    this.say(message);
    this.render();
  }

  toFrame(ev) {
    const ctm = this.overlay.getScreenCTM();
    if (!ctm) return null;
    const pt = this.overlay.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    const p = pt.matrixTransform(ctm.inverse());
    const [w, h] = this.frameSize;
    return [Math.round(Math.min(Math.max(p.x, 0), w)), Math.round(Math.min(Math.max(p.y, 0), h))];
  }

  onClick(ev) {
    if (!this.mode) return;
    const point = this.toFrame(ev);
    if (!point) return;
    if (this.mode === "zone" && this.draft.length >= 3 && this.nearFirst(ev)) {
      this.save();
      return;
    }
    this.draft.push(point);
    if (this.mode === "line" && this.draft.length > 2) this.draft = this.draft.slice(-2);
    this.say(this.mode === "line"
      ? (this.draft.length < 2 ? "Now click the other end." : "Save the line, or click again to move its end.")
      : `${this.draft.length} corner${this.draft.length === 1 ? "" : "s"}${this.draft.length >= 3 ? " — Save to close the zone" : ""}.`);
    this.render();
  }

  nearFirst(ev) {
    const ctm = this.overlay.getScreenCTM();
    const [x, y] = this.draft[0];
    const first = this.overlay.createSVGPoint();
    first.x = x;
    first.y = y;
    const s = first.matrixTransform(ctm);
    return Math.hypot(s.x - ev.clientX, s.y - ev.clientY) <= CLOSE_PX;
  }

  freeId(prefix, items) {
    const taken = new Set(items.map((i) => i.id));
    let n = 1;
    while (taken.has(`${prefix}-${n}`)) n += 1;
    return `${prefix}-${n}`;
  }

  async save() {
    const line = this.mode === "line";
    if (this.draft.length < (line ? 2 : 3)) {
      this.say(line ? "Click two points first." : "A zone needs at least three corners.", "error");
      return;
    }
    const body = line
      ? { id: this.freeId("line", this.lines), name: this.name.value.trim(), points: this.draft,
          entrance: this.entrance.checked }
      : { id: this.freeId("zone", this.zones), name: this.name.value.trim(), points: this.draft,
          kind: this.kind.value };
    this.finish.disabled = true;
    try {
      await api("POST", `/api/v1/cameras/${encodeURIComponent(this.id)}/${line ? "lines" : "zones"}`, body);
      this.mode = null;
      this.draft = [];
      await this.load();
      this.say(`Saved ${line ? "line" : "zone"} ${body.name || body.id}.`, "ok");
    } catch (err) {
      const where = err instanceof ApiError && err.field ? ` (${err.field})` : "";
      this.say(`Not saved${where}: ${err.message}`, "error");
    } finally {
      this.finish.disabled = false;
      this.render();
    }
  }

  async remove(kind, item) {
    const key = `${kind}/${item.id}`;
    if (this.armedDelete !== key) {
      this.armDelete(key);
      return;
    }
    this.armDelete(null);
    try {
      await api("DELETE", `/api/v1/cameras/${encodeURIComponent(this.id)}/${kind}/${encodeURIComponent(item.id)}`);
      await this.load();
      this.say(`Deleted ${item.name || item.id}.`, "ok");
    } catch (err) {
      this.say(`Not deleted: ${err.message}`, "error");
    }
  }

  /** Ask for a second tap on `key`'s delete button for four seconds (null: nothing armed). */
  armDelete(key) {
    clearTimeout(this.armedTimer);
    this.armedDelete = key;
    this.armedTimer = key === null ? null : setTimeout(() => this.armDelete(null), 4000);
    this.renderList();
  }

  say(text, state = "") {
    this.status.textContent = text || "";
    this.status.dataset.state = state;
  }

  // ---- drawing the overlay ------------------------------------------------------------------

  render() {
    const drawing = this.mode !== null;
    this.drawing.hidden = !drawing;
    this.entranceField.hidden = this.mode !== "line";
    this.kind.hidden = this.mode !== "zone";
    this.drawLine.disabled = this.drawZone.disabled = drawing;
    this.overlay.classList.toggle("drawing", drawing);
    if (!this.frameSize) {
      this.overlay.replaceChildren();
      this.renderList();
      return;
    }
    const [w, h] = this.frameSize;
    this.overlay.setAttribute("viewBox", `0 0 ${w} ${h}`);
    const unit = this.screenUnit(w, h); // frame pixels per screen pixel: strokes and text keep their size
    const shapes = [];
    for (const z of this.zones) {
      const g = svg("g", { class: `zone kind-${z.kind}`, "data-testid": `zone-${this.id}-${z.id}` });
      g.append(svg("polygon", { points: pointsAttr(z.points), "stroke-width": 2 * unit }));
      const [cx, cy] = centroid(z.points);
      g.append(label(cx, cy, `${z.name || z.id}: ${this.zoneCount(z)}`, unit, `zone-count-${this.id}-${z.id}`));
      shapes.push(g);
    }
    for (const l of this.lines) {
      const [[ax, ay], [bx, by]] = l.points;
      const g = svg("g", { class: `line${l.entrance ? " entrance" : ""}`, "data-testid": `line-${this.id}-${l.id}` });
      g.append(svg("line", { x1: ax, y1: ay, x2: bx, y2: by, "stroke-width": 3 * unit }));
      // The "in" side: from side −1 to +1, i.e. towards the normal (−dy, dx) of A→B.
      const len = Math.hypot(bx - ax, by - ay) || 1;
      const arrow = ARROW_FRAC * Math.hypot(w, h);
      const [mx, my] = [(ax + bx) / 2, (ay + by) / 2];
      const [nx, ny] = [(-(by - ay) / len) * arrow, ((bx - ax) / len) * arrow];
      g.append(svg("line", { class: "arrow", x1: mx, y1: my, x2: mx + nx, y2: my + ny, "stroke-width": 2 * unit,
        "marker-end": `url(#arrow-${this.id})` }));
      // The label starts just past the arrow's tip, on the "in" side, so it never hides the arrow.
      const across = Math.abs(nx) >= Math.abs(ny);
      const anchor = across ? (nx < 0 ? "end" : "start") : "middle";
      const gap = 6 * unit;
      const [tx, ty] = [mx + nx + Math.sign(nx) * gap, my + ny + (across ? 0 : Math.sign(ny) * 2 * gap)];
      g.append(label(tx, ty, `${l.name || l.id} · ${this.lineCount(l)}`, unit, `line-count-${this.id}-${l.id}`, anchor));
      shapes.push(g);
    }
    if (drawing && this.draft.length) {
      const d = this.draft;
      shapes.push(this.mode === "line" && d.length === 2
        ? svg("line", { class: "draft", x1: d[0][0], y1: d[0][1], x2: d[1][0], y2: d[1][1], "stroke-width": 3 * unit })
        : svg("polyline", { class: "draft", points: pointsAttr(d), "stroke-width": 2 * unit }));
      for (const [x, y] of d) shapes.push(svg("circle", { class: "draft-dot", cx: x, cy: y, r: 5 * unit }));
    }
    const defs = svg("defs");
    const marker = svg("marker", { id: `arrow-${this.id}`, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 5,
      markerHeight: 5, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }));
    defs.append(marker);
    this.overlay.replaceChildren(defs, ...shapes);
    this.fitLabels();
    this.renderList();
  }

  /** Move labels that stick out of the frame back inside it (they are laid out after drawing). */
  fitLabels() {
    if (!this.frameSize) return;
    const [w, h] = this.frameSize;
    for (const t of this.overlay.querySelectorAll("text.label")) {
      if (t.dataset.x === undefined) { t.dataset.x = t.getAttribute("x"); t.dataset.y = t.getAttribute("y"); }
      const [x0, y0] = [Number(t.dataset.x), Number(t.dataset.y)];
      t.setAttribute("x", x0);
      t.setAttribute("y", y0);
      let b;
      try { b = t.getBBox(); } catch { continue; } // not laid out (hidden card)
      const dx = b.x < 0 ? -b.x : Math.min(0, w - (b.x + b.width));
      const dy = b.y < 0 ? -b.y : Math.min(0, h - (b.y + b.height));
      t.setAttribute("x", x0 + dx);
      t.setAttribute("y", y0 + dy);
    }
  }

  screenUnit(w, h) {
    const box = this.overlay.getBoundingClientRect();
    const scale = Math.min(box.width / w, box.height / h); // the "contain" fit of the preview
    return scale > 0 ? 1 / scale : Math.max(w, h) / 640;
  }

  lineCount(l) {
    const c = live.lines.get(`${this.id}/${l.id}`);
    return c ? `in ${c.in} · out ${c.out}` : "in — · out —";
  }

  zoneCount(z) {
    const c = live.zones.get(`${this.id}/${z.id}`);
    if (!c) return "—";
    const wait = z.kind === "queue" && c.wait_s !== null && c.wait_s !== undefined ? `, wait ≈ ${fmtDuration(c.wait_s)}` : "";
    return `${fmtNumber(c.count)}${wait}`;
  }

  /** Only the numbers changed: update the texts in place (cheaper than redrawing, keeps a draft). */
  showCounts() {
    for (const l of this.lines) {
      const t = this.overlay.querySelector(`[data-testid="${CSS.escape(`line-count-${this.id}-${l.id}`)}"]`);
      if (t) t.textContent = `${l.name || l.id} · ${this.lineCount(l)}`;
    }
    for (const z of this.zones) {
      const t = this.overlay.querySelector(`[data-testid="${CSS.escape(`zone-count-${this.id}-${z.id}`)}"]`);
      if (t) t.textContent = `${z.name || z.id}: ${this.zoneCount(z)}`;
    }
    this.fitLabels();
    this.renderList();
  }

  renderList() {
    const rows = [
      ...this.lines.map((l) => this.row("lines", l, `Line${l.entrance ? " (entrance)" : ""}`, this.lineCount(l))),
      ...this.zones.map((z) => this.row("zones", z, KIND_TEXT[z.kind] || z.kind, `now ${this.zoneCount(z)}`)),
    ];
    this.list.replaceChildren(...rows);
  }

  row(kind, item, what, figures) {
    const armed = this.armedDelete === `${kind}/${item.id}`;
    const del = el("button", { type: "button", class: "danger small", "data-testid": `geo-delete-${this.id}-${kind}-${item.id}`,
      "aria-label": `Delete ${item.name || item.id}`, "data-armed": armed }, armed ? "Tap again" : "Delete");
    del.addEventListener("click", () => this.remove(kind, item));
    return el("li", {}, el("span", { class: "geo-item" }, el("span", { class: "geo-name" }, item.name || item.id),
      el("span", { class: "geo-what" }, what)), el("span", { class: "geo-figures" }, figures), del);
  }
}

function centroid(points) {
  const n = points.length || 1;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}

function label(x, y, text, unit, testid, anchor = "middle") {
  return svg("text", { x, y, class: "label", "font-size": 12 * unit, "stroke-width": 3 * unit,
    "text-anchor": anchor, "dominant-baseline": "middle", "data-testid": testid }, text);
}

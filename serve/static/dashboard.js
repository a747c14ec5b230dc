// The shop owner's page: cameras with live anonymised previews, today's numbers, events, visits.
import { api, ApiError, LiveSocket } from "./api.js";
import { renderHourChart } from "./chart.js";
import { byTestId, el, fmtDuration, fmtNumber, fmtTime, startOfToday, toMillis } from "./dom.js";
import { GeometryEditor, setLiveFootfall } from "./footfall.js";
import { describeAlertEvent, onAlertEvent, refreshAlerts, setAlertCameraNames } from "./alerts.js";
import { setHeatmapCameras, startHeatmaps } from "./heatmap.js";

const CAMERAS_EVERY_MS = 2000;
const STATS_EVERY_MS = 15000;
const CONFIG_EVERY_MS = 30000;
const STATS_DEBOUNCE_MS = 3000;
const FOOTFALL_EVERY_MS = 2000;
const FEED_MAX = 50;
const VISITS_SHOWN = 20;
const METRIC_SAMPLES = 500;

// Symbol + word + colour, so the state reads without colour vision too.
const STATUS_TEXT = {
  live: "● Live", stalled: "◐ Stalled", reconnecting: "↻ Reconnecting", connecting: "… Connecting",
  offline: "○ Offline", error: "✕ Error",
};
const PRIVACY_TEXT = { head: "heads blurred", body: "bodies pixelated", silhouette: "silhouettes", off: "OFF" };

// Figures the browser tests read (a curious owner can too, in the console).
const metrics = (window.pictagMetrics = {
  previewFrames: {}, previewIntervalsMs: [], previewLatencyMs: [], firstPreviewMs: null, events: 0,
});

function pushSample(list, value) {
  list.push(value);
  if (list.length > METRIC_SAMPLES) list.shift();
}

// A phone showing one card at a time streams only the pictures on screen.
const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const card = [...cards.values()].find((c) => c.root === entry.target);
    if (card) card.setOnScreen(entry.isIntersecting);
  }
}, { rootMargin: "200px" });

/** One camera tile; owns its preview WebSocket and the blob URLs of its pictures. */
class CameraCard {
  constructor(cam) {
    const id = cam.id;
    this.id = id;
    this.enabled = false;
    this.status = null;
    this.socket = null;
    this.shownUrl = null;
    this.latestUrl = null;
    this.destroyed = false;
    this.meta = null;
    this.lastFrameAt = null;
    this.onScreen = true; // until the observer says otherwise
    this.title = el("h3", {}, cam.name || id);
    this.badge = el("span", { class: "badge", "data-testid": `status-${id}` });
    this.img = el("img", { "data-testid": `preview-${id}`, alt: "", hidden: true });
    this.placeholder = el("p", { class: "preview-empty", "data-testid": `preview-empty-${id}` });
    this.reason = el("p", { class: "reason", "data-testid": `reason-${id}` });
    this.occupancy = el("dd", { class: "big", "data-testid": `occupancy-${id}` }, "—");
    this.fps = el("dd", { "data-testid": `fps-${id}` }, "—");
    this.delay = el("dd", { "data-testid": `latency-${id}` }, "—");
    this.skipped = el("dd", { "data-testid": `skipped-${id}` }, "—");
    const stat = (label, dd, title) => el("div", { title }, el("dt", {}, label), dd);
    const previewBox = el("div", { class: "preview", "data-testid": `preview-box-${id}` }, this.img, this.placeholder);
    this.geometry = new GeometryEditor(id, previewBox); // counting lines and zones (footfall.js)
    this.root = el("article", { class: "camera", "data-testid": `camera-card-${id}` },
      el("div", { class: "camera-head" }, this.title, this.badge),
      previewBox,
      this.reason,
      el("dl", { class: "cam-stats" },
        stat("People", this.occupancy, "People in view right now"),
        stat("Analysed", this.fps, "Frames analysed per second (the configured cap)"),
        stat("Delay", this.delay, "Time from camera frame to result, 95th percentile"),
        stat("Skipped", this.skipped, "Share of frames skipped to keep up (newest frames win)")),
      this.geometry.root);
    visibility.observe(this.root);
    this.update(cam);
  }

  update(cam) {
    const name = cam.name || cam.id;
    this.title.textContent = name;
    this.img.alt = `Anonymised live picture from ${name}`;
    this.enabled = cam.enabled !== false;
    this.setStatus(cam.status, cam.reason, cam.since);
    this.occupancy.textContent = fmtNumber(cam.occupancy);
    const fps = Number(cam.analysis_fps);
    this.fps.textContent = fps > 0 ? `${Number.isInteger(fps) ? fps : fps.toFixed(1)} fps` : "—";
    // Delay and skips describe a running camera; an offline one shows none rather than stale ones.
    const live = cam.status === "live";
    const p95 = cam.latency_ms && cam.latency_ms.p95;
    this.delay.textContent = !live || p95 === null || p95 === undefined ? "—" : `${Math.round(p95)} ms`;
    this.skipped.textContent = !live || cam.skip_rate === undefined ? "—" : `${Math.round(cam.skip_rate * 100)} %`;
    if (this.enabled) this.startPreview(); else this.stopPreview();
    this.geometry.setCamera(cam);
  }

  setStatus(status, reason, since) {
    this.status = status || "offline";
    this.badge.dataset.status = this.status;
    this.badge.textContent = STATUS_TEXT[this.status] || this.status;
    const when = this.status !== "live" && toMillis(since) ? ` · since ${fmtTime(since, true)}` : "";
    this.reason.textContent = reason ? reason + when : "";
    this.reason.hidden = !reason;
    this.img.classList.toggle("stale", this.status !== "live");
    if (!this.shownUrl) {
      this.placeholder.textContent = !this.enabled ? "Camera disabled"
        : this.status === "live" ? "Waiting for the first picture…"
        : `No live picture (${(STATUS_TEXT[this.status] || this.status).replace(/^\S+ /, "").toLowerCase()})`;
    }
  }

  startPreview() {
    if (this.socket || document.hidden || !this.onScreen) return;
    this.socket = new LiveSocket(`/ws/cameras/${encodeURIComponent(this.id)}/preview`, {
      onMessage: (data) => this.onFrame(data),
    });
  }

  stopPreview() {
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  onFrame(data) {
    if (typeof data === "string") {
      // Optional metadata sent before a picture (e.g. {"captured_at": unix seconds}).
      try { this.meta = JSON.parse(data); } catch { this.meta = null; }
      return;
    }
    // Decode off-screen first, then point the visible image at the decoded picture: no blank
    // frame while a JPEG decodes, and a picture overtaken by a newer one is dropped.
    const url = URL.createObjectURL(data);
    const meta = this.meta;
    this.meta = null;
    this.latestUrl = url;
    const probe = new Image();
    probe.src = url;
    probe.decode().then(() => {
      if (this.latestUrl !== url || this.destroyed) {
        URL.revokeObjectURL(url);
        return;
      }
      const previous = this.shownUrl;
      this.img.src = url;
      this.img.hidden = false;
      this.shownUrl = url;
      if (previous) URL.revokeObjectURL(previous);
      this.placeholder.hidden = true;
      this.recordFrame(meta);
    }, () => URL.revokeObjectURL(url));
  }

  recordFrame(meta) {
    const now = performance.now();
    metrics.previewFrames[this.id] = (metrics.previewFrames[this.id] || 0) + 1;
    if (metrics.firstPreviewMs === null) metrics.firstPreviewMs = now;
    if (this.lastFrameAt !== null) pushSample(metrics.previewIntervalsMs, now - this.lastFrameAt);
    this.lastFrameAt = now;
    const captured = meta && toMillis(meta.captured_at ?? meta.ts_unix ?? meta.ts);
    if (captured) pushSample(metrics.previewLatencyMs, Date.now() - captured);
  }

  setOnScreen(onScreen) {
    this.onScreen = onScreen;
    if (onScreen && this.enabled) this.startPreview();
    else if (!onScreen) this.stopPreview();
  }

  destroy() {
    visibility.unobserve(this.root);
    this.stopPreview();
    this.geometry.destroy();
    this.destroyed = true;
    if (this.shownUrl) URL.revokeObjectURL(this.shownUrl);
    this.shownUrl = this.latestUrl = null;
    this.root.remove();
  }
}

const cards = new Map();
const failures = new Map();
let cameraNames = {};

function noteResult(source, err) {
  if (err) failures.set(source, err instanceof ApiError ? err.message : String(err));
  else failures.delete(source);
  const banner = byTestId("load-error");
  banner.hidden = failures.size === 0;
  banner.textContent = failures.size
    ? `Some information could not be loaded (retrying): ${[...failures].map(([k, v]) => `${k}: ${v}`).join("; ")}`
    : "";
}

function renderCameras(items) {
  const grid = byTestId("camera-grid");
  const seen = new Set();
  cameraNames = {};
  let total = 0;
  for (const cam of items) {
    seen.add(cam.id);
    cameraNames[cam.id] = cam.name || cam.id;
    let card = cards.get(cam.id);
    if (card) card.update(cam);
    else cards.set(cam.id, (card = new CameraCard(cam)));
    grid.append(card.root); // keeps the API's order; moving a node does not reload its image
    if (cam.enabled !== false) total += cam.occupancy || 0;
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) { card.destroy(); cards.delete(id); }
  }
  byTestId("no-cameras").hidden = items.length > 0;
  byTestId("occupancy-total").textContent = String(total);
  setAlertCameraNames(cameraNames);
  setHeatmapCameras(items);
}

async function refreshCameras() {
  const data = await api("GET", "/api/v1/cameras");
  renderCameras(data.items || []);
}

async function refreshStats() {
  const from = startOfToday();
  const q = new URLSearchParams({ from, to: new Date().toISOString() });
  const s = await api("GET", `/api/v1/stats?${q}`);
  byTestId("visitors-unique").textContent = fmtNumber(s.unique_visitors);
  byTestId("visitors-returning").textContent = fmtNumber(s.returning_visitors);
  if (s.footfall) byTestId("footfall-entered").textContent = fmtNumber(s.footfall.entered);
  byTestId("dwell-avg").textContent = fmtDuration(s.avg_dwell_s);
  byTestId("dwell-median").textContent =
    s.median_dwell_s === null || s.median_dwell_s === undefined
      ? "no visit has ended yet" : `median ${fmtDuration(s.median_dwell_s)}`;
  lastChart = [s.visitors_per_hour, toMillis(from)];
  drawChart();
}

let lastChart = null;
function drawChart() {
  if (lastChart) renderHourChart(byTestId("visitors-chart"), ...lastChart);
}

async function refreshFootfall() {
  const f = await api("GET", "/api/v1/footfall/live");
  byTestId("footfall-occupancy").textContent = fmtNumber(f.occupancy);
  byTestId("footfall-since").textContent = f.since ? `counted since ${fmtTime(f.since, true)}` : "";
  setLiveFootfall(f);
}

async function refreshVisits() {
  const q = new URLSearchParams({ from: startOfToday(), limit: String(VISITS_SHOWN), offset: "0" });
  const data = await api("GET", `/api/v1/visits?${q}`);
  const rows = (data.items || []).map((v) => el("tr", { "data-testid": `visit-${v.id}` },
    el("td", { class: "num" }, fmtTime(v.started_at)),
    el("td", { class: "num" }, v.ended_at ? fmtTime(v.ended_at) : "still here"),
    el("td", { class: "num" }, fmtDuration(v.dwell_s)),
    el("td", {}, (v.cameras || []).map((c) => cameraNames[c] || c).join(", ") || "—"),
    el("td", { class: "mono" }, v.person_id || "—")));
  byTestId("visits-table").tBodies[0].replaceChildren(...rows);
  byTestId("no-visits").hidden = rows.length > 0;
}

async function refreshConfig() {
  const cfg = await api("GET", "/api/v1/config");
  const mode = cfg.privacy && cfg.privacy.anonymize;
  byTestId("privacy-warning").hidden = mode !== "off";
  byTestId("privacy-mode").textContent = mode ? `Privacy: ${PRIVACY_TEXT[mode] || mode}.` : "";
}

async function showVersion() {
  const h = await api("GET", "/api/v1/health", undefined, { redirectOn401: false });
  byTestId("version").textContent = h.version ? `PicTag ${h.version}` : "";
}

// ---- live events --------------------------------------------------------------------------

function describe(ev) {
  const who = ev.person_id || (ev.track_id !== undefined ? `track ${ev.track_id}` : "someone");
  switch (ev.type) {
    case "track.started": return `Person ${who} appeared`;
    case "track.ended": return `Person ${who} left the picture`;
    case "camera.status":
      return `Camera ${STATUS_TEXT[ev.status] || ev.status}${ev.reason ? ` — ${ev.reason}` : ""}`;
    case "identity.created": return `New visitor ${who}`;
    case "identity.matched": return `Returning visitor ${who} recognised`;
    case "visit.started": return `Visit by ${who} started`;
    case "visit.ended":
      return `Visit by ${who} ended${ev.dwell_s !== undefined ? ` after ${fmtDuration(ev.dwell_s)}` : ""}`;
    case "line.crossed": return `${ev.staff ? "Staff" : "Person"} ${who} crossed ${ev.line_id} (${ev.direction})`;
    case "zone.entered": return `${ev.staff ? "Staff" : "Person"} ${who} entered ${ev.zone_id}`;
    case "zone.left":
      return `${ev.staff ? "Staff" : "Person"} ${who} left ${ev.zone_id} after ${fmtDuration(ev.dwell_s)}`;
    case "occupancy.changed":
      return `Inside now: ${ev.occupancy} (${{ crossing: "door", reconciled: "people in view", reset: "closing time" }[ev.reason] || ev.reason})`;
    default: return describeAlertEvent(ev) || ev.type;
  }
}

function addToFeed(ev) {
  const feed = byTestId("event-feed");
  const where = ev.camera_id ? `${cameraNames[ev.camera_id] || ev.camera_id} · ` : "";
  const kind = ev.type === "camera.status" ? "status" : ev.type.startsWith("alert.") ? "alert" : "person";
  feed.prepend(el("li", { "data-type": ev.type, "data-kind": kind },
    el("time", { datetime: ev.ts || "" }, fmtTime(ev.ts || ev.ts_unix)),
    el("span", {}, where + describe(ev))));
  while (feed.children.length > FEED_MAX) feed.lastElementChild.remove();
}

let footfallTimer = null;
function refreshFootfallSoon() {
  if (footfallTimer) return;
  footfallTimer = setTimeout(() => { footfallTimer = null; run("footfall", refreshFootfall); }, 300);
}

let statsTimer = null;
function refreshStatsSoon() {
  if (statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = null;
    run("statistics", refreshStats);
    run("visits", refreshVisits);
  }, STATS_DEBOUNCE_MS);
}

function onEvent(data) {
  if (typeof data !== "string") return;
  let ev;
  try { ev = JSON.parse(data); } catch { return; }
  metrics.events += 1;
  if (ev.type === "track.updated") return; // many per second: counters show them, the feed does not
  if (ev.type === "camera.status" && cards.has(ev.camera_id)) cards.get(ev.camera_id).setStatus(ev.status, ev.reason, ev.ts);
  if (ev.type && ev.type.startsWith("visit.")) refreshStatsSoon();
  if (ev.type === "line.crossed" || ev.type === "occupancy.changed" || (ev.type && ev.type.startsWith("zone."))) {
    refreshFootfallSoon();
  }
  if (ev.type === "line.crossed" && ev.entrance) refreshStatsSoon(); // "Came in today"
  onAlertEvent(ev);
  addToFeed(ev);
}

function onEventsState(state) {
  const pill = byTestId("connection");
  pill.dataset.state = state;
  pill.textContent = state === "open" ? "Live" : "Reconnecting…";
}

// ---- scheduling -----------------------------------------------------------------------------

async function run(name, fn) {
  try {
    await fn();
    noteResult(name, null);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) console.warn(`PicTag: ${name} failed`, err);
    noteResult(name, err);
  }
}

/** Run `fn` now and every `ms` while the page is visible (a chain, so calls never overlap). */
function every(name, ms, fn) {
  let timer = null;
  const tick = async () => {
    timer = null;
    if (document.hidden) return;
    await run(name, fn);
    if (!document.hidden) timer = setTimeout(tick, ms);
  };
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer === null) tick();
  });
  tick();
}

async function start() {
  // Cameras first, so the first events already show camera names.
  startHeatmaps();
  await run("cameras", refreshCameras);
  every("alerts", STATS_EVERY_MS, refreshAlerts);
  every("cameras", CAMERAS_EVERY_MS, refreshCameras);
  every("statistics", STATS_EVERY_MS, refreshStats);
  every("visits", STATS_EVERY_MS, refreshVisits);
  every("footfall", FOOTFALL_EVERY_MS, refreshFootfall);
  every("settings", CONFIG_EVERY_MS, refreshConfig);
  run("version", showVersion);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawChart, 150); });
  new LiveSocket("/ws/events", { onMessage: onEvent, onState: onEventsState });
  // Pictures cost bandwidth and battery: no previews while the tab is in the background.
  document.addEventListener("visibilitychange", () => {
    for (const card of cards.values()) {
      if (document.hidden) card.stopPreview();
      else if (card.enabled) card.startPreview();
    }
  });
}

start();

// Visitors per hour as an inline SVG bar chart: no library, scales with its container.
import { toMillis } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const HOUR_MS = 3600 * 1000;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Hour buckets from `fromMs` to the current hour, zero-filled where the server sent none. */
export function hourBuckets(points, fromMs, nowMs) {
  const counts = new Map();
  for (const p of points || []) {
    const ms = toMillis(p.hour);
    if (ms !== null) counts.set(Math.floor(ms / HOUR_MS), (counts.get(Math.floor(ms / HOUR_MS)) || 0) + (p.visitors || 0));
  }
  const first = Math.floor(fromMs / HOUR_MS);
  const last = Math.floor(nowMs / HOUR_MS);
  const out = [];
  for (let h = first; h <= last; h++) out.push({ ms: h * HOUR_MS, visitors: counts.get(h) || 0 });
  return out;
}

/** Draw the chart into `container` (replacing what was there). */
export function renderHourChart(container, points, fromMs, nowMs = Date.now()) {
  const buckets = hourBuckets(points, fromMs, nowMs);
  // Drawn at the container's pixel width so labels keep their size on a phone.
  const W = Math.max(260, Math.round(container.clientWidth || 600));
  const H = W < 480 ? 170 : 220, left = 30, bottom = 22, top = 12;
  const max = Math.max(1, ...buckets.map((b) => b.visitors));
  const niceMax = max <= 5 ? max : Math.ceil(max / 5) * 5;
  const plotH = H - top - bottom;
  const slot = (W - left) / Math.max(buckets.length, 1);
  const total = buckets.reduce((a, b) => a + b.visitors, 0);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `Visitors per hour today: ${total} in total, at most ${max} in one hour.` });
  for (const frac of [0, 0.5, 1]) {
    const y = top + plotH * (1 - frac);
    root.append(svg("line", { class: "grid", x1: left, x2: W, y1: y, y2: y }));
    root.append(svg("text", { class: "axis", x: left - 4, y: y + 4, "text-anchor": "end" }, String(Math.round(niceMax * frac))));
  }
  const currentHour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const labelEvery = buckets.length > 12 ? 3 : 1;
  buckets.forEach((b, i) => {
    const h = (b.visitors / niceMax) * plotH;
    const x = left + i * slot + slot * 0.15;
    const hourLabel = String(new Date(b.ms).getHours()).padStart(2, "0");
    const bar = svg("rect", { class: b.ms === currentHour ? "bar now" : "bar", x, y: top + plotH - h,
      width: Math.max(1, slot * 0.7), height: Math.max(0, h), rx: 2 });
    bar.append(svg("title", {}, `${hourLabel}:00 – ${b.visitors} visitor${b.visitors === 1 ? "" : "s"}`));
    root.append(bar);
    if (i % labelEvery === 0) {
      root.append(svg("text", { class: "label", x: x + slot * 0.35, y: H - 6, "text-anchor": "middle" }, hourLabel));
    }
  });
  container.replaceChildren(root);
}

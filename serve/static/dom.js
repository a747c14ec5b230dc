// Small DOM and formatting helpers. Data is only ever written with textContent (no HTML injection).

/** Create an element: el("td", {class: "num", "data-testid": "x"}, "text", childNode). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The element with data-testid=id (these ids are the page's stable hooks). */
export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${CSS.escape(id)}"]`);
}

/** Milliseconds since the epoch from an ISO-8601 string or unix seconds; null when unknown. */
export function toMillis(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const shortClock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** Local wall-clock time (HH:MM:SS, or HH:MM with short=true); "—" when unknown. */
export function fmtTime(value, short = false) {
  const ms = toMillis(value);
  return ms === null ? "—" : (short ? shortClock : clock).format(new Date(ms));
}

/** A duration for people: "42 s", "3 min 12 s", "1 h 05 min"; "—" when unknown. */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** A number or "—" (null, undefined, NaN). */
export function fmtNumber(value, digits = 0) {
  return value === null || value === undefined || !Number.isFinite(Number(value))
    ? "—" : Number(value).toFixed(digits);
}

/** Local midnight today as an ISO-8601 UTC string (the start of "today" for the shop). */
export function startOfToday(now = new Date()) {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

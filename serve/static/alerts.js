// Open alerts (issue 18): from GET /api/v1/alerts, kept live by alert.raised / alert.cleared events.
import { api } from "./api.js";
import { byTestId, el, fmtDuration, fmtNumber, fmtTime } from "./dom.js";

const open = new Map(); // alert_id -> alert (the fields of its alert.raised event)
let names = {};

/** Only rules that notify the dashboard are shown (the API lists every open alert). */
function shown(alert) {
  return !alert.notify || alert.notify.includes("dashboard");
}

function where(alert) {
  if (alert.zone_id) return `${names[alert.camera_id] || alert.camera_id} · ${alert.zone_id}`;
  if (alert.camera_id) return names[alert.camera_id] || alert.camera_id;
  return "the shop";
}

/** One line for an alert, in words an owner understands. */
export function describeAlert(alert) {
  const limit = alert.threshold;
  switch (alert.kind) {
    case "occupancy_above": return `More than ${fmtNumber(limit)} people in ${where(alert)}`;
    case "queue_above": return `Queue longer than ${fmtNumber(limit)} at ${where(alert)}`;
    case "zone_dwell_above": return `Someone in ${where(alert)} for over ${fmtDuration(limit)}`;
    case "camera_offline": return `Camera ${where(alert)} is not delivering pictures`;
    default: return `${alert.rule_id}: ${where(alert)}`;
  }
}

/** The event feed's text for alert events (null for other events). */
export function describeAlertEvent(ev) {
  if (ev.type === "alert.raised") return `Alert: ${describeAlert(ev)}`;
  if (ev.type === "alert.cleared") return `Alert over (${ev.rule_id}, after ${fmtDuration(ev.duration_s)})`;
  return null;
}

function render() {
  const list = byTestId("alert-list");
  const items = [...open.values()].sort((a, b) => String(a.raised_at).localeCompare(String(b.raised_at)));
  list.replaceChildren(...items.map((a) => el("li", { "data-testid": `alert-${a.rule_id}`, "data-alert-id": a.alert_id },
    el("strong", {}, describeAlert(a)),
    el("span", { class: "alert-meta" },
      `since ${fmtTime(a.raised_at || a.ts, true)}${a.value !== null && a.value !== undefined ? ` · now ${fmtNumber(a.value)}` : ""}`))));
  byTestId("alerts").hidden = items.length === 0;
}

/** Camera display names for the alert texts. */
export function setAlertCameraNames(cameraNames) {
  names = cameraNames;
  render();
}

/** Replace the open alerts with the server's list. */
export async function refreshAlerts() {
  const data = await api("GET", "/api/v1/alerts");
  open.clear();
  for (const alert of data.items || []) if (shown(alert)) open.set(alert.alert_id, alert);
  render();
}

/** Apply a live event; true when it was an alert event. */
export function onAlertEvent(ev) {
  if (ev.type === "alert.raised") open.set(ev.alert_id, { ...ev, raised_at: ev.ts });
  else if (ev.type === "alert.cleared") open.delete(ev.alert_id);
  else return false;
  render();
  return true;
}

// Heatmap per camera and day (issue 18): GET /api/v1/cameras/{id}/heatmap.png?date=YYYY-MM-DD.
// The picture is drawn by the server over a background with nobody in it.
import { byTestId, el } from "./dom.js";

const REFRESH_MS = 60000; // today's heatmap grows: the store gets it about once a minute

function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

let cameraIds = [];
let timer = null;

function show() {
  const select = byTestId("heatmap-camera");
  const date = byTestId("heatmap-date");
  const img = byTestId("heatmap-image");
  const note = byTestId("heatmap-note");
  const id = select.value;
  clearTimeout(timer);
  if (!id) {
    img.hidden = true;
    note.textContent = "No camera yet.";
    return;
  }
  const day = date.value || today();
  const q = new URLSearchParams({ date: day });
  // A new URL per load: the API answers with no-store, and the browser must not show an old picture.
  q.set("v", String(Date.now()));
  img.alt = `Where people stood in ${select.selectedOptions[0].textContent} on ${day}`;
  img.onload = () => { img.hidden = false; note.textContent = ""; };
  img.onerror = () => { img.hidden = true; note.textContent = `No heatmap for ${day} yet.`; };
  img.src = `/api/v1/cameras/${encodeURIComponent(id)}/heatmap.png?${q}`;
  if (day === today() && !document.hidden) timer = setTimeout(show, REFRESH_MS);
}

/** Keep the camera choice in step with the camera list (keeps the current choice). */
export function setHeatmapCameras(items) {
  const ids = items.map((c) => c.id);
  if (ids.join("\n") === cameraIds.join("\n")) return;
  const select = byTestId("heatmap-camera");
  const current = select.value;
  cameraIds = ids;
  select.replaceChildren(...items.map((c) => el("option", { value: c.id }, c.name || c.id)));
  if (ids.includes(current)) select.value = current;
  show();
}

/** Wire the form; the first picture loads once the cameras are known. */
export function startHeatmaps() {
  const date = byTestId("heatmap-date");
  date.max = today();
  date.value = today();
  byTestId("heatmap-camera").addEventListener("change", show);
  date.addEventListener("change", show);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) show(); });
}

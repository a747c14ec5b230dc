// Settings: cameras (add / edit / disable / remove), detection, re-identification and privacy.
// Every change goes to the REST API at once; the server validates and names the faulty field.
import { api, ApiError } from "./api.js";
import { byTestId } from "./dom.js";
import { busy, clearErrors, readValue, setStatus, showError, writeValue } from "./forms.js";

const CAMERA_FIELD_IDS = { name: "name", url: "url", analysis_fps: "fps", transport: "transport", enabled: "enabled" };
const DISARM_AFTER_MS = 5000;

let config = null;

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

/** The fields of `form` whose value differs from `current`, as a nested partial body. */
function changes(form, current) {
  const patch = {};
  for (const input of form.querySelectorAll("[data-field]")) {
    const field = input.dataset.field;
    const value = readValue(input);
    if (value !== getPath(current, field)) setPath(patch, field, value);
  }
  return patch;
}

function failed(form, err) {
  if (err instanceof ApiError && err.status === 401) return; // on the way to the login page
  showError(form, err instanceof ApiError ? err : new ApiError(0, { detail: String(err) }));
  setStatus(form, "Not saved", "error");
}

// ---- detection, re-id and privacy ---------------------------------------------------------

function fillConfig() {
  for (const form of document.querySelectorAll("form[data-form]")) {
    for (const input of form.querySelectorAll("[data-field]")) writeValue(input, getPath(config, input.dataset.field));
  }
  const allowed = config.privacy && config.privacy.allow_unanonymized;
  byTestId("allow-unanonymized-hint").textContent = allowed
    ? "This installation allows turning anonymisation off. The dashboard then shows a warning."
    : "Turning anonymisation off needs privacy.allow_unanonymized: true in the configuration file.";
}

async function loadConfig() {
  config = await api("GET", "/api/v1/config");
  fillConfig();
}

async function saveConfig(form) {
  clearErrors(form);
  const patch = changes(form, config);
  if (Object.keys(patch).length === 0) {
    setStatus(form, "Nothing changed");
    return;
  }
  setStatus(form, "Saving…");
  await busy(form, async () => {
    try {
      await api("PATCH", "/api/v1/config", patch);
      await loadConfig(); // show what the server applied, not what we sent
      setStatus(form, "Saved and applied", "ok");
    } catch (err) {
      failed(form, err);
    }
  });
}

// ---- cameras ----------------------------------------------------------------------------------

function cameraForm(cam) {
  const form = document.getElementById("camera-form-template").content.firstElementChild.cloneNode(true);
  const id = cam.id;
  form.dataset.testid = `camera-form-${id}`;
  for (const input of form.querySelectorAll("[data-field]")) {
    const field = input.dataset.field;
    input.id = `cam-${id}-${field}`;
    input.dataset.testid = `camera-${CAMERA_FIELD_IDS[field]}-${id}`;
    form.querySelector(`label[data-for="${field}"]`).htmlFor = input.id;
  }
  form.querySelector('[data-role="save"]').dataset.testid = `camera-save-${id}`;
  form.querySelector('[data-role="remove"]').dataset.testid = `camera-remove-${id}`;
  form.querySelector('[data-role="status"]').dataset.testid = `camera-status-${id}`;
  fillCamera(form, cam);
  form.addEventListener("submit", (e) => { e.preventDefault(); saveCamera(form); });
  wireRemove(form, id);
  return form;
}

function fillCamera(form, cam) {
  form.camera = cam;
  form.querySelector(".camera-form-title").textContent = cam.name && cam.name !== cam.id ? `${cam.name} (${cam.id})` : cam.id;
  form.querySelector(".camera-form-url").textContent = `Current address: ${cam.url}`;
  for (const input of form.querySelectorAll("[data-field]")) {
    // The address is never filled in: the API shows it redacted, and sending that back would break it.
    writeValue(input, input.dataset.field === "url" ? "" : cam[input.dataset.field]);
  }
}

async function saveCamera(form) {
  clearErrors(form);
  const patch = changes(form, form.camera);
  if (patch.url === "") delete patch.url;
  if (Object.keys(patch).length === 0) {
    setStatus(form, "Nothing changed");
    return;
  }
  setStatus(form, "Saving…");
  await busy(form, async () => {
    try {
      const cam = await api("PATCH", `/api/v1/cameras/${encodeURIComponent(form.camera.id)}`, patch);
      fillCamera(form, cam);
      setStatus(form, patch.url || "analysis_fps" in patch ? "Saved; the camera reconnects" : "Saved", "ok");
    } catch (err) {
      failed(form, err);
    }
  });
}

/** Remove asks twice: the first tap arms the button, a second within a few seconds removes. */
function wireRemove(form, id) {
  const remove = form.querySelector('[data-role="remove"]');
  const cancel = form.querySelector('[data-role="cancel-remove"]');
  let timer = null;
  const disarm = () => {
    clearTimeout(timer);
    delete remove.dataset.armed;
    remove.textContent = "Remove";
    cancel.hidden = true;
  };
  cancel.addEventListener("click", disarm);
  remove.addEventListener("click", async () => {
    clearErrors(form);
    if (!("armed" in remove.dataset)) {
      remove.dataset.armed = "";
      remove.textContent = "Tap again to remove";
      cancel.hidden = false;
      timer = setTimeout(disarm, DISARM_AFTER_MS);
      return;
    }
    disarm();
    await busy(form, async () => {
      try {
        await api("DELETE", `/api/v1/cameras/${encodeURIComponent(id)}`);
        form.remove();
        noCamerasNote();
      } catch (err) {
        failed(form, err);
      }
    });
  });
}

function noCamerasNote() {
  const list = byTestId("camera-forms");
  if (!list.querySelector("form")) list.replaceChildren(Object.assign(document.createElement("p"), {
    className: "empty", textContent: "No cameras yet: add one below.",
  }));
}

async function loadCameras() {
  const data = await api("GET", "/api/v1/cameras");
  const list = byTestId("camera-forms");
  list.replaceChildren(...(data.items || []).map(cameraForm));
  noCamerasNote();
}

async function addCamera(form) {
  clearErrors(form);
  const body = {};
  for (const input of form.querySelectorAll("[data-field]")) body[input.dataset.field] = readValue(input);
  if (body.name === "") delete body.name;
  setStatus(form, "Adding…");
  await busy(form, async () => {
    try {
      const cam = await api("POST", "/api/v1/cameras", body);
      const list = byTestId("camera-forms");
      list.querySelector(".empty")?.remove();
      list.append(cameraForm(cam));
      form.reset();
      setStatus(form, `Added ${cam.id}`, "ok");
    } catch (err) {
      failed(form, err);
    }
  });
}

// ---- start ------------------------------------------------------------------------------------

async function start() {
  for (const form of document.querySelectorAll("form[data-form]")) {
    form.addEventListener("submit", (e) => { e.preventDefault(); saveConfig(form); });
  }
  const add = byTestId("add-camera-form");
  add.addEventListener("submit", (e) => { e.preventDefault(); addCamera(add); });
  const banner = byTestId("load-error");
  const problems = [];
  await Promise.all([
    loadConfig().catch((err) => problems.push(`settings: ${err.message}`)),
    loadCameras().catch((err) => problems.push(`cameras: ${err.message}`)),
  ]);
  banner.hidden = problems.length === 0;
  banner.textContent = problems.length ? `Could not load ${problems.join("; ")}. Reload to retry.` : "";
  document.body.dataset.ready = "true";
}

start();

// Form plumbing shared by the settings and login pages: read values, show server errors by field.
import { el } from "./dom.js";

/** Remove every error shown in `form` (field messages, invalid marks, the form message). */
export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((p) => p.remove());
  form.querySelectorAll("[aria-invalid]").forEach((input) => {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  });
  const formError = form.querySelector('[data-role="form-error"]');
  formError.hidden = true;
  formError.textContent = "";
}

/**
 * The input an error's `field` names: an exact data-field ("reid.threshold"), else the last
 * dotted part ("cameras.0.analysis_fps" → "analysis_fps" in a camera form).
 */
export function inputFor(form, field) {
  if (!field) return null;
  const exact = form.querySelector(`[data-field="${CSS.escape(field)}"]`);
  if (exact) return exact;
  const last = field.split(".").pop();
  return form.querySelector(`[data-field="${CSS.escape(last)}"]`);
}

/** Show an ApiError next to the field it names (or at the form's foot) and focus that field. */
export function showError(form, err) {
  const input = inputFor(form, err.field);
  if (!input) {
    const formError = form.querySelector('[data-role="form-error"]');
    formError.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
    formError.hidden = false;
    return;
  }
  const id = `${input.id || input.name}-error`;
  // "detector.confidence: Input should be ≤ 1" reads as "Input should be ≤ 1" beside that field.
  const message = err.message.replace(/^[\w.\[\]]+:\s+/, "");
  const testid = input.dataset.testid ? `error-${input.dataset.testid}` : undefined;
  input.closest(".field").append(el("p", { class: "field-error", id, "data-testid": testid, role: "alert" }, message));
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
  input.focus();
}

/** A short note beside the form's buttons; state "ok" shows a tick. */
export function setStatus(form, text, state = "") {
  const status = form.querySelector('[role="status"]');
  status.textContent = text;
  status.dataset.state = state;
}

/**
 * An input's value for the API: booleans for checkboxes, numbers for number inputs that
 * parse. Anything else goes as typed, so the server's validation (not ours) names the problem.
 */
export function readValue(input) {
  if (input.type === "checkbox") return input.checked;
  const raw = input.value.trim();
  if (input.type === "number" && raw !== "" && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/** Put a value into an input (checkbox, select or text). */
export function writeValue(input, value) {
  if (input.type === "checkbox") input.checked = Boolean(value);
  else input.value = value === null || value === undefined ? "" : String(value);
}

/** Disable the submit buttons while `work` runs, so a double tap sends one request. */
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// Sign in: trade the access token for an HttpOnly cookie, then go back where the user came from.
import { api, ApiError } from "./api.js";
import { byTestId } from "./dom.js";
import { busy, clearErrors, showError } from "./forms.js";

/** Only a path on this server: never an absolute URL an attacker put into ?next=. */
function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

const form = byTestId("login-form");
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(form);
  const token = form.elements.token.value;
  if (!token) {
    showError(form, new ApiError(400, { detail: "Enter the access token.", field: "token" }));
    return;
  }
  await busy(form, async () => {
    try {
      await api("POST", "/api/v1/login", { token }, { redirectOn401: false });
      location.assign(nextPath());
    } catch (err) {
      const wrong = err instanceof ApiError && (err.status === 401 || err.status === 403);
      showError(form, wrong ? new ApiError(err.status, { detail: "That token is not right.", field: "token" }) : err);
    }
  });
});

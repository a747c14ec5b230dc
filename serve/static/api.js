// The only module that talks to the PicTag server: REST calls and reconnecting WebSockets.

/** A failed API call, carrying the server's error body {error, detail, field}. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.error = (body && body.error) || "http_error";
    this.field = (body && body.field) || null;
  }
}

/** Send the browser to the login page, remembering where it was. */
export function toLogin() {
  if (location.pathname === "/login") return;
  const next = location.pathname + location.search + location.hash;
  location.assign("/login?next=" + encodeURIComponent(next));
}

/**
 * Call the REST API; resolves to the parsed JSON body (null for 204).
 * A 401 means the login cookie is missing or stale: go to the login page.
 */
export async function api(method, path, body, { redirectOn401 = true } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { error: "network", detail: "PicTag is not reachable (is it running?)" });
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: "bad_response", detail: text.slice(0, 200) }; }
  }
  if (res.status === 401 && redirectOn401) toLogin();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** ws:// or wss:// URL of a path on this server (the login cookie goes along). */
export function wsUrl(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}

/**
 * A WebSocket that reconnects with capped exponential back-off until closed.
 * onMessage(data) gets strings and Blobs; onState("open" | "closed") tracks the link.
 */
export class LiveSocket {
  constructor(path, { onMessage, onState = () => {}, binaryType = "blob", maxDelayMs = 10000 }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onState = onState;
    this.binaryType = binaryType;
    this.maxDelayMs = maxDelayMs;
    this.delayMs = 500;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const ws = new WebSocket(wsUrl(this.path));
    ws.binaryType = this.binaryType;
    ws.onopen = () => { this.delayMs = 500; this.onState("open"); };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onState("closed");
      if (!this.stopped) {
        this.timer = setTimeout(() => this.connect(), this.delayMs);
        this.delayMs = Math.min(this.delayMs * 2, this.maxDelayMs);
      }
    };
    this.ws = ws;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
  }
}

// Server calls from the labeling page: JSON posts with the CSRF token, and retries through
// network errors and overload that keep the work in the page and say so.
import { showStatus } from "./label_session.js";

const RETRY_MAX_MS = 15000;
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") || "";
// The pending backoff's resolver while a retry waits: "Retry now" cuts the wait short.
export let waiting = null;

export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; plain-http LAN installs fall back to a v4 UUID by hand.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
  });
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

export async function get(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, data };
}

/** Repeat `call` through network errors and 5xx/429 answers, with backoff; Retry now skips the wait. */
export async function withRetry(call, what) {
  for (let attempt = 0; ; attempt += 1) {
    let failure;
    try {
      const result = await call();
      if (result.status < 500 && result.status !== 429) return result;
      failure = result.data?.message || `server error ${result.status}`;
    } catch (error) {
      failure = "network error";
    }
    const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** attempt);
    showStatus(`Problem while ${what} (${failure}). Your work is kept in this page; retrying in ${Math.round(delay / 1000)} s.`,
      "error", { label: "Retry now", run: retryNow });
    await new Promise((resolve) => { waiting = resolve; setTimeout(resolve, delay); });
    waiting = null;
  }
}
export function retryNow() { if (waiting) waiting(); }

export const problemOf = (result) => result.data?.message || `The server answered ${result.status}.`;

// The console's only back end is the public REST API and /auth/*, same-origin, authenticated by the HttpOnly session
// cookie. State-changing requests carry the session's anti-forgery token; a 401 from the API means the session ended.

/** An RFC 9457 problem the gateway or a service answered with. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterSeconds: number | null;

  constructor(status: number, code: string, detail: string, retryAfterSeconds: number | null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

let csrfToken: string | null = null;
const sessionEndedListeners = new Set<() => void>();

/** The token sent as X-CSRF-Token; null when signed out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an API call answers 401: the session was signed out elsewhere, expired or its key was removed. */
export function onSessionEnded(listener: () => void): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

const safeMethods = new Set(["GET", "HEAD"]);

/** Sends a request to the gateway; resolves the response, or throws ApiError for any status outside 2xx. */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? "GET").toUpperCase();
  const headers = new Headers(init.headers);
  headers.set("Accept", "application/json, application/problem+json");
  if (!safeMethods.has(method) && csrfToken !== null) {
    headers.set("X-CSRF-Token", csrfToken);
  }

  let response: Response;
  try {
    response = await fetch(path, { ...init, method, headers, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, "unreachable", "The gateway could not be reached. Check the connection and try again.", null);
  }

  if (response.ok) {
    return response;
  }

  const error = await problemOf(response);
  if (response.status === 401 && path.startsWith("/api/")) {
    sessionEndedListeners.forEach((listener) => listener());
  }
  throw error;
}

/** GET a JSON document. */
export async function getJson<T>(path: string): Promise<T> {
  const response = await send(path);
  return (await response.json()) as T;
}

/** POST a JSON body; resolves the response. */
export function postJson(path: string, body: unknown): Promise<Response> {
  return send(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

async function problemOf(response: Response): Promise<ApiError> {
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  let code = "http_" + response.status;
  let detail = `The request failed (${response.status} ${response.statusText}).`;
  try {
    const problem = (await response.json()) as { code?: unknown; detail?: unknown; title?: unknown };
    if (typeof problem.code === "string") code = problem.code;
    if (typeof problem.detail === "string") detail = problem.detail;
    else if (typeof problem.title === "string") detail = problem.title;
  } catch {
    // Not a problem document: keep the status line.
  }
  return new ApiError(response.status, code, detail, Number.isFinite(retryAfter) ? retryAfter : null);
}

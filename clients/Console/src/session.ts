import { ApiError, getJson, postJson, send, setCsrfToken } from "./api";

export type Role = "viewer" | "submitter" | "approver" | "admin";

/** Who is signed in, as GET /auth/session answers. The API key itself is never kept in the browser. */
export interface Session {
  identity: string;
  role: Role;
  csrfToken: string;
}

const roles: readonly Role[] = ["viewer", "submitter", "approver", "admin"];

/** Roles are cumulative: viewer < submitter < approver < admin. */
export function can(role: Role, required: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(required);
}

/** The current session, or null when not signed in. */
export async function loadSession(): Promise<Session | null> {
  try {
    const session = await getJson<Session>("/auth/session");
    setCsrfToken(session.csrfToken);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

/** Exchanges an API key for the session cookie, then reads the session. */
export async function signIn(apiKey: string): Promise<Session> {
  await postJson("/auth/login", { apiKey });
  const session = await loadSession();
  if (session === null) {
    throw new ApiError(401, "unauthenticated", "Signed in, but the browser did not keep the session cookie (are cookies blocked?).", null);
  }
  return session;
}

/** Ends the session on the gateway (the cookie stops working at once). */
export async function signOut(): Promise<void> {
  try {
    await send("/auth/logout", { method: "POST" });
  } finally {
    setCsrfToken(null);
  }
}

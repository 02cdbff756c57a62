import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { signIn, type Session } from "../session";

/**
 * The API key is typed here, sent once to POST /auth/login and dropped: the browser keeps only the HttpOnly session
 * cookie the gateway sets, which scripts cannot read.
 */
export function SignInPage(props: { notice: string | null; onSignedIn: (session: Session) => void }) {
  const [apiKey, setApiKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (apiKey.trim() === "") {
      setError("Enter an API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(apiKey);
      setApiKey("");
      props.onSignedIn(session);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Sign in to RunMesh</h1>
      {props.notice && !error && <p class="notice" role="status">{props.notice}</p>}
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={apiKey}
          onInput={(event) => setApiKey((event.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
          aria-errormessage={error ? "sign-in-error" : undefined}
          required
        />
        <p id="sign-in-help" class="help">
          Your key's role decides what you can do. The key is not stored in the browser: signing in gives it a session
          that ends when you sign out, close the browser or stay idle for 8 hours.
        </p>
        {error && (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

function messageOf(failure: unknown): string {
  if (!(failure instanceof ApiError)) return "Signing in failed. Try again.";
  if (failure.status === 401) return "That API key is not valid. Check that it was copied whole (keys are case-sensitive).";
  if (failure.status === 429) {
    const wait = failure.retryAfterSeconds ?? 60;
    return `Too many sign-in attempts from this address. Try again in ${wait} s.`;
  }
  return failure.message;
}

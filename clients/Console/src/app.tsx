import { useEffect, useState } from "preact/hooks";
import { onSessionEnded } from "./api";
import { Layout, sections } from "./components/Layout";
import { ApprovalsPage } from "./pages/ApprovalsPage";
import { RunsPage } from "./pages/RunsPage";
import { SignInPage } from "./pages/SignInPage";
import { StudiesPage } from "./pages/StudiesPage";
import { TemplatesPage } from "./pages/TemplatesPage";
import { navigate, useLocation } from "./router";
import { can, loadSession, signOut, type Session } from "./session";

type Status = { kind: "loading" } | { kind: "signedOut"; notice: string | null } | { kind: "signedIn"; session: Session };

/** Reads the session once; shows the sign-in page without one, the console with one. */
export function App() {
  const [status, setStatus] = useState<Status>({ kind: "loading" });

  useEffect(() => {
    loadSession()
      .then((session) => setStatus(session ? { kind: "signedIn", session } : { kind: "signedOut", notice: null }))
      .catch(() => setStatus({ kind: "signedOut", notice: "The gateway could not be reached. Reload to try again." }));
    return onSessionEnded(() => setStatus({ kind: "signedOut", notice: "Your session has ended. Sign in again to continue." }));
  }, []);

  if (status.kind === "loading") {
    return <p class="loading" role="status">Loading…</p>;
  }

  if (status.kind === "signedOut") {
    return <SignInPage notice={status.notice} onSignedIn={(session) => setStatus({ kind: "signedIn", session })} />;
  }

  const leave = () => {
    signOut()
      .catch(() => undefined)
      .finally(() => {
        setStatus({ kind: "signedOut", notice: "You have signed out." });
        navigate("/", { replace: true });
      });
  };

  return (
    <Layout session={status.session} onSignOut={leave}>
      <Page session={status.session} />
    </Layout>
  );
}

/** The page for the current path; a section the role may not read is not offered (and the gateway refuses it anyway). */
function Page(props: { session: Session }) {
  const { path } = useLocation();
  const section = sections.find((candidate) => path === candidate.href || path.startsWith(candidate.href + "/"));
  useEffect(() => {
    if (!section) navigate("/runs", { replace: true });
  }, [section]);

  if (!section) return null;
  if (!can(props.session.role, section.role)) {
    return (
      <section>
        <h1>{section.label}</h1>
        <p role="alert">
          Your role ({props.session.role}) cannot see {section.label.toLowerCase()}; it needs {section.role} or higher.
        </p>
      </section>
    );
  }

  switch (section.href) {
    case "/approvals":
      return <ApprovalsPage />;
    case "/studies":
      return <StudiesPage />;
    case "/templates":
      return <TemplatesPage />;
    default:
      return <RunsPage />;
  }
}

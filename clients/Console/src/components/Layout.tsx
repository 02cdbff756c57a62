import type { ComponentChildren } from "preact";
import { Link, useLocation } from "../router";
import { can, type Role, type Session } from "../session";

interface Section {
  href: string;
  label: string;
  /** The lowest role that may read it; a role below does not see the entry. */
  role: Role;
}

const sections: readonly Section[] = [
  { href: "/runs", label: "Runs", role: "viewer" },
  { href: "/approvals", label: "Approvals", role: "approver" },
  { href: "/studies", label: "Studies", role: "viewer" },
  { href: "/templates", label: "Templates", role: "viewer" },
];

/** The frame of every page once signed in: the product, the sections the role may see, who is signed in, sign-out. */
export function Layout(props: { session: Session; onSignOut: () => void; children: ComponentChildren }) {
  const { path } = useLocation();
  const visible = sections.filter((section) => can(props.session.role, section.role));
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">RunMesh</span>
        <nav aria-label="Main">
          <ul>
            {visible.map((section) => (
              <li key={section.href}>
                <Link href={section.href} aria-current={path.startsWith(section.href) ? "page" : undefined}>
                  {section.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            Signed in as <strong>{props.session.identity}</strong> <span class="role">{props.session.role}</span>
          </span>
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>{props.children}</main>
    </div>
  );
}

export { sections };

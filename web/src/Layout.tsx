import { useEffect, useRef, useState } from "react";
import { Link, NavLink, Outlet, useLocation, useMatch, useNavigate } from "react-router";
import { useLogout, usePendingApprovals, useProjectNames, useSession } from "./api/hooks.ts";
import { Dialog } from "./components/Dialog.tsx";

const PROJECT_TABS = [
  ["", "Overview"],
  ["releases", "Releases"],
  ["reports", "Reports"],
  ["deployments", "Deployments"],
  ["runs", "Runs"],
  ["flags", "Flags"],
  ["settings", "Settings"],
] as const;

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? "system");
  const cycle = () => {
    const next = theme === "system" ? "dark" : theme === "dark" ? "light" : "system";
    if (next === "system") {
      delete document.documentElement.dataset.theme;
      localStorage.removeItem("sg-theme");
    } else {
      document.documentElement.dataset.theme = next;
      localStorage.setItem("sg-theme", next);
    }
    setTheme(next);
  };
  return [theme, cycle];
}

export function Layout() {
  const session = useSession();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const projectMatch = useMatch("/p/:slug/*");
  const slug = projectMatch?.params.slug;
  const projects = useProjectNames();
  const pending = usePendingApprovals();
  const [filter, setFilter] = useState("");
  const [menuOpen, setMenuOpen] = useState(false);
  const [help, setHelp] = useState(false);
  const [theme, cycleTheme] = useTheme();
  const search = useRef<HTMLInputElement>(null);
  const main = useRef<HTMLElement>(null);
  const waiting = pending.data?.items.length ?? 0;

  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu and move focus on every navigation
  useEffect(() => {
    setMenuOpen(false);
  }, [location.pathname]);

  useEffect(() => {
    let leader = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select, [contenteditable]") || event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === "?") setHelp(true);
      else if (event.key === "/") {
        event.preventDefault();
        search.current?.focus();
      } else if (leader) {
        leader = false;
        const to = { p: "/", a: "/approvals", l: "/audit", s: "/settings" }[event.key];
        if (to) navigate(to);
        else if (slug && event.key === "o") navigate(`/p/${slug}`);
        else if (slug && event.key === "r") navigate(`/p/${slug}/releases`);
      } else if (event.key === "g") leader = true;
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [navigate, slug]);

  const onSearch = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const q = new FormData(event.currentTarget).get("q")?.toString().trim() ?? "";
    if (!q) return;
    const project = slug ?? projects.data?.items[0]?.slug;
    if (!project) return;
    if (/^[0-9a-f]{7,64}$/i.test(q)) navigate(`/p/${project}/reports?commit=${encodeURIComponent(q)}`);
    else navigate(`/p/${project}/releases/${encodeURIComponent(q)}`);
  };

  const visible = (projects.data?.items ?? []).filter(
    (p) => !filter || p.slug.includes(filter.toLowerCase()) || p.name.toLowerCase().includes(filter.toLowerCase()),
  );

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="ghost menu-toggle"
          aria-label="Menu"
          aria-expanded={menuOpen}
          aria-controls="rail"
          onClick={() => setMenuOpen((open) => !open)}
        >
          ☰
        </button>
        <Link to="/" className="brand" aria-label="stagegate home">
          <span className="brand-mark" aria-hidden="true">
            ➜
          </span>
          <span className="hide-narrow">stagegate</span>
        </Link>
        {projects.data && projects.data.items.length > 0 ? (
          <select
            aria-label="Project"
            value={slug ?? ""}
            onChange={(event) => event.target.value && navigate(`/p/${event.target.value}`)}
            style={{ maxWidth: 160 }}
          >
            <option value="">All projects</option>
            {projects.data.items.map((p) => (
              <option key={p.slug} value={p.slug}>
                {p.name}
              </option>
            ))}
          </select>
        ) : null}
        <search className="hide-narrow" style={{ flex: "0 1 320px" }}>
          <form onSubmit={onSearch}>
            <input
              ref={search}
              name="q"
              type="search"
              aria-label="Search release version or commit sha"
              placeholder="Release version or commit sha  ( / )"
              style={{ width: "100%" }}
            />
          </form>
        </search>
        <span className="spacer" />
        <Link to="/approvals" className="counter" data-count={waiting} aria-label={`Waiting for me: ${waiting}`}>
          <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.8">
            <circle cx="6" cy="5" r="2.5" />
            <path d="M1.5 14c0-2.8 2-4.5 4.5-4.5" />
            <circle cx="11.5" cy="11" r="3.2" />
            <path d="M11.5 9.6V11l1 .7" />
          </svg>
          <span className="hide-narrow">Waiting for me</span>
          <span className="badge">{waiting}</span>
        </Link>
        <button type="button" className="ghost" onClick={cycleTheme} aria-label={`Theme: ${theme}. Change theme`} title="Theme">
          {theme === "dark" ? "☾" : theme === "light" ? "☀" : "◐"}
        </button>
        <details style={{ position: "relative" }}>
          <summary className="button ghost" aria-label="User menu" style={{ listStyle: "none", cursor: "pointer" }}>
            <span className="hide-narrow">{session.data?.user.displayName ?? session.data?.user.username}</span>
            <span aria-hidden="true"> ▾</span>
          </summary>
          <div
            className="card"
            style={{ position: "absolute", right: 0, top: 36, minWidth: 200, zIndex: 40, boxShadow: "var(--shadow)" }}
          >
            <p>
              Signed in as <strong>{session.data?.user.username}</strong>
              {session.data?.user.globalAdmin ? <span className="muted"> · global admin</span> : null}
            </p>
            <p>
              <Link to="/settings">Settings and API tokens</Link>
            </p>
            <p>
              <button type="button" className="small" onClick={() => setHelp(true)}>
                Keyboard shortcuts
              </button>
            </p>
            <button
              type="button"
              onClick={() => logout.mutate(undefined, { onSettled: () => navigate("/sign-in") })}
              disabled={logout.isPending}
            >
              Sign out
            </button>
          </div>
        </details>
      </header>
      <nav id="rail" className="rail" data-open={menuOpen} aria-label="Main">
        {slug ? (
          <div className="rail-section">
            <div className="rail-title">{projects.data?.items.find((p) => p.slug === slug)?.name ?? slug}</div>
            {PROJECT_TABS.map(([path, label]) => (
              <NavLink key={label} to={`/p/${slug}${path ? `/${path}` : ""}`} end>
                {label}
              </NavLink>
            ))}
          </div>
        ) : null}
        <div className="rail-section">
          <div className="rail-title">Workspace</div>
          <NavLink to="/" end>
            Projects
          </NavLink>
          <NavLink to="/approvals" end>
            Approvals {waiting > 0 ? <span className="badge">{waiting}</span> : null}
          </NavLink>
          {session.data?.user.globalAdmin ? <NavLink to="/audit">Audit log</NavLink> : null}
          <NavLink to="/settings">Settings</NavLink>
        </div>
        <div className="rail-section">
          <div className="rail-title">Projects</div>
          <input
            type="search"
            aria-label="Filter projects"
            placeholder="Filter projects"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          {visible.map((p) => (
            <NavLink key={p.slug} to={`/p/${p.slug}`}>
              {p.name}
            </NavLink>
          ))}
          {projects.data && visible.length === 0 ? (
            <p className="muted" style={{ padding: "4px 8px" }}>
              No match
            </p>
          ) : null}
        </div>
      </nav>
      <main id="main" className="main" ref={main} tabIndex={-1}>
        <div className="content">
          <Outlet />
        </div>
      </main>
      {help ? (
        <Dialog title="Keyboard shortcuts" onClose={() => setHelp(false)}>
          <dl className="kv">
            {[
              ["?", "this list"],
              ["/", "search a release or commit"],
              ["g p", "projects"],
              ["g o", "project overview"],
              ["g r", "releases"],
              ["g a", "approvals waiting for me"],
              ["g l", "audit log"],
              ["g s", "settings"],
              ["Esc", "close a dialog"],
            ].map(([key, what]) => (
              <div key={key} style={{ display: "contents" }}>
                <dt>
                  <span className="kbd">{key}</span>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
          <div className="buttons">
            <button type="button" onClick={() => setHelp(false)}>
              Close
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}

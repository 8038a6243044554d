import { useEffect, useRef } from "react";
import { Navigate, useSearchParams } from "react-router";
import { useLogin, useSession, useUiConfig } from "../api/hooks.ts";

export function SignIn() {
  const session = useSession();
  const login = useLogin();
  const ui = useUiConfig();
  const [params] = useSearchParams();
  const user = useRef<HTMLInputElement>(null);
  const next = params.get("next");
  const target = next?.startsWith("/") && !next.startsWith("//") ? next : "/";

  useEffect(() => {
    document.title = "Sign in · stagegate";
    user.current?.focus();
  }, []);

  if (session.data) return <Navigate to={target} replace />;

  return (
    <main className="signin">
      <div className="card">
        <div className="brand" style={{ marginBottom: 16 }}>
          <span className="brand-mark" aria-hidden="true">
            ➜
          </span>
          stagegate
        </div>
        <h1 style={{ marginBottom: 4 }}>Sign in</h1>
        <p className="muted">Releases, reports and approvals of your team.</p>
        {ui.data?.oidc ? (
          <>
            <a
              className="button primary"
              style={{ width: "100%", marginTop: 12 }}
              href={`${ui.data.oidc.loginUrl}?returnTo=${encodeURIComponent(target)}`}
            >
              {ui.data.oidc.label}
            </a>
            <div className="or">or with a password</div>
          </>
        ) : null}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            const data = new FormData(event.currentTarget);
            login.mutate({ username: String(data.get("username") ?? ""), password: String(data.get("password") ?? "") });
          }}
          style={{ marginTop: 16 }}
        >
          <div className="field">
            <label htmlFor="username">Username</label>
            <input ref={user} id="username" name="username" autoComplete="username" required />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required />
          </div>
          {login.error ? (
            <p role="alert" className="error-text">
              {login.error.message}
            </p>
          ) : null}
          <button type="submit" className="primary" style={{ width: "100%" }} disabled={login.isPending}>
            {login.isPending ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <p className="muted" style={{ marginTop: 16, fontSize: 12 }}>
          First start? The admin user's password is the <code>STAGEGATE_ADMIN_PASSWORD</code> the server was started with.
        </p>
      </div>
    </main>
  );
}

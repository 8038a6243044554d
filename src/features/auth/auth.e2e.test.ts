import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { CreatedToken, Member, SessionInfo, TokenInfo } from "../../shared/auth.api.ts";

const PASSWORD = "correct horse battery";

interface Session {
  cookie: string;
  csrf: string;
}

describe.each(testDialects())("sign-in, sessions and tokens over HTTP on %s", (dialect) => {
  let t: TestApp;
  /** A request without the admin token: only what the test gives. */
  const anonymous = (options: InjectOptions) => t.app.http.inject(options);
  /** With the session cookie and, unless `csrf` is null, an X-CSRF-Token header (the session's own by default). */
  const withSession = (session: Session, options: InjectOptions, csrf: string | null = session.csrf) =>
    anonymous({
      ...options,
      headers: { cookie: `sg_session=${session.cookie}`, ...(csrf === null ? {} : { "x-csrf-token": csrf }), ...options.headers },
    });
  const withToken = (token: string, options: InjectOptions) =>
    anonymous({ ...options, headers: { authorization: `Bearer ${token}`, ...options.headers } });

  async function login(username: string, password = PASSWORD): Promise<{ res: LightMyRequestResponse; session: Session }> {
    const res = await anonymous({ method: "POST", url: "/api/v1/session", payload: { username, password } });
    const cookie = res.cookies.find((c) => c.name === "sg_session")?.value ?? "";
    return { res, session: { cookie, csrf: res.json<Partial<SessionInfo>>().csrfToken ?? "" } };
  }

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    for (const username of ["alice", "bob"]) {
      const created = await t.request({ method: "POST", url: "/api/v1/users", payload: { username, password: PASSWORD } });
      expect(created.statusCode, created.body).toBe(201);
    }
    const member = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/members",
      payload: { username: "alice", role: "developer" },
    });
    expect(member.statusCode, member.body).toBe(200);
  });
  afterAll(() => t.close());

  it("signs in with a password: an HttpOnly, SameSite=Lax session cookie and the CSRF token in the body", async () => {
    const { res, session } = await login("Alice");
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<SessionInfo>()).toEqual({
      user: { username: "alice", displayName: null, globalAdmin: false },
      csrfToken: session.csrf,
      expiresAt: expect.any(String),
    });
    const header = String(res.headers["set-cookie"]);
    expect(header).toMatch(/^sg_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(header).not.toContain("Secure");
  });

  it("offers password sign-in only, and no OIDC redirect, when OIDC is not configured", async () => {
    const providers = await anonymous({ method: "GET", url: "/api/v1/auth/providers" });
    expect(providers.json()).toEqual({ password: true, oidc: null });
    const start = await anonymous({ method: "GET", url: "/api/v1/auth/oidc/login" });
    expect(start.statusCode).toBe(404);
    expect(start.json().error.message).toContain("OIDC sign-in is not configured");
  });

  it("answers GET /session with the cookie and 401 without one", async () => {
    const { session } = await login("alice");
    const current = await withSession(session, { method: "GET", url: "/api/v1/session" });
    expect(current.statusCode).toBe(200);
    expect(current.json<SessionInfo>()).toMatchObject({ user: { username: "alice" }, csrfToken: session.csrf });
    const none = await anonymous({ method: "GET", url: "/api/v1/session" });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe("unauthorized");
  });

  it("reads with the cookie alone, but refuses a write without the session's CSRF token", async () => {
    const { session } = await login("alice");
    expect((await withSession(session, { method: "GET", url: "/api/v1/projects/shop" }, null)).statusCode).toBe(200);

    const create = { method: "POST" as const, url: "/api/v1/tokens", payload: { name: "from the browser" } };
    for (const csrf of [null, "", "not-the-token", `${session.csrf}x`]) {
      const refused = await withSession(session, create, csrf);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toMatchObject({ code: "forbidden", message: expect.stringContaining("CSRF token") });
    }
    const accepted = await withSession(session, create);
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json<CreatedToken>()).toMatchObject({ kind: "personal", role: "admin", projects: null });
  });

  it("needs no CSRF token with a bearer token, which wins over a cookie", async () => {
    const { session } = await login("bob");
    const res = await anonymous({
      method: "POST",
      url: "/api/v1/tokens",
      payload: { name: "svc", kind: "service", role: "viewer" },
      headers: { authorization: `Bearer ${t.token}`, cookie: `sg_session=${session.cookie}` },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<CreatedToken>()).toMatchObject({ kind: "service", role: "viewer" });
  });

  it("signs out: the cookie is cleared and the session no longer works", async () => {
    const { session } = await login("alice");
    expect((await withSession(session, { method: "DELETE", url: "/api/v1/session" }, null)).statusCode).toBe(403);
    const out = await withSession(session, { method: "DELETE", url: "/api/v1/session" });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === "sg_session")).toMatchObject({ value: "" });
    expect((await withSession(session, { method: "GET", url: "/api/v1/session" })).statusCode).toBe(401);
    const after = await withSession(session, { method: "GET", url: "/api/v1/projects/shop" });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain("sign in again");
  });

  it("refuses an unknown user and a wrong password with one message", async () => {
    const unknown = await login("mallory");
    const wrong = await login("bob", "not bob's password");
    expect(unknown.res.statusCode).toBe(401);
    expect(wrong.res.json()).toEqual(unknown.res.json());
    expect(wrong.res.headers["set-cookie"]).toBeUndefined();
  });

  it("lets only global admins create users", async () => {
    const { session } = await login("alice");
    const res = await withSession(session, { method: "POST", url: "/api/v1/users", payload: { username: "eve" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("forbidden");
    const listed = await t.request({ method: "GET", url: "/api/v1/users" });
    expect(listed.json<{ items: { username: string }[] }>().items.map((u) => u.username)).toEqual(["alice", "bob"]);
  });

  it("manages project members", async () => {
    const set = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/members",
      payload: { username: "bob", role: "viewer" },
    });
    expect(set.json<Member>()).toMatchObject({ username: "bob", role: "viewer" });
    const members = await t.request({ method: "GET", url: "/api/v1/projects/shop/members" });
    expect(members.json<{ items: Member[] }>().items.map((m) => [m.username, m.role])).toEqual([
      ["alice", "developer"],
      ["bob", "viewer"],
    ]);
    expect((await t.request({ method: "DELETE", url: "/api/v1/projects/shop/members/bob" })).statusCode).toBe(204);
    const again = await t.request({ method: "DELETE", url: "/api/v1/projects/shop/members/bob" });
    expect(again.statusCode).toBe(404);
    const nobody = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/members",
      payload: { username: "zed", role: "viewer" },
    });
    expect(nobody.json().error.code).toBe("user_not_found");
  });

  it("lets a personal token do no more than its cap and its user's role", async () => {
    const { session } = await login("alice");
    const mint = async (payload: Record<string, unknown>) =>
      (await withSession(session, { method: "POST", url: "/api/v1/tokens", payload })).json<CreatedToken>().token;
    const viewer = await mint({ name: "read only", role: "viewer" });
    const developer = await mint({ name: "ci" });
    const release = {
      method: "POST" as const,
      url: "/api/v1/projects/shop/releases",
      payload: { version: "1.0.0", commitSha: "abcdef1", branch: "main" },
    };
    expect((await withToken(viewer, { method: "GET", url: "/api/v1/projects/shop" })).statusCode).toBe(200);
    expect((await withToken(viewer, release)).statusCode).toBe(403);
    expect((await withToken(developer, release)).statusCode).toBe(201);
    // alice is a developer: her admin-capped token still cannot change the project's config.
    const apply = await withToken(developer, {
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(apply.statusCode).toBe(403);
  });

  it("revokes a token at once and never shows a secret in the list", async () => {
    const created = (
      await t.request({ method: "POST", url: "/api/v1/tokens", payload: { name: "to revoke", expiresInDays: 7 } })
    ).json<CreatedToken>();
    expect((await withToken(created.token, { method: "GET", url: "/api/v1/projects" })).statusCode).toBe(200);
    expect((await t.request({ method: "DELETE", url: `/api/v1/tokens/${created.id}` })).statusCode).toBe(204);
    const refused = await withToken(created.token, { method: "GET", url: "/api/v1/projects" });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.message).toContain("revoked");

    const list = await t.request({ method: "GET", url: "/api/v1/tokens?limit=200" });
    const items = list.json<{ items: TokenInfo[] }>().items;
    expect(items.find((token) => token.id === created.id)).toMatchObject({ name: "to revoke", revokedAt: expect.any(String) });
    expect(items.every((token) => !("token" in token))).toBe(true);
    expect(list.body).not.toContain(created.token);
    expect(list.body).not.toContain(t.token);
  });
});

// One dialect is enough here: the limiter's SQL runs on both in auth.service.test.ts, with cheap hashing.
describe("sign-in behind https, on sqlite", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp("sqlite", { STAGEGATE_PUBLIC_URL: "https://stagegate.example.com" });
    for (const username of ["alice", "bob"]) {
      await t.request({ method: "POST", url: "/api/v1/users", payload: { username, password: PASSWORD } });
    }
  });
  afterAll(() => t.close());

  it("refuses a username tried too often with 429 and Retry-After, even with the right password", async () => {
    const login = (password: string) =>
      t.app.http.inject({ method: "POST", url: "/api/v1/session", payload: { username: "bob", password } });
    for (let i = 0; i < 10; i++) expect((await login(`guess ${i}`)).statusCode).toBe(401);
    const locked = await login(PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe("rate_limited");
    expect(locked.headers["retry-after"]).toBe("900");
    // Eleven sign-ins at full scrypt cost, each failure audited: slow on a busy machine.
  }, 90_000);

  it("is Secure when STAGEGATE_PUBLIC_URL is https", async () => {
    const res = await t.app.http.inject({
      method: "POST",
      url: "/api/v1/session",
      payload: { username: "alice", password: PASSWORD },
    });
    expect(res.statusCode).toBe(201);
    expect(res.cookies.find((c) => c.name === "sg_session")).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });
  });
});

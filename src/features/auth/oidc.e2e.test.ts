import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { LightMyRequestResponse } from "fastify";
import Provider from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { AuditEvent } from "../../shared/audit.api.ts";
import type { Member, SessionInfo } from "../../shared/auth.api.ts";

const REDIRECT = "http://localhost:8080/api/v1/auth/oidc/callback";
const CLIENT = { id: "stagegate", secret: "stagegate-client-secret-0123456789" };

/** The people the identity provider knows; tests change their groups between sign-ins. */
const people: Record<string, { name: string; email: string; groups: string[] }> = {
  "quant.lead": { name: "Quinn Lead", email: "quinn@example.com", groups: ["quants", "leads"] },
  "ops-root": { name: "Olga Ops", email: "olga@example.com", groups: ["platform"] },
  mallory: { name: "Mallory", email: "mallory@example.com", groups: [] },
  "admin-clash": { name: "Clash", email: "clash@example.com", groups: [] },
};

/** A real OpenID provider (panva/oidc-provider) on loopback, with its development login and consent pages. */
async function startIdp(): Promise<{ issuer: string; close(): Promise<void> }> {
  let handler: ((req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => handler?.(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [REDIRECT],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email"], groups: ["groups"] },
    cookies: { keys: ["test cookie signing key, not a secret"] },
    findAccount: (_ctx, id) => {
      const person = people[id];
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: `sub-${id}`,
          preferred_username: id,
          name: person.name,
          email: person.email,
          groups: person.groups,
        }),
      };
    },
  });
  handler = provider.callback();
  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What a browser does at the identity provider: follow redirects, keep cookies, fill in login and consent. */
async function signInAtIdp(authorizeUrl: string, account: string): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  let url = authorizeUrl;
  for (let hop = 0; hop < 12; hop++) {
    if (url.startsWith(REDIRECT)) return new URL(url);
    const res = await send(url);
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location") ?? "", url).href;
      continue;
    }
    const page = await res.text();
    expect(res.status, page).toBe(200);
    // The dev interaction pages: a login form, then a consent form, both POSTed back to the same URL.
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    const form = new URLSearchParams(prompt === "login" ? { prompt, login: account, password: "any" } : { prompt: "consent" });
    const posted = await send(url, {
      method: "POST",
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(posted.status, await posted.clone().text()).toBeGreaterThanOrEqual(300);
    url = new URL(posted.headers.get("location") ?? "", url).href;
  }
  throw new Error("the identity provider never sent the browser back");
}

function cookieOf(res: LightMyRequestResponse, name: string): string | undefined {
  return res.cookies.find((c) => c.name === name)?.value;
}

describe.each(testDialects())(
  "OIDC sign-in against a real identity provider on %s",
  (dialect) => {
    let idp: Awaited<ReturnType<typeof startIdp>>;
    let t: TestApp;

    /** The whole browser round trip: stagegate → provider (login, consent) → callback. Returns the callback's answer. */
    async function signIn(account: string, options: { returnTo?: string; stateCookie?: string | null } = {}) {
      const start = await t.app.http.inject({
        method: "GET",
        url: `/api/v1/auth/oidc/login${options.returnTo ? `?returnTo=${encodeURIComponent(options.returnTo)}` : ""}`,
      });
      expect(start.statusCode, start.body).toBe(302);
      const state = cookieOf(start, "sg_oidc_state");
      const back = await signInAtIdp(String(start.headers.location), account);
      const cookie = options.stateCookie === undefined ? state : options.stateCookie;
      const callback = await t.app.http.inject({
        method: "GET",
        url: `${back.pathname}${back.search}`,
        headers: cookie ? { cookie: `sg_oidc_state=${cookie}` } : {},
      });
      return { start, back, callback };
    }

    async function sessionOf(callback: LightMyRequestResponse): Promise<SessionInfo> {
      const cookie = cookieOf(callback, "sg_session");
      expect(cookie, callback.body).toBeTruthy();
      const res = await t.app.http.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: `sg_session=${cookie}` } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<SessionInfo>();
    }

    async function roleIn(project: string, username: string): Promise<string | undefined> {
      const res = await t.request({ method: "GET", url: `/api/v1/projects/${project}/members` });
      return res.json<{ items: Member[] }>().items.find((m) => m.username === username)?.role;
    }

    async function auditOf(subject: string): Promise<AuditEvent[]> {
      const res = await t.request({ method: "GET", url: `/api/v1/audit?subject=user:${encodeURIComponent(subject)}&limit=100` });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ items: AuditEvent[] }>().items.reverse();
    }

    beforeAll(async () => {
      idp = await startIdp();
      t = await startTestApp(dialect, {
        OIDC_ISSUER_URL: idp.issuer,
        OIDC_CLIENT_ID: CLIENT.id,
        OIDC_CLIENT_SECRET: CLIENT.secret,
        OIDC_REDIRECT_URL: REDIRECT,
        OIDC_DISPLAY_NAME: "Acme SSO",
        OIDC_GROUP_ROLES: JSON.stringify({
          quants: { shop: "developer", ops: "viewer" },
          leads: { shop: "approver" },
          platform: "global_admin",
        }),
      });
      for (const slug of ["shop", "ops"]) {
        const applied = await t.request({
          method: "PUT",
          url: `/api/v1/projects/${slug}/config`,
          payload: pipelineYaml().replace("project: shop", `project: ${slug}`),
          headers: { "content-type": "application/yaml" },
        });
        expect(applied.statusCode, applied.body).toBeLessThan(300);
      }
    });
    afterAll(async () => {
      await t?.close();
      await idp?.close();
    });

    it("tells the sign-in page that OIDC is offered", async () => {
      const res = await t.app.http.inject({ method: "GET", url: "/api/v1/auth/providers" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ password: true, oidc: { name: "Acme SSO", loginUrl: "/api/v1/auth/oidc/login" } });
    });

    it("redirects to the provider with authorization code, PKCE S256, state and nonce", async () => {
      const start = await t.app.http.inject({ method: "GET", url: "/api/v1/auth/oidc/login" });
      expect(start.statusCode).toBe(302);
      const url = new URL(String(start.headers.location));
      expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: CLIENT.id,
        response_type: "code",
        redirect_uri: REDIRECT,
        code_challenge_method: "S256",
        scope: "openid profile email groups",
      });
      expect(url.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
      expect(url.searchParams.get("nonce")).toBeTruthy();
      const state = cookieOf(start, "sg_oidc_state");
      expect(state).toBe(url.searchParams.get("state"));
      expect(String(start.headers["set-cookie"])).toMatch(/HttpOnly/);
    });

    it("signs a new user in, provisions them with roles from their groups, and audits it", async () => {
      const { callback } = await signIn("quant.lead", { returnTo: "/projects/shop" });
      expect(callback.statusCode, callback.body).toBe(302);
      expect(callback.headers.location).toBe("/projects/shop");
      const session = await sessionOf(callback);
      expect(session.user).toEqual({ username: "quant.lead", displayName: "Quinn Lead", globalAdmin: false });
      // quants → developer in shop, leads → approver in shop: the higher wins; quants → viewer in ops.
      expect(await roleIn("shop", "quant.lead")).toBe("approver");
      expect(await roleIn("ops", "quant.lead")).toBe("viewer");

      const actions = (await auditOf("quant.lead")).map((e) => [e.action, e.data.project ?? e.data.method ?? null]);
      expect(actions).toEqual([
        ["user.created", null],
        ["role.granted", "shop"],
        ["role.granted", "ops"],
        ["login.succeeded", "oidc"],
      ]);
    });

    it("follows group changes on the next sign-in: roles change or go, global admin comes with its group", async () => {
      people["quant.lead"] = { name: "Quinn Lead", email: "quinn@example.com", groups: ["quants", "platform"] };
      try {
        const { callback } = await signIn("quant.lead");
        expect(callback.statusCode, callback.body).toBe(302);
        expect(callback.headers.location).toBe("/");
        expect((await sessionOf(callback)).user.globalAdmin).toBe(true);
        expect(await roleIn("shop", "quant.lead")).toBe("developer");
        expect(await roleIn("ops", "quant.lead")).toBe("viewer");
        const events = (await auditOf("quant.lead")).slice(-3);
        expect(events.map((e) => [e.action, e.data.role, e.data.from ?? null])).toEqual([
          ["role.changed", "developer", "approver"],
          ["role.granted", "global_admin", null],
          ["login.succeeded", undefined, null],
        ]);

        people["quant.lead"] = { name: "Quinn Lead", email: "quinn@example.com", groups: ["leads"] };
        const again = await signIn("quant.lead");
        expect((await sessionOf(again.callback)).user.globalAdmin).toBe(false);
        expect(await roleIn("shop", "quant.lead")).toBe("approver");
        expect(await roleIn("ops", "quant.lead")).toBeUndefined();
        expect((await auditOf("quant.lead")).map((e) => e.action)).toContain("role.removed");
      } finally {
        people["quant.lead"] = { name: "Quinn Lead", email: "quinn@example.com", groups: ["quants", "leads"] };
      }
    });

    it("refuses a callback in a browser that did not start the sign-in, and a replayed callback", async () => {
      const stolen = await signIn("mallory", { stateCookie: null });
      expect(stolen.callback.statusCode).toBe(401);
      expect(stolen.callback.json().error.code).toBe("unauthorized");
      expect(cookieOf(stolen.callback, "sg_session")).toBeUndefined();

      const { back, callback, start } = await signIn("mallory");
      expect(callback.statusCode, callback.body).toBe(302);
      const replay = await t.app.http.inject({
        method: "GET",
        url: `${back.pathname}${back.search}`,
        headers: { cookie: `sg_oidc_state=${cookieOf(start, "sg_oidc_state")}` },
      });
      expect(replay.statusCode).toBe(401);
      expect(replay.json().error.message).toMatch(/unknown or was already used/);
      const failures = (await auditOf("unknown")).filter((e) => e.action === "login.failed");
      expect(failures.map((e) => e.data.method)).toEqual(["oidc", "oidc"]);
    });

    it("gives no session to a disabled user, and never takes over a local account of the same name", async () => {
      const first = await signIn("mallory");
      expect(first.callback.statusCode).toBe(302);
      const cookie = cookieOf(first.callback, "sg_session");
      const disabled = await t.request({ method: "POST", url: "/api/v1/users/mallory/disable" });
      expect(disabled.statusCode, disabled.body).toBe(200);
      // The session ends at once; signing in again is refused.
      const old = await t.app.http.inject({ method: "GET", url: "/api/v1/session", headers: { cookie: `sg_session=${cookie}` } });
      expect(old.statusCode).toBe(401);
      const refused = await signIn("mallory");
      expect(refused.callback.statusCode).toBe(401);
      expect(refused.callback.json().error.message).toMatch(/disabled/);
      expect((await t.request({ method: "POST", url: "/api/v1/users/mallory/enable" })).statusCode).toBe(200);
      expect((await signIn("mallory")).callback.statusCode).toBe(302);

      const local = await t.request({
        method: "POST",
        url: "/api/v1/users",
        payload: { username: "admin-clash", password: "a local password 123" },
      });
      expect(local.statusCode, local.body).toBe(201);
      const clash = await signIn("admin-clash");
      expect(clash.callback.statusCode).toBe(401);
      expect(clash.callback.json().error.message).toMatch(/belongs to another account/);
    });

    it("links a user an admin created without a password on their first OIDC sign-in", async () => {
      const created = await t.request({ method: "POST", url: "/api/v1/users", payload: { username: "ops-root" } });
      expect(created.statusCode, created.body).toBe(201);
      const { callback } = await signIn("ops-root");
      expect(callback.statusCode, callback.body).toBe(302);
      const session = await sessionOf(callback);
      expect(session.user).toEqual({ username: "ops-root", displayName: "Olga Ops", globalAdmin: true });
      const users = await t.request({ method: "GET", url: "/api/v1/users?limit=100" });
      expect(users.json<{ items: { username: string }[] }>().items.filter((u) => u.username === "ops-root")).toHaveLength(1);
    });

    it("lets an approval group name an OIDC group: a member of it approves with their OIDC session", async () => {
      const yaml = `environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
    approval: { groups: [ { name: leads, members: ["group:leads"] } ] }
`;
      const applied = await t.request({
        method: "PUT",
        url: "/api/v1/projects/shop/config",
        payload: yaml,
        headers: { "content-type": "application/yaml" },
      });
      expect(applied.statusCode, applied.body).toBe(200);
      const sha = "f".repeat(40);
      await t.request({
        method: "POST",
        url: "/api/v1/projects/shop/releases",
        payload: { version: "9.0.0", commitSha: sha, branch: "main" },
      });
      const promote = (environment: string) =>
        t.request({ method: "POST", url: "/api/v1/projects/shop/releases/9.0.0/promote", payload: { environment } });
      await t.waitForDeployment((await promote("stg")).json<{ id: string }>().id);
      const live = (await promote("live")).json<{ id: string; status: string }>();
      expect(live.status).toBe("pending_approval");

      const approveAs = async (account: string) => {
        const { callback } = await signIn(account);
        const session = await sessionOf(callback);
        return t.app.http.inject({
          method: "POST",
          url: `/api/v1/deployments/${live.id}/approve`,
          payload: { comment: "evidence looks fine" },
          headers: { cookie: `sg_session=${cookieOf(callback, "sg_session")}`, "x-csrf-token": session.csrfToken },
        });
      };
      // A global admin by the mapping, but not in the group the policy names.
      const outsiderOfGroup = await approveAs("ops-root");
      expect(outsiderOfGroup.json().error.code).toBe("not_an_approver");
      const approved = await approveAs("quant.lead");
      expect(approved.statusCode, approved.body).toBe(200);
      expect((await t.waitForDeployment(live.id)).status).toBe("succeeded");
    });
    // Every user costs a full-strength scrypt hash: minutes on a busy two-core machine, seconds otherwise.
  },
  90_000,
);

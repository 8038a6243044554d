import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/shared/api.ts";
import type { AuditEvent } from "../../src/shared/audit.api.ts";
import type { CreatedToken, SessionInfo } from "../../src/shared/auth.api.ts";
import { approvalsYaml, startTestApp, type TestApp, userWithToken } from "../helpers/app.ts";
import { testDialects } from "../helpers/db.ts";

const YAML = approvalsYaml();

/** Project `a`: dora develops, alice, bob and carol approve, vic watches; sam approves in `a` and `b`. */
const MEMBERS = [
  ["dora", "developer"],
  ["alice", "approver"],
  ["bob", "approver"],
  ["carol", "approver"],
  ["vic", "viewer"],
  ["sam", "approver"],
] as const;

const refusal = (res: LightMyRequestResponse) => [res.statusCode, res.json<{ error: { code: string } }>().error.code];

describe.each(testDialects())("security of approvals and tokens on %s", (dialect) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let sha = 0;
  const bearer = (token: string | undefined) => ({ authorization: `Bearer ${token ?? ""}` });
  const as = (user: string, options: InjectOptions) =>
    t.request({ ...options, headers: { ...bearer(tokens[user]), ...options.headers } });
  const approve = (id: string, headers: Record<string, string>) =>
    t.request({ method: "POST", url: `/api/v1/deployments/${id}/approve`, payload: {}, headers });
  const statusOf = async (id: string) =>
    (await t.request({ method: "GET", url: `/api/v1/deployments/${id}` })).json<Deployment>().status;

  const release = async (project: string, version: string, by = "dora") => {
    sha++;
    const payload = { version, commitSha: sha.toString(16).padStart(12, "a"), branch: "main" };
    const res = await as(by, { method: "POST", url: `/api/v1/projects/${project}/releases`, payload });
    expect(res.statusCode, res.body).toBe(201);
  };
  const promote = async (input: { project?: string; version: string; environment: string; by?: string }) => {
    const url = `/api/v1/projects/${input.project ?? "a"}/releases/${input.version}/promote`;
    const res = await as(input.by ?? "dora", { method: "POST", url, payload: { environment: input.environment } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Deployment>();
  };
  /** A release of project `a` through stg, waiting for its two approvals in live. */
  const pendingLive = async (version: string, authors: { createdBy?: string; promotedBy?: string } = {}) => {
    await release("a", version, authors.createdBy);
    await t.waitForDeployment((await promote({ version, environment: "stg" })).id);
    const d = await promote({ version, environment: "live", by: authors.promotedBy ?? "dora" });
    expect(d.status).toBe("pending_approval");
    return d;
  };
  const signIn = async (username: string) => {
    // The password userWithToken gives every user.
    const password = `pw-${username}-0123456789`;
    const res = await t.app.http.inject({ method: "POST", url: "/api/v1/session", payload: { username, password } });
    expect(res.statusCode, res.body).toBe(201);
    return {
      cookie: `sg_session=${res.cookies.find((c) => c.name === "sg_session")?.value}`,
      csrf: res.json<SessionInfo>().csrfToken,
    };
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    for (const project of ["a", "b"]) {
      const url = `/api/v1/projects/${project}/config`;
      const res = await t.request({ method: "PUT", url, payload: YAML, headers: { "content-type": "application/yaml" } });
      expect(res.statusCode, res.body).toBe(200);
    }
    await Promise.all(
      MEMBERS.map(async ([username, role]) => (tokens[username] = await userWithToken(t, { username, project: "a", role }))),
    );
    const samInB = await t.request({
      method: "PUT",
      url: "/api/v1/projects/b/members",
      payload: { username: "sam", role: "approver" },
    });
    expect(samInB.statusCode, samInB.body).toBe(200);
  });
  afterAll(() => t?.close());

  it("refuses an approval from the person who created or promoted the release", async () => {
    const d = await pendingLive("1.0.0", { createdBy: "alice", promotedBy: "bob" });
    expect(refusal(await approve(d.id, bearer(tokens.alice)))).toEqual([403, "self_approval"]);
    expect(refusal(await approve(d.id, bearer(tokens.bob)))).toEqual([403, "self_approval"]);
    expect((await approve(d.id, bearer(tokens.carol))).statusCode).toBe(200);
  });

  it("refuses an approval from a viewer, a developer and a service token", async () => {
    const d = await pendingLive("1.1.0");
    expect(refusal(await approve(d.id, bearer(tokens.vic)))).toEqual([403, "forbidden"]);
    expect(refusal(await approve(d.id, bearer(tokens.dora)))).toEqual([403, "forbidden"]);
    // The bootstrap admin token may do everything else, but approvals are made by people.
    expect(refusal(await approve(d.id, bearer(t.token)))).toEqual([403, "not_an_approver"]);
    const approvals = await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}/approvals` });
    expect(approvals.json<{ decisions: unknown[] }>().decisions).toEqual([]);
  });

  it("refuses to approve a deployment superseded by a newer release", async () => {
    const old = await pendingLive("2.0.0");
    await pendingLive("2.1.0");
    expect(await statusOf(old.id)).toBe("superseded");
    expect(refusal(await approve(old.id, bearer(tokens.bob)))).toEqual([409, "invalid_state"]);
  });

  it("refuses an approval once the approval window has expired", async () => {
    await release("a", "3.0.0");
    const d = await promote({ version: "3.0.0", environment: "quick" });
    await expect.poll(() => statusOf(d.id), { timeout: 10_000 }).toBe("expired");
    expect(refusal(await approve(d.id, bearer(tokens.bob)))).toEqual([409, "approval_expired"]);
  });

  it("refuses an approval in project a with the approver's own token scoped to project b", async () => {
    const d = await pendingLive("4.0.0");
    const scoped = await as("sam", { method: "POST", url: "/api/v1/tokens", payload: { name: "b only", projects: ["b"] } });
    expect(scoped.statusCode, scoped.body).toBe(201);
    expect(scoped.json<CreatedToken>()).toMatchObject({ kind: "personal", projects: ["b"] });
    // The token sees nothing of project a: the deployment answers as if it did not exist.
    expect(refusal(await approve(d.id, bearer(scoped.json<CreatedToken>().token)))).toEqual([404, "deployment_not_found"]);
    const unscoped = await approve(d.id, bearer(tokens.sam));
    expect(unscoped.statusCode, unscoped.body).toBe(200);
    expect(unscoped.json<{ decisions: { user: string }[] }>().decisions.map((x) => x.user)).toEqual(["sam"]);
  });

  it("refuses a cookie-authenticated approval without the session's CSRF token, and accepts it with", async () => {
    const d = await pendingLive("5.0.0");
    const { cookie, csrf } = await signIn("bob");
    const url = `/api/v1/deployments/${d.id}/approve`;
    const without = await t.app.http.inject({ method: "POST", url, payload: {}, headers: { cookie } });
    expect(refusal(without)).toEqual([403, "forbidden"]);
    const wrong = await t.app.http.inject({ method: "POST", url, payload: {}, headers: { cookie, "x-csrf-token": `${csrf}x` } });
    expect(refusal(wrong)).toEqual([403, "forbidden"]);
    const accepted = await t.app.http.inject({ method: "POST", url, payload: {}, headers: { cookie, "x-csrf-token": csrf } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json<{ decisions: { user: string }[] }>().decisions.map((x) => x.user)).toEqual(["bob"]);
  });

  it("refuses a revoked token and an expired token with 401", async () => {
    const d = await pendingLive("6.0.0");
    const mint = async (payload: Record<string, unknown>) =>
      (await as("carol", { method: "POST", url: "/api/v1/tokens", payload })).json<CreatedToken>();
    const revoked = await mint({ name: "to revoke" });
    expect((await as("carol", { method: "DELETE", url: `/api/v1/tokens/${revoked.id}` })).statusCode).toBe(204);
    expect(refusal(await approve(d.id, bearer(revoked.token)))).toEqual([401, "unauthorized"]);

    // Instead of a day passing: the token now ends a moment from now. Not used before, so no cache holds the old expiry.
    const expiring = await mint({ name: "a day", expiresInDays: 1 });
    const soon = new Date(Date.now() + 1000).toISOString();
    await t.db.kysely.updateTable("api_tokens").set({ expires_at: soon }).where("id", "=", expiring.id).execute();
    const read = (token: string) => t.app.http.inject({ method: "GET", url: "/api/v1/projects/a", headers: bearer(token) });
    expect((await read(expiring.token)).statusCode).toBe(200);
    await expect.poll(async () => (await read(expiring.token)).statusCode, { timeout: 5000 }).toBe(401);
    const expired = await approve(d.id, bearer(expiring.token));
    expect(refusal(expired)).toEqual([401, "unauthorized"]);
    expect(expired.json<{ error: { message: string } }>().error.message).toContain("expired");
    expect(await statusOf(d.id)).toBe("pending_approval");
  });

  it("keeps a token of project a out of project b: no reads, no promotions", async () => {
    await release("b", "1.0.0", "sam");
    const service = await t.request({
      method: "POST",
      url: "/api/v1/tokens",
      payload: { name: "ci of a", kind: "service", role: "developer", projects: ["a"] },
    });
    const personal = await as("sam", { method: "POST", url: "/api/v1/tokens", payload: { name: "a only", projects: ["a"] } });
    for (const created of [service, personal]) {
      expect(created.statusCode, created.body).toBe(201);
      const headers = bearer(created.json<CreatedToken>().token);
      expect((await t.request({ method: "GET", url: "/api/v1/projects/a", headers })).statusCode).toBe(200);
      expect(refusal(await t.request({ method: "GET", url: "/api/v1/projects/b", headers }))).toEqual([404, "project_not_found"]);
      const url = "/api/v1/projects/b/releases/1.0.0/promote";
      const promoted = await t.request({ method: "POST", url, payload: { environment: "stg" }, headers });
      expect(refusal(promoted)).toEqual([404, "project_not_found"]);
    }
    const deployments = await t.request({ method: "GET", url: "/api/v1/projects/b/deployments" });
    expect(deployments.json<{ items: unknown[] }>().items).toEqual([]);
  });

  it("answers an outsider exactly as if the project or deployment did not exist, and an insider with 403", async () => {
    const d = await pendingLive("4.5.0");
    const outsider = await userWithToken(t, { username: "olaf" });
    const ask = (method: "GET" | "POST", url: string) =>
      t.request({ method, url, headers: bearer(outsider), ...(method === "POST" ? { payload: {} } : {}) });
    const same = async (method: "GET" | "POST", real: string, made: string, id: string, fake: string) => {
      const [hidden, missing] = [await ask(method, real), await ask(method, made)];
      expect(hidden.statusCode, hidden.body).toBe(404);
      expect(hidden.body).toBe(missing.body.replaceAll(fake, id));
    };
    await same("GET", "/api/v1/projects/a", "/api/v1/projects/zz-none", "a", "zz-none");
    await same("GET", "/api/v1/projects/a/releases/4.5.0", "/api/v1/projects/zz-none/releases/4.5.0", "a", "zz-none");
    await same("GET", `/api/v1/deployments/${d.id}`, "/api/v1/deployments/dep_none", d.id, "dep_none");
    await same("POST", `/api/v1/deployments/${d.id}/approve`, "/api/v1/deployments/dep_none/approve", d.id, "dep_none");
    // A member with too low a role learns the project exists and why they are refused.
    expect(refusal(await approve(d.id, bearer(tokens.vic)))).toEqual([403, "forbidden"]);
  });

  it("queues the deployment exactly once when 50 approvers approve at the same moment", async () => {
    const crowd = Array.from({ length: 50 }, (_, i) => `approver${i}`);
    // In parallel: each user costs a scrypt hash and a sign-in, and libuv hashes four at a time.
    await Promise.all(
      crowd.map(async (username) => (tokens[username] = await userWithToken(t, { username, project: "a", role: "approver" }))),
    );
    const d = await pendingLive("7.0.0");
    const responses = await Promise.all(crowd.map((username) => approve(d.id, bearer(tokens[username]))));
    const accepted = responses.filter((r) => r.statusCode === 200);
    expect(accepted).toHaveLength(2);
    for (const late of responses.filter((r) => r.statusCode !== 200)) expect(refusal(late)).toEqual([409, "invalid_state"]);
    expect((await t.waitForDeployment(d.id)).status).toBe("succeeded");

    const audit = await t.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${d.id}&limit=200` });
    const events = audit.json<{ items: AuditEvent[]; nextCursor: string | null }>();
    expect(events.nextCursor).toBeNull();
    const actions = events.items.map((e) => e.action);
    expect(actions.filter((a) => a === "deployment.succeeded")).toHaveLength(1);
    expect(actions.filter((a) => a === "approval.approved")).toHaveLength(accepted.length);
    expect(events.items.filter((e) => e.data.outcome === "queued")).toHaveLength(1);
    const log = (await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}/log` })).body;
    expect(log.match(/starting/g)).toHaveLength(1);
  }, 300_000);
});

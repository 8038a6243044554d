import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvalsYaml, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";

/** `frozen` needs one approval and is always inside a freeze window (every minute, for two minutes). */
const YAML = approvalsYaml(`  - name: frozen
    requires: null
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"] } ]
      freezeWindows: [ { cron: "* * * * *", duration: 2m, timezone: Europe/Berlin, reason: "quarter close" } ]
`);

describe.each(testDialects())("approvals on %s", (dialect) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  let sha = 0;
  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });
  const release = async (version: string) => {
    sha++;
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/app/releases",
      payload: { version, commitSha: sha.toString(16).padStart(12, "a"), branch: "main" },
      headers: as("alice"),
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const promote = async (version: string, environment: string) => {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/projects/app/releases/${version}/promote`,
      payload: { environment },
      headers: as("alice"),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Deployment>();
  };
  const approve = (id: string, user: string) =>
    t.request({ method: "POST", url: `/api/v1/deployments/${id}/approve`, payload: {}, headers: as(user) });
  const toLive = async (version: string) => {
    await release(version);
    await t.waitForDeployment((await promote(version, "stg")).id);
    return promote(version, "live");
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    expect(
      (
        await t.request({
          method: "PUT",
          url: "/api/v1/projects/app/config",
          payload: YAML,
          headers: { "content-type": "application/yaml" },
        })
      ).statusCode,
    ).toBe(200);
    for (const [username, role] of [
      ["alice", "approver"],
      ["bob", "approver"],
      ["carol", "approver"],
      ["erin", "developer"],
    ] as const) {
      tokens[username] = await userWithToken(t, { username, project: "app", role });
    }
  });
  afterAll(() => t.close());

  it("waits for two approvers, refuses the author and non-approvers, then deploys", async () => {
    const d = await toLive("1.0.0");
    expect(d.status).toBe("pending_approval");
    const inbox = (await t.request({ method: "GET", url: "/api/v1/approvals?mine=pending", headers: as("bob") })).json<{
      items: { deployment: Deployment }[];
    }>();
    expect(inbox.items.map((i) => i.deployment.id)).toContain(d.id);
    const aliceInbox = (await t.request({ method: "GET", url: "/api/v1/approvals?mine=pending", headers: as("alice") })).json<{
      items: unknown[];
    }>();
    expect(aliceInbox.items).toEqual([]);

    const self = await approve(d.id, "alice");
    expect([self.statusCode, self.json().error.code]).toEqual([403, "self_approval"]);
    const developer = await approve(d.id, "erin");
    expect([developer.statusCode, developer.json().error.code]).toEqual([403, "forbidden"]);
    const service = await t.request({ method: "POST", url: `/api/v1/deployments/${d.id}/approve`, payload: {} });
    expect([service.statusCode, service.json().error.code]).toEqual([403, "not_an_approver"]);

    expect((await approve(d.id, "bob")).json().groups[0]).toMatchObject({ approvedBy: ["bob"], satisfied: false });
    const twice = await approve(d.id, "bob");
    expect([twice.statusCode, twice.json().error.code]).toEqual([409, "already_decided"]);
    expect((await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}` })).json<Deployment>().status).toBe(
      "pending_approval",
    );
    expect((await approve(d.id, "carol")).json().groups[0].satisfied).toBe(true);
    expect((await t.waitForDeployment(d.id)).status).toBe("succeeded");
    const audit = (await t.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${d.id}` })).json<{
      items: { action: string; actor: string }[];
    }>();
    expect(audit.items.map((e) => `${e.action} ${e.actor}`).reverse()).toEqual([
      "deployment.promoted alice",
      "approval.approved bob",
      "approval.approved carol",
      "deployment.succeeded system",
    ]);
    expect((await t.request({ method: "GET", url: "/api/v1/audit/verify" })).json()).toMatchObject({ ok: true });
  });

  it("supersedes a pending approval when a newer release is promoted, and requires a comment to reject", async () => {
    const old = await toLive("2.0.0");
    const newer = await toLive("2.1.0");
    expect((await t.request({ method: "GET", url: `/api/v1/deployments/${old.id}` })).json<Deployment>().status).toBe(
      "superseded",
    );
    const stale = await approve(old.id, "bob");
    expect([stale.statusCode, stale.json().error.code]).toEqual([409, "invalid_state"]);
    const noComment = await t.request({
      method: "POST",
      url: `/api/v1/deployments/${newer.id}/reject`,
      payload: {},
      headers: as("bob"),
    });
    expect(noComment.statusCode).toBe(400);
    const rejected = await t.request({
      method: "POST",
      url: `/api/v1/deployments/${newer.id}/reject`,
      payload: { comment: "integration report shows data loss" },
      headers: as("bob"),
    });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const final = (await t.request({ method: "GET", url: `/api/v1/deployments/${newer.id}` })).json<Deployment>();
    expect(final).toMatchObject({ status: "rejected", reason: "rejected by bob: integration report shows data loss" });
  });

  it("expires a pending approval and refuses a late approval", async () => {
    await release("3.0.0");
    const d = await promote("3.0.0", "quick");
    await expect
      .poll(async () => (await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}` })).json<Deployment>().status, {
        timeout: 10_000,
      })
      .toBe("expired");
    const late = await approve(d.id, "bob");
    expect([late.statusCode, late.json().error.code]).toEqual([409, "approval_expired"]);
  });

  it("refuses promotion during a freeze, and records an admin's emergency override loudly", async () => {
    await release("5.0.0");
    const refused = await t.request({
      method: "POST",
      url: "/api/v1/projects/app/releases/5.0.0/promote",
      payload: { environment: "frozen" },
      headers: as("alice"),
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: "frozen",
      details: { reason: "quarter close", liftsAt: expect.any(String) },
    });
    expect(refused.json().error.message).toContain("until");
    const override = { environment: "frozen", override: { reason: "hotfix for a data leak, CTO approved" } };
    const notAdmin = await t.request({
      method: "POST",
      url: "/api/v1/projects/app/releases/5.0.0/promote",
      payload: override,
      headers: as("alice"),
    });
    expect([notAdmin.statusCode, notAdmin.json().error.code]).toEqual([403, "forbidden"]);
    const admin = await t.request({ method: "POST", url: "/api/v1/projects/app/releases/5.0.0/promote", payload: override });
    expect(admin.statusCode, admin.body).toBe(201);
    const d = admin.json<Deployment>();
    const audit = (await t.request({ method: "GET", url: `/api/v1/audit?subject=deployment:${d.id}` })).json<{
      items: { action: string; data: Record<string, unknown> }[];
    }>();
    expect(audit.items.find((e) => e.action === "freeze.overridden")?.data).toMatchObject({
      window: "quarter close",
      reason: "hotfix for a data leak, CTO approved",
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Flag, FlagChangeRequest, FlagSetVersion, PromoteFlagsResult } from "../../shared/flags/flags.api.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";

/** `stg` changes apply at once; `live` needs two approvers, like its deployments. */
const yaml = `project: shop
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"], required: 2 } ]
      expiresAfter: 1h
`;

describe.each(testDialects())("scheduled and approved flag changes on %s", (dialect) => {
  let t: TestApp;
  const api = "/api/v1/projects/shop";
  const tokens: Record<string, string> = {};
  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });
  const snapshot = async (env: string) =>
    (await t.request({ method: "GET", url: `${api}/environments/${env}/flags/snapshot` })).json<FlagSet>();
  const change = async (id: string) =>
    (await t.request({ method: "GET", url: `${api}/flag-changes/${id}` })).json<FlagChangeRequest>();

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: `${api}/config`,
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    const created = await t.request({
      method: "POST",
      url: `${api}/flags`,
      payload: { key: "checkout", type: "boolean", variants: { on: true, off: false } },
    });
    expect(created.statusCode, created.body).toBe(201);
    for (const [username, role] of [
      ["dev", "developer"],
      ["alice", "approver"],
      ["bob", "approver"],
      ["carol", "approver"],
    ] as const) {
      tokens[username] = await userWithToken(t, { username, project: "shop", role });
    }
  }, 60_000);
  afterAll(() => t.close());

  it("applies a scheduled rollout at its time, once, as a new audited version", async () => {
    const before = (await snapshot("stg")).version;
    const at = new Date(Date.now() + 1500).toISOString();
    const res = await t.request({
      method: "PUT",
      url: `${api}/environments/stg/flags/checkout/rollout`,
      payload: { percentage: 25, reason: "ramp up at night", scheduleAt: at },
      headers: as("dev"),
    });
    expect(res.statusCode, res.body).toBe(202);
    const scheduled = res.json<FlagChangeRequest>();
    expect(scheduled).toMatchObject({ status: "scheduled", environment: "stg", author: "dev", applyAt: at, approval: null });
    expect((await snapshot("stg")).version).toBe(before);
    const listed = await t.request({ method: "GET", url: `${api}/flag-changes?status=scheduled` });
    expect(listed.json<{ items: FlagChangeRequest[] }>().items.map((c) => c.id)).toContain(scheduled.id);

    const until = Date.now() + 15_000;
    while ((await change(scheduled.id)).status === "scheduled" && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = await change(scheduled.id);
    expect(done).toMatchObject({ status: "applied", appliedVersion: before + 1 });
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(at));
    const set = await snapshot("stg");
    expect(set.version).toBe(before + 1);
    expect(set.flags.checkout).toMatchObject({ enabled: true, rollout: { weights: [{ variant: "on", weight: 25 }, {}] } });
    const history = await t.request({ method: "GET", url: `${api}/environments/stg/flag-versions?limit=1` });
    expect(history.json<{ items: FlagSetVersion[] }>().items[0]).toMatchObject({ actor: "dev", reason: "ramp up at night" });
    const audit = await t.request({ method: "GET", url: "/api/v1/audit?action=flag.rollout_changed" });
    const events = audit.json<{ items: Array<{ actor: string; data: { changeRequest?: string } }> }>().items;
    expect(events.filter((e) => e.data.changeRequest === scheduled.id)).toHaveLength(1);
  });

  it("cancels a scheduled change, and refuses times in the past", async () => {
    const res = await t.request({
      method: "POST",
      url: `${api}/environments/stg/flags/checkout/disable`,
      payload: { scheduleAt: new Date(Date.now() + 3_600_000).toISOString() },
      headers: as("dev"),
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<FlagChangeRequest>().id;
    const cancelled = await t.request({ method: "POST", url: `${api}/flag-changes/${id}/cancel`, headers: as("dev") });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<FlagChangeRequest>().status).toBe("cancelled");
    const again = await t.request({ method: "POST", url: `${api}/flag-changes/${id}/cancel`, headers: as("dev") });
    expect(again.statusCode).toBe(409);
    const past = await t.request({
      method: "POST",
      url: `${api}/environments/stg/flags/checkout/enable`,
      payload: { scheduleAt: "2001-01-01T00:00:00Z" },
    });
    expect(past.statusCode).toBe(400);
    expect(past.json()).toMatchObject({ error: { code: "invalid_request", details: { field: "scheduleAt" } } });
  });

  it("holds a change to an environment that needs approval until two other people approve it", async () => {
    const before = await snapshot("live");
    const res = await t.request({
      method: "POST",
      url: `${api}/environments/live/flags/checkout/enable`,
      payload: { reason: "launch" },
      headers: as("carol"),
    });
    expect(res.statusCode, res.body).toBe(202);
    const pending = res.json<FlagChangeRequest>();
    expect(pending).toMatchObject({ status: "pending_approval", author: "carol" });
    expect(pending.approval?.groups).toEqual([{ name: "managers", required: 2, approvedBy: [], satisfied: false }]);
    expect((await snapshot("live")).version).toBe(before.version);

    const approve = (user: string) =>
      t.request({ method: "POST", url: `${api}/flag-changes/${pending.id}/approve`, payload: {}, headers: as(user) });
    expect((await approve("dev")).statusCode).toBe(403);
    const self = await approve("carol");
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ error: { code: "self_approval" } });
    const first = await approve("alice");
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json<FlagChangeRequest>()).toMatchObject({ status: "pending_approval" });
    expect((await approve("alice")).json()).toMatchObject({ error: { code: "already_decided" } });
    expect((await snapshot("live")).version).toBe(before.version);

    const second = await approve("bob");
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json<FlagChangeRequest>()).toMatchObject({ status: "applied", appliedVersion: before.version + 1 });
    const after = await snapshot("live");
    expect(after.flags.checkout?.enabled).toBe(true);
    const history = await t.request({ method: "GET", url: `${api}/environments/live/flag-versions?limit=1` });
    expect(history.json<{ items: FlagSetVersion[] }>().items[0]).toMatchObject({ actor: "carol", reason: "launch" });
    const audit = await t.request({ method: "GET", url: "/api/v1/audit?action=flag_change.approved" });
    expect(audit.json<{ items: Array<{ actor: string }> }>().items.map((e) => e.actor)).toEqual(
      expect.arrayContaining(["alice", "bob"]),
    );
  });

  it("rejects with a comment, gates promotions too, and never holds up the kill switch", async () => {
    const promoted = await t.request({
      method: "POST",
      url: `${api}/flag-promotions`,
      payload: { from: "stg", to: "live", keys: ["checkout"] },
      headers: as("dev"),
    });
    expect(promoted.statusCode, promoted.body).toBe(200);
    const result = promoted.json<PromoteFlagsResult>();
    expect(result).toMatchObject({ applied: false, version: null });
    expect(result.changeRequest).toMatch(/^fcr/);
    const reject = (comment?: string) =>
      t.request({
        method: "POST",
        url: `${api}/flag-changes/${result.changeRequest}/reject`,
        payload: comment ? { comment } : {},
        headers: as("alice"),
      });
    expect((await reject()).statusCode).toBe(400);
    const rejected = await reject("not during the sale");
    expect(rejected.statusCode, rejected.body).toBe(200);
    expect(rejected.json<FlagChangeRequest>()).toMatchObject({ status: "rejected", action: "flag.promoted" });
    expect((await snapshot("live")).flags.checkout?.rollout).toBeNull();

    const kill = await t.request({
      method: "POST",
      url: `${api}/environments/live/flags/checkout/disable`,
      payload: { reason: "errors" },
      headers: as("dev"),
    });
    expect(kill.statusCode, kill.body).toBe(200);
    expect(kill.json<Flag>().environments.live?.enabled).toBe(false);
  });
});

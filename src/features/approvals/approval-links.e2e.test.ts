import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgedToken, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";
import { type ChatFake, startSlackFake } from "../notifications/notifiers/chat.fakes.ts";

const yaml = (slackUrl: string) => `notifications:
  - { type: slack, url: "${slackUrl}", events: [approval_requested] }
environments:
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
    approval: { groups: [ { name: managers, members: ["@approver"] } ], expiresAfter: 1h }
`;

describe.each(testDialects())("approval links on %s", (dialect) => {
  let t: TestApp;
  let slack: ChatFake;
  const tokens: Record<string, string> = {};
  const as = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });

  beforeAll(async () => {
    slack = await startSlackFake();
    t = await startTestApp(dialect, { STAGEGATE_PUBLIC_URL: "https://sg.acme.test" });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: yaml(slack.url),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    tokens.dev = await userWithToken(t, { username: "dev", project: "shop", role: "developer" });
    tokens.boss = await userWithToken(t, { username: "boss", project: "shop", role: "approver" });
  });
  afterAll(async () => {
    await t.close();
    await slack.close();
  });

  /** A release waiting for approval in live, and the Approve/Reject links Slack received for it. */
  async function pending(version: string) {
    const sha = version.replace(/\D/g, "").padEnd(12, "c");
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version, commitSha: sha, branch: "main" },
      headers: as("dev"),
    });
    expect(created.statusCode, created.body).toBe(201);
    const promoted = await t.request({
      method: "POST",
      url: `/api/v1/projects/shop/releases/${version}/promote`,
      payload: { environment: "live" },
      headers: as("dev"),
    });
    const d = promoted.json<Deployment>();
    expect(d.status).toBe("pending_approval");
    const message = () => slack.messages.map((m) => JSON.stringify(m)).find((text) => text.includes(version));
    await expect.poll(message, { timeout: 15_000 }).toBeDefined();
    const links = [...(message() ?? "").matchAll(/https:\/\/sg\.acme\.test\/approve\/(v1\.[A-Za-z0-9_-]+\.[0-9a-f]+)/g)];
    const [approve, reject] = links.map((m) => m[1] ?? "");
    expect(approve && reject && approve !== reject).toBeTruthy();
    return { d, approve: approve ?? "", reject: reject ?? "" };
  }

  it("leads an opened link to the dashboard's approval page, with the token out of the server's sight", async () => {
    const { d, approve, reject } = await pending("3.0.0");
    const opened = await t.app.http.inject({ method: "GET", url: `/approve/${approve}` });
    expect(opened.statusCode).toBe(303);
    expect(opened.headers.location).toBe(`/approvals/${d.id}#link=${approve}&action=approve`);
    expect(opened.headers["cache-control"]).toBe("no-store");
    expect(opened.headers["referrer-policy"]).toBe("no-referrer");
    const rejectLink = await t.app.http.inject({ method: "GET", url: `/approve/${reject}` });
    expect(rejectLink.headers.location).toBe(`/approvals/${d.id}#link=${reject}&action=reject`);
    // Opening changes nothing.
    expect((await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}` })).json<Deployment>().status).toBe(
      "pending_approval",
    );
  });

  it("answers a tampered or malformed link with a page that says why, not a redirect", async () => {
    const { approve } = await pending("3.1.0");
    const tampered = await t.app.http.inject({ method: "GET", url: `/approve/${forgedToken(approve)}` });
    expect(tampered.statusCode).toBe(400);
    expect(tampered.headers.location).toBeUndefined();
    expect(tampered.headers["content-type"]).toContain("text/html");
    expect(tampered.body).toContain("signature does not match");
    const malformed = await t.app.http.inject({ method: "GET", url: "/approve/v2.abcdefghij" });
    expect([malformed.statusCode, malformed.body.includes("malformed")]).toEqual([400, true]);
  });

  it("spends the link once, for an approver only, and deploys", async () => {
    const { d, approve } = await pending("3.2.0");
    const byDev = await t.request({ method: "POST", url: `/api/v1/approval-links/${approve}`, payload: {}, headers: as("dev") });
    expect(byDev.statusCode).toBe(403);
    const anonymous = await t.app.http.inject({ method: "POST", url: `/api/v1/approval-links/${approve}`, payload: {} });
    expect(anonymous.statusCode).toBe(401);
    const decided = await t.request({
      method: "POST",
      url: `/api/v1/approval-links/${approve}`,
      payload: { comment: "looks good" },
      headers: as("boss"),
    });
    expect(decided.statusCode, decided.body).toBe(200);
    const replay = await t.request({
      method: "POST",
      url: `/api/v1/approval-links/${approve}`,
      payload: {},
      headers: as("boss"),
    });
    expect([replay.statusCode, replay.json().error.message]).toEqual([400, expect.stringContaining("already used")]);
    expect((await t.waitForDeployment(d.id)).status).toBe("succeeded");
  });
});

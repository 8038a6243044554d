import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApprovalState } from "../../src/sdk/approvals.ts";
import type { Deployment } from "../../src/shared/api.ts";
import { startTestApp, type TestApp, userWithToken } from "../helpers/app.ts";
import { type CliResult, runCli } from "../helpers/cli.ts";
import { testDialects } from "../helpers/db.ts";

/** `stg` needs no approval; each live environment needs one approver, and both follow `stg`. */
const YAML = `environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live_eu
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"] } ]
      expiresAfter: 1h
  - name: live_us
    requires: stg
    executor: { type: shell, config: { command: ["true"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"] } ]
      expiresAfter: 1h
`;

describe.each(testDialects())("approving with the stagegate CLI on %s", (dialect) => {
  let t: TestApp;
  let server: string;
  const tokens: Record<string, string> = {};
  let sha = 0;

  /** `stagegate --server <url> --token <user's token> …args`, in-process. */
  const as = (user: string, ...args: string[]): Promise<CliResult> =>
    runCli(["--server", server, "--token", tokens[user] ?? "", ...args]);
  const ok = async (user: string, ...args: string[]): Promise<string> => {
    const result = await as(user, ...args);
    expect(result.code, `${user}: stagegate ${args.join(" ")}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  /** Creates `version` as `user` and promotes it to stg, then to `to`: a deployment waiting for approval there. */
  const waitingIn = async (user: string, version: string, ...to: string[]): Promise<Deployment[]> => {
    sha++;
    await ok(
      user,
      "release",
      "create",
      "-p",
      "app",
      "--version",
      version,
      "--commit",
      sha.toString(16).padStart(12, "c"),
      "--branch",
      "main",
    );
    await ok(user, "promote", "-p", "app", version, "--to", "stg", "--wait");
    const waiting: Deployment[] = [];
    for (const env of to) {
      const deployment = JSON.parse(await ok(user, "promote", "-p", "app", version, "--to", env, "-o", "json")) as Deployment;
      expect(deployment.status).toBe("pending_approval");
      waiting.push(deployment);
    }
    return waiting;
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/app/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    for (const [username, role] of [
      ["dave", "developer"],
      ["bob", "approver"],
      ["carol", "approver"],
    ] as const) {
      tokens[username] = await userWithToken(t, { username, project: "app", role });
    }
  });
  afterAll(() => t?.close());

  it("lets an approver find a developer's deployment in approvals list and approve it, and then it deploys", async () => {
    const [deployment] = await waitingIn("dave", "1.0.0", "live_eu");
    const id = deployment?.id ?? "";

    const list = await ok("bob", "approvals", "list");
    expect(list).toMatch(new RegExp(`^${id}\\s+app\\s+1\\.0\\.0 → live_eu\\s+dave\\s+managers 0/1\\s+in (59m|1h)$`, "m"));
    const mine = JSON.parse(await ok("bob", "approvals", "list", "-o", "json")) as { items: { deployment: Deployment }[] };
    expect(mine.items.map((item) => item.deployment.id)).toEqual([id]);
    expect((await as("dave", "approvals", "list")).stderr).toBe("nothing is waiting for your approval\n");

    const approved = await ok("bob", "approve", id, "--comment", "stg looks healthy");
    expect(approved).toMatch(
      new RegExp(`^approved deployment ${id}: managers 1/1; the deployment is (queued|running|succeeded)`),
    );
    expect((await t.waitForDeployment(id)).status).toBe("succeeded");

    const detail = await ok("dave", "approvals", "get", id);
    expect(detail).toMatch(/^Groups:\s+managers 1\/1 \(bob\)$/m);
    expect(detail).toMatch(/^Expires:\s+-$/m);
    expect(detail).toMatch(/^approve\s+bob\s+(just now|\S+ ago)\s+stg looks healthy$/m);
    const state = JSON.parse(await ok("dave", "approvals", "get", id, "-o", "json")) as ApprovalState;
    expect(state).toMatchObject({ deploymentId: id, status: "succeeded", groups: [{ name: "managers", satisfied: true }] });
    expect((await as("bob", "approvals", "list")).stderr).toBe("nothing is waiting for your approval\n");
  });

  it("approves a release waiting in two environments with one command", async () => {
    const waiting = await waitingIn("dave", "2.0.0", "live_eu", "live_us");

    const out = await ok("bob", "approve", "-p", "app", "2.0.0", "--env", "live_eu", "--env", "live_us");

    const approved = out.split("\n").filter((line) => line.startsWith("approved "));
    expect(approved).toEqual([
      expect.stringMatching(/^approved 2\.0\.0 in live_eu \(deployment \S+\): managers 1\/1; the deployment is /),
      expect.stringMatching(/^approved 2\.0\.0 in live_us \(deployment \S+\): managers 1\/1; the deployment is /),
    ]);
    for (const deployment of waiting) expect((await t.waitForDeployment(deployment.id)).status).toBe("succeeded");
  });

  it("refuses self-approval with exit 1 and the server's reason, and a rejection without a comment with exit 2", async () => {
    const [deployment] = await waitingIn("carol", "3.0.0", "live_eu");
    const id = deployment?.id ?? "";

    const self = await as("carol", "approve", id);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain("carol created or promoted 3.0.0 and may not approve it");
    expect(self.stderr).toContain("(self_approval)");
    const developer = await as("dave", "approve", id);
    expect([developer.code, developer.stderr]).toEqual([3, expect.stringContaining("(forbidden)")]);

    const noComment = await as("bob", "reject", id);
    expect(noComment.code).toBe(2);
    expect(noComment.stderr).toContain("required option '--comment <text>' not specified");

    expect(await ok("bob", "reject", id, "--comment", "wait for the schema migration")).toBe(
      `rejected deployment ${id}: it is rejected and will not deploy\n`,
    );
    const late = await as("bob", "approve", id);
    expect([late.code, late.stderr]).toEqual([
      1,
      expect.stringContaining(
        "is rejected (rejected by bob: wait for the schema migration); there is nothing to decide (invalid_state)",
      ),
    ]);
    const final = (await t.request({ method: "GET", url: `/api/v1/deployments/${id}` })).json<Deployment>();
    expect(final).toMatchObject({ status: "rejected", reason: "rejected by bob: wait for the schema migration" });
  });
});

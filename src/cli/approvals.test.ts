import { afterEach, describe, expect, it } from "vitest";
import { sampleDeployment } from "../../test/helpers/cli.ts";
import {
  type Handler,
  type RecordingServer,
  sendError,
  sendJson,
  startRecordingServer,
} from "../../test/helpers/recording-server.ts";
import type { ApprovalState, PendingApproval } from "../sdk/approvals.ts";
import { run } from "./main.ts";

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs the CLI in-process against a fake API answering with `handler`. */
async function against(handler: Handler) {
  const started = await startRecordingServer(handler);
  server = started;
  const cli = async (...args: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await run(["node", "stagegate", "--server", started.url, "--token", "t0ken", ...args], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { code, stdout, stderr };
  };
  return { requests: started.requests, cli };
}

const inAnHour = () => new Date(Date.now() + 3_510_000).toISOString();

function approvalState(overrides: Partial<ApprovalState> = {}): ApprovalState {
  return {
    deploymentId: "dep_1",
    status: "pending_approval",
    groups: [{ name: "managers", required: 2, approvedBy: ["bob"], satisfied: false }],
    decisions: [{ user: "bob", decision: "approve", comment: null, at: new Date().toISOString() }],
    expiresAt: inAnHour(),
    waitTimerMs: 0,
    ...overrides,
  };
}

describe("stagegate approve", () => {
  it("approves a deployment and says how many approvals are still missing", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, approvalState()));

    const { code, stdout } = await cli("approve", "dep_1");

    expect(code).toBe(0);
    expect(requests[0]).toMatchObject({ method: "POST", url: "/api/v1/deployments/dep_1/approve", body: "{}" });
    expect(stdout.trim()).toBe("approved deployment dep_1: managers 1/2; waiting for more approvals, expires in 58m");
  });

  it("sends the comment and, on the last approval, says the deployment is queued and how to follow it", async () => {
    const queued = approvalState({
      status: "queued",
      groups: [{ name: "managers", required: 2, approvedBy: ["bob", "carol"], satisfied: true }],
    });
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, queued));

    const { code, stdout } = await cli("approve", "dep_1", "--comment", "report looks good");

    expect(code).toBe(0);
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ comment: "report looks good" });
    expect(stdout).toBe(
      "approved deployment dep_1: managers 2/2; the deployment is queued\nfollow it: stagegate deploy log dep_1 --follow\n",
    );
  });

  it("mentions the wait timer when the approved deployment waits before it starts", async () => {
    const { cli } = await against((_req, res) => sendJson(res, 200, approvalState({ status: "queued", waitTimerMs: 300_000 })));

    expect((await cli("approve", "dep_1")).stdout).toContain("all approvals in, it starts after its wait timer (5m)");
  });

  it("approves a release in several environments in one call, one line per environment", async () => {
    const { cli, requests } = await against((_req, res) =>
      sendJson(res, 200, { items: [approvalState({ deploymentId: "dep_eu" }), approvalState({ deploymentId: "dep_us" })] }),
    );

    const { code, stdout } = await cli(
      "approve",
      "-p",
      "demo",
      "1.4.0",
      "--env",
      "live_eu",
      "--env",
      "live_us",
      "--comment",
      "ok",
    );

    expect(code).toBe(0);
    expect(requests[0]).toMatchObject({ method: "POST", url: "/api/v1/projects/demo/releases/1.4.0/approve" });
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ environments: ["live_eu", "live_us"], comment: "ok" });
    expect(stdout.trim().split("\n")).toEqual([
      "approved 1.4.0 in live_eu (deployment dep_eu): managers 1/2; waiting for more approvals, expires in 58m",
      "approved 1.4.0 in live_us (deployment dep_us): managers 1/2; waiting for more approvals, expires in 58m",
    ]);
  });

  it("prints the server's answer with -o json", async () => {
    const state = approvalState();
    const { cli } = await against((_req, res) => sendJson(res, 200, state));

    expect(JSON.parse((await cli("approve", "dep_1", "-o", "json")).stdout)).toEqual(state);
  });

  it("exits 2 without a request when the release form lacks --env or --env comes without -p", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, approvalState()));

    const noEnv = await cli("approve", "-p", "demo", "1.4.0");
    const noProject = await cli("approve", "dep_1", "--env", "live");

    expect([noEnv.code, noProject.code]).toEqual([2, 2]);
    expect(noEnv.stderr).toContain("--env <env>");
    expect(noProject.stderr).toContain("add -p <project>");
    expect(requests).toEqual([]);
  });

  it.each([
    [403, "self_approval", 1],
    [403, "not_an_approver", 1],
    [409, "already_decided", 1],
    [409, "approval_expired", 1],
    [409, "invalid_state", 1],
    [403, "forbidden", 3],
    [401, "unauthorized", 3],
    [404, "deployment_not_found", 3],
  ])("maps HTTP %i %s to exit %i with the server's message", async (status, errorCode, exit) => {
    const { cli } = await against((_req, res) => sendError(res, status, errorCode, "alice may not approve 1.4.0"));

    const { code, stderr } = await cli("approve", "dep_1");

    expect(code).toBe(exit);
    expect(stderr).toContain(`error: alice may not approve 1.4.0 (${errorCode})`);
  });

  it("does not blame the token's role for a refusal by the approval policy", async () => {
    const { cli } = await against((_req, res) => sendError(res, 403, "self_approval", "alice created 1.4.0"));

    expect((await cli("approve", "dep_1")).stderr).not.toContain("hint:");
  });
});

describe("stagegate reject", () => {
  it("sends the comment and says the deployment will not deploy", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, approvalState({ status: "rejected" })));

    const { code, stdout } = await cli("reject", "dep_1", "--comment", "data loss in orders");

    expect(code).toBe(0);
    expect(requests[0]).toMatchObject({ method: "POST", url: "/api/v1/deployments/dep_1/reject" });
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ comment: "data loss in orders" });
    expect(stdout.trim()).toBe("rejected deployment dep_1: it is rejected and will not deploy");
  });

  it("exits 2 without a request when the comment is missing or blank", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, approvalState()));

    const missing = await cli("reject", "dep_1");
    const blank = await cli("reject", "dep_1", "--comment", "  ");

    expect([missing.code, blank.code]).toEqual([2, 2]);
    expect(missing.stderr).toContain("--comment");
    expect(blank.stderr).toContain("--comment is empty");
    expect(requests).toEqual([]);
  });
});

describe("stagegate approvals", () => {
  const pending: PendingApproval[] = [
    { deployment: { ...sampleDeployment, status: "pending_approval", createdBy: "alice" }, approval: approvalState() },
  ];

  it("lists what waits for my approval with the progress of each group and when it expires", async () => {
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, { items: pending }));

    const { code, stdout } = await cli("approvals", "list");

    expect(code).toBe(0);
    expect(requests[0]).toMatchObject({ method: "GET", url: "/api/v1/approvals?mine=pending" });
    expect(stdout.trimEnd().split("\n")).toEqual([
      "DEPLOYMENT  PROJECT  RELEASE → ENVIRONMENT  REQUESTED BY  APPROVALS     EXPIRES",
      "dep_1       demo     1.4.0 → live           alice         managers 1/2  in 58m",
    ]);
  });

  it("says so when nothing waits, and prints the raw answer with -o json", async () => {
    let answered = 0;
    const { cli } = await against((_req, res) => sendJson(res, 200, { items: answered++ === 0 ? [] : pending }));

    const empty = await cli("approvals", "list");
    const json = await cli("approvals", "list", "-o", "json");

    expect([empty.code, empty.stdout, empty.stderr]).toEqual([0, "", "nothing is waiting for your approval\n"]);
    expect(JSON.parse(json.stdout)).toEqual({ items: pending });
  });

  it("shows one approval with the deployment it is about and every decision", async () => {
    const state = approvalState({
      decisions: [{ user: "bob", decision: "approve", comment: "fine by me", at: new Date().toISOString() }],
    });
    const { cli, requests } = await against((req, res) =>
      sendJson(res, 200, req.url.endsWith("/approvals") ? state : { ...sampleDeployment, createdBy: "alice" }),
    );

    const { code, stdout } = await cli("approvals", "get", "dep_1");

    expect(code).toBe(0);
    expect(requests.map((r) => r.url)).toEqual(["/api/v1/deployments/dep_1/approvals", "/api/v1/deployments/dep_1"]);
    expect(stdout).toMatch(/^Release:\s+1\.4\.0 → live$/m);
    expect(stdout).toMatch(/^Requested by:\s+alice$/m);
    expect(stdout).toMatch(/^Groups:\s+managers 1\/2 \(bob\)$/m);
    expect(stdout).toMatch(/^Expires:\s+\S+ \(in 58m\)$/m);
    expect(stdout).toMatch(/^Wait timer:\s+-$/m);
    expect(stdout).toMatch(/^approve\s+bob\s+just now\s+fine by me$/m);
  });

  it("prints only the approval state with -o json", async () => {
    const state = approvalState();
    const { cli, requests } = await against((_req, res) => sendJson(res, 200, state));

    const { stdout } = await cli("approvals", "get", "dep_1", "-o", "json");

    expect(JSON.parse(stdout)).toEqual(state);
    expect(requests).toHaveLength(1);
  });
});

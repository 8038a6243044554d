import { afterEach, describe, expect, it } from "vitest";
import { type RecordingServer, sendError, sendJson, startRecordingServer } from "../../test/helpers/recording-server.ts";
import type { ApprovalState } from "./approvals.ts";
import { StagegateClient } from "./client.ts";
import { ApiError } from "./errors.ts";

const state: ApprovalState = {
  deploymentId: "dep_1",
  status: "pending_approval",
  groups: [{ name: "managers", required: 2, approvedBy: [], satisfied: false }],
  decisions: [],
  expiresAt: "2026-11-25T11:00:00.000Z",
  waitTimerMs: 0,
};

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientAnswering(status: number, body: unknown) {
  server = await startRecordingServer((_req, res) => sendJson(res, status, body));
  return { client: new StagegateClient({ baseUrl: server.url, token: "t0ken" }), requests: server.requests };
}

describe("ApprovalsClient", () => {
  it("approves and rejects a deployment, sending the comment only when there is one", async () => {
    const { client, requests } = await clientAnswering(200, state);

    expect(await client.approveDeployment("dep_1")).toEqual(state);
    await client.approveDeployment("dep_1", { comment: "ok" });
    await client.rejectDeployment("dep_1", "not yet");

    expect(requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", "/api/v1/deployments/dep_1/approve", "{}"],
      ["POST", "/api/v1/deployments/dep_1/approve", '{"comment":"ok"}'],
      ["POST", "/api/v1/deployments/dep_1/reject", '{"comment":"not yet"}'],
    ]);
  });

  it("approves a release in several environments, encoding the version as one path segment", async () => {
    const { client, requests } = await clientAnswering(200, { items: [state] });

    await client.approveRelease("demo", "1.0.0+build/5", { environments: ["live_eu", "live_us"] });

    expect(requests[0]?.url).toBe("/api/v1/projects/demo/releases/1.0.0%2Bbuild%2F5/approve");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ environments: ["live_eu", "live_us"] });
  });

  it("reads one approval and the caller's pending ones", async () => {
    const { client, requests } = await clientAnswering(200, { items: [] });

    await client.getApproval("dep_1");
    expect(await client.listPendingApprovals()).toEqual({ items: [] });

    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /api/v1/deployments/dep_1/approvals",
      "GET /api/v1/approvals?mine=pending",
    ]);
  });

  it("throws the policy's refusal as an ApiError with its code", async () => {
    server = await startRecordingServer((_req, res) => sendError(res, 403, "self_approval", "alice promoted 1.4.0"));
    const client = new StagegateClient({ baseUrl: server.url, token: "t0ken" });

    const error = await client.approveDeployment("dep_1").catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: "self_approval", message: "alice promoted 1.4.0" });
  });
});

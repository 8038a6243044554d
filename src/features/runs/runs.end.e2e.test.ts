import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, ONE_STAGE_YAML, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { CreatedRun, Run } from "./runs.types.ts";

describe.each(testDialects())("POST /runs/:id/end on %s", (dialect) => {
  let t: TestApp;
  const create = async (name: string) => {
    const res = await t.request({ method: "POST", url: "/api/v1/projects/ml/runs", payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<CreatedRun>();
  };
  const end = (id: string, payload: unknown, token?: string) =>
    t.request({
      method: "POST",
      url: `/api/v1/runs/${id}/end`,
      payload: payload as Record<string, unknown>,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "ml", ONE_STAGE_YAML);
  });
  afterAll(() => t.close());

  it("lets a job end its own run with the run's ingest token", async () => {
    const run = await create("etl");
    const ended = await end(run.id, { status: "failed" }, run.ingestToken);
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json<Run>()).toMatchObject({ id: run.id, status: "failed" });
    expect(ended.json<Run>().endedAt).not.toBeNull();
  });

  it("refuses another run's ingest token, an unknown one, and no token at all", async () => {
    const mine = await create("mine");
    const other = await create("other");
    const wrong = await end(mine.id, { status: "succeeded" }, other.ingestToken);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json<{ error: { message: string } }>().error.message).toContain(`belongs to run ${other.id}`);
    expect((await end(mine.id, { status: "succeeded" }, "sgr_not-a-token")).statusCode).toBe(401);
    const anonymous = await t.app.http.inject({
      method: "POST",
      url: `/api/v1/runs/${mine.id}/end`,
      payload: { status: "succeeded" },
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: `/api/v1/runs/${mine.id}` })).json<Run>().status).toBe("running");
  });

  it("still takes API tokens: the developer role may end a run, a viewer may not, an outsider sees no run", async () => {
    const run = await create("roles");
    const viewer = await userWithToken(t, { username: `viewer-${dialect}`, project: "ml", role: "viewer" });
    const outsider = await userWithToken(t, { username: `outsider-${dialect}` });
    const developer = await userWithToken(t, { username: `dev-${dialect}`, project: "ml", role: "developer" });
    expect((await end(run.id, { status: "succeeded" }, viewer)).statusCode).toBe(403);
    expect((await end(run.id, { status: "succeeded" }, outsider)).statusCode).toBe(404);
    const ended = await end(run.id, { status: "succeeded" }, developer);
    expect(ended.statusCode, ended.body).toBe(200);
    expect((await end(run.id, { status: "failed" })).json<{ error: { code: string } }>().error.code).toBe("invalid_state");
  });

  it("names the allowed statuses when the status is wrong or missing, after checking the caller", async () => {
    const run = await create("bad-status");
    for (const payload of [{ status: "done" }, {}]) {
      const bad = await end(run.id, payload, run.ingestToken);
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json<{ error: { code: string; message: string } }>().error).toMatchObject({
        code: "invalid_request",
        message: "body.status must be one of succeeded, failed, unknown",
      });
    }
    const extra = await end(run.id, { status: "failed", why: "x" });
    expect(extra.json<{ error: { message: string } }>().error.message).toBe("body.why is not a known field");
    const other = await create("other-bad");
    expect((await end(run.id, { status: "done" }, other.ingestToken)).statusCode).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, pipelineYaml, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";

describe.each(testDialects())("creating a run on %s", (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await applyConfig(t, "shop", pipelineYaml());
  });
  afterAll(() => t.close());

  it("refuses an environment the project does not have, naming the ones it has", async () => {
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/runs",
      payload: { name: "train", environment: "quant_sgt" },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: "environment_not_found",
      message: 'Project "shop" has no environment "quant_sgt" (environments: quant, quant_stg, live)',
    });
    const without = await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "adhoc" } });
    expect(without.statusCode, without.body).toBe(201);
  });

  it("answers 404 run_not_found for a run that does not exist", async () => {
    const res = await t.request({ method: "GET", url: "/api/v1/runs/run_nope" });
    expect([res.statusCode, res.json().error.code, res.json().error.message]).toEqual([
      404,
      "run_not_found",
      "Run run_nope does not exist",
    ]);
  });

  it("tells an API token with no role in the project nothing of its runs: the 404 of a missing run", async () => {
    const run = (await t.request({ method: "POST", url: "/api/v1/projects/shop/runs", payload: { name: "secret" } })).json<{
      id: string;
    }>();
    const outsider = await userWithToken(t, { username: "outsider" });
    const send = (id: string) =>
      t.app.http.inject({
        method: "POST",
        url: `/api/v1/runs/${id}/logs`,
        payload: '{"msg":"hi"}',
        headers: { authorization: `Bearer ${outsider}`, "content-type": "application/x-ndjson" },
      });
    const [existing, missing] = [await send(run.id), await send("run_nope")];
    expect([existing.statusCode, existing.json().error.code]).toEqual([404, "run_not_found"]);
    expect(existing.json().error.message).toBe(`Run ${run.id} does not exist`);
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, "run_not_found"]);
    const otlp = await t.app.http.inject({
      method: "POST",
      url: "/v1/logs",
      headers: { authorization: `Bearer ${outsider}`, "content-type": "application/json" },
      payload: {
        resourceLogs: [
          {
            resource: { attributes: [{ key: "stagegate.run.id", value: { stringValue: run.id } }] },
            scopeLogs: [{ logRecords: [{ body: { stringValue: "hi" } }] }],
          },
        ],
      },
    });
    expect(otlp.json()).toEqual({
      partialSuccess: { rejectedLogRecords: "1", errorMessage: `run ${run.id} does not exist` },
    });
  });
});

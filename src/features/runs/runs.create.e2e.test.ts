import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";

describe.each(testDialects())("creating a run on %s", (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
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
});

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApplyConfigResult, Environment } from "../../src/shared/api.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const PROCESS = readFileSync(new URL("../../docs/process.md", import.meta.url), "utf8");

describe("docs/process.md", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp("sqlite");
  });
  afterAll(() => t.close());

  it("holds a complete stagegate.yaml that the server accepts as documented", async () => {
    const blocks = [...PROCESS.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    expect(blocks).toHaveLength(1);
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/transcripts/config",
      payload: blocks[0],
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<ApplyConfigResult>().project.environments).toEqual(["quant", "quant_stg", "live"]);
    const envs = (await t.request({ method: "GET", url: "/api/v1/projects/transcripts/environments" })).json<{
      items: Environment[];
    }>().items;
    expect(envs.map((e) => [e.name, e.requires, e.autoDeploy?.branch ?? null, e.executor.map((s) => s.type)])).toEqual([
      ["quant", null, "main", ["shell"]],
      ["quant_stg", "quant", "main", ["webhook", "shell"]],
      ["live", "quant_stg", null, ["webhook"]],
    ]);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenFeature, ProviderEvents } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { FlagClient } from "./flag-client.ts";
import { FlagsAdminClient } from "./flags-admin.client.ts";
import { StagegateProvider } from "./openfeature.provider.ts";

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

describe("the Node flag SDK against a running server", () => {
  let t: TestApp;
  let baseUrl: string;
  let sdkKey: string;
  let admin: FlagsAdminClient;

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    await t.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    baseUrl = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
    admin = new FlagsAdminClient({ baseUrl, token: t.token });
    await admin.createFlag("shop", { key: "new-checkout", type: "boolean", variants: { on: true, off: false } });
    await admin.createFlag("shop", { key: "batch", type: "object", variants: { small: { size: 10 }, big: { size: 1000 } } });
    sdkKey = (await admin.createSdkKey("shop", "quant_stg", "sdk tests")).key;
  });
  afterAll(async () => {
    await OpenFeature.close();
    await t.close();
  });

  it("evaluates in-process exactly as OFREP does", async () => {
    await admin.rolloutFlag("shop", "quant_stg", "new-checkout", { percentage: 10 });
    const client = new FlagClient({ baseUrl, sdkKey });
    await client.ready();
    try {
      for (let i = 0; i < 30; i++) {
        const context = { targetingKey: `user-${i}` };
        const local = client.evaluate("new-checkout", context, "boolean");
        const remote = await fetch(`${baseUrl}/ofrep/v1/evaluate/flags/new-checkout`, {
          method: "POST",
          headers: { "x-api-key": sdkKey, "content-type": "application/json" },
          body: JSON.stringify({ context }),
        });
        const { metadata: _metadata, ...body } = (await remote.json()) as Record<string, unknown>;
        expect(local).toEqual(body);
      }
      const batch = client.evaluateBatch("new-checkout", [{ targetingKey: "a" }, {}, { targetingKey: "b" }]);
      expect(batch.map((r) => r.reason)).toEqual(["SPLIT", "ERROR", "SPLIT"]);
      expect(client.evaluate("batch", {}, "boolean")).toMatchObject({ errorCode: "TYPE_MISMATCH" });
    } finally {
      await client.close();
    }
  });

  it("drives an OpenFeature client that switches within a second, and follows a rollback", async () => {
    const provider = new StagegateProvider({ baseUrl, sdkKey });
    await OpenFeature.setProviderAndWait(provider);
    const of = OpenFeature.getClient();
    const changed: string[][] = [];
    of.addHandler(ProviderEvents.ConfigurationChanged, (event) => changed.push(event?.flagsChanged ?? []));
    const before = await of.getObjectDetails("batch", { size: 0 }, { targetingKey: "job-1" });
    expect(before).toMatchObject({ value: { size: 10 }, reason: "DISABLED" });
    const versionBefore = provider.client.version ?? 0;

    await admin.setFlagState("shop", "quant_stg", "batch", { enabled: true, defaultVariant: "big" });
    const took = await until(() => provider.client.version !== versionBefore, 1000);
    expect(took).toBeLessThan(1000);
    expect(await of.getObjectValue("batch", { size: 0 }, { targetingKey: "job-1" })).toEqual({ size: 1000 });
    await until(() => changed.length > 0, 500);
    expect(changed.at(-1)).toEqual(["batch"]);

    await admin.restoreFlags("shop", "quant_stg", versionBefore, "rollback");
    await until(() => provider.client.version === versionBefore + 2, 1000);
    expect(await of.getObjectDetails("batch", { size: 0 }, { targetingKey: "job-1" })).toMatchObject({
      value: { size: 10 },
      reason: "DISABLED",
    });
  });

  it("boots offline from a pinned snapshot file with reason CACHED", async () => {
    const snapshot = await admin.flagSnapshot("shop", "quant_stg", 1);
    const dir = mkdtempSync(join(tmpdir(), "sg-flags-"));
    const file = join(dir, "flags.json");
    writeFileSync(file, JSON.stringify(snapshot));
    const client = new FlagClient({ offline: true, snapshotFile: file });
    await client.ready();
    expect(client.version).toBe(1);
    expect(client.evaluate("new-checkout", { targetingKey: "u" })).toMatchObject({ value: false, reason: "CACHED" });
    await client.close();
  });

  it("keeps serving the last flag set with reason STALE when the server is gone", async () => {
    const other = await startTestApp("sqlite");
    await other.request({
      method: "PUT",
      url: "/api/v1/projects/shop/config",
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    const url = await other.app.http.listen({ port: 0, host: "127.0.0.1" });
    const otherAdmin = new FlagsAdminClient({ baseUrl: url, token: other.token });
    await otherAdmin.createFlag("shop", { key: "kill", type: "boolean", variants: { on: true, off: false } });
    await otherAdmin.enableFlag("shop", "live", "kill", true);
    const key = (await otherAdmin.createSdkKey("shop", "live", "gone")).key;
    const client = new FlagClient({ baseUrl: url, sdkKey: key, backoffMs: 50, pollMs: 100 });
    await client.ready();
    expect(client.evaluate("kill")).toMatchObject({ value: true, reason: "STATIC" });
    await other.close();
    await until(() => client.state === "stale", 2000);
    expect(client.evaluate("kill")).toMatchObject({ value: true, reason: "STALE" });
    await client.close();
  });
});

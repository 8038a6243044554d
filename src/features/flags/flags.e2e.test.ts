import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Flag, FlagSetVersion, PromoteFlagsResult } from "../../shared/flags/flags.api.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";
import { bucketOf } from "../../shared/flags/murmur3.ts";

describe.each(testDialects())("flag management on %s", (dialect) => {
  let t: TestApp;
  const api = "/api/v1/projects/shop";

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: `${api}/config`,
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  const createFlag = (payload: Record<string, unknown>) => t.request({ method: "POST", url: `${api}/flags`, payload });

  it("creates a flag that is off in every environment, with version 1 audited", async () => {
    const res = await createFlag({
      key: "checkout-v2",
      type: "boolean",
      variants: { on: true, off: false },
      description: "new checkout",
    });
    expect(res.statusCode, res.body).toBe(201);
    const flag = res.json<Flag>();
    expect(Object.keys(flag.environments)).toEqual(["quant", "quant_stg", "live"]);
    expect(flag.environments.live).toMatchObject({ enabled: false, defaultVariant: "on", offVariant: "off" });
    const versions = await t.request({ method: "GET", url: `${api}/environments/quant_stg/flag-versions` });
    expect(versions.json<{ items: FlagSetVersion[] }>().items.map((v) => [v.version, v.changes[0]?.change])).toEqual([
      [1, "added"],
    ]);
    const audit = await t.request({ method: "GET", url: "/api/v1/audit?action=flag.created" });
    expect(audit.statusCode, audit.body).toBe(200);
    expect(audit.json<{ items: Array<{ action: string; subject: { id: string } }> }>().items).toContainEqual(
      expect.objectContaining({ action: "flag.created", subject: { type: "flag", id: "checkout-v2" } }),
    );
    expect((await createFlag({ key: "checkout-v2", type: "boolean", variants: { on: true } })).statusCode).toBe(409);
  });

  it("refuses bad flags with 400 naming the field", async () => {
    const wrongType = await createFlag({ key: "n", type: "number", variants: { a: "x" } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({
      error: { code: "invalid_request", message: expect.stringContaining("variants.a") },
    });
    const weights = await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/checkout-v2`,
      payload: {
        rollout: {
          weights: [
            { variant: "on", weight: 60 },
            { variant: "off", weight: 30 },
          ],
        },
      },
    });
    expect(weights.statusCode).toBe(400);
    expect(weights.json<{ error: { message: string } }>().error.message).toContain('flag "checkout-v2" sum to 90%');
    const regex = await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/checkout-v2`,
      payload: { rules: [{ conditions: [{ attribute: "email", operator: "matches", value: "(a+)+$" }], variant: "on" }] },
    });
    expect(regex.statusCode).toBe(400);
    expect(regex.json<{ error: { message: string } }>().error.message).toContain("backtrack");
    const unknownEnv = await t.request({
      method: "POST",
      url: `${api}/environments/nowhere/flags/checkout-v2/enable`,
      payload: {},
    });
    expect(unknownEnv.statusCode).toBe(404);
  });

  it("rolls out to 10 % of quant_stg, keeps versions with reasons, and restores an old version", async () => {
    const rolled = await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/checkout-v2/rollout`,
      payload: { percentage: 10, reason: "canary" },
    });
    expect(rolled.statusCode, rolled.body).toBe(200);
    expect(rolled.json<Flag>().environments.quant_stg).toMatchObject({
      enabled: true,
      rollout: {
        weights: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 90 },
        ],
      },
    });
    const history = (await t.request({ method: "GET", url: `${api}/environments/quant_stg/flag-versions?limit=1` })).json<{
      items: FlagSetVersion[];
      nextCursor: string | null;
    }>();
    expect(history.items[0]).toMatchObject({ version: 2, reason: "canary", actor: expect.stringMatching(/^admin/) });
    expect(history.items[0]?.changes[0]?.fields).toHaveProperty("enabled", { before: false, after: true });
    expect(history.nextCursor).toBe("2");

    const pinned = (
      await t.request({ method: "GET", url: `${api}/environments/quant_stg/flags/snapshot?version=1` })
    ).json<FlagSet>();
    expect(pinned.flags["checkout-v2"]?.enabled).toBe(false);
    const restored = await t.request({
      method: "POST",
      url: `${api}/environments/quant_stg/flag-restores`,
      payload: { version: 1 },
    });
    expect(restored.json<FlagSetVersion>()).toMatchObject({ version: 3, reason: "restored version 1" });
    const now = (await t.request({ method: "GET", url: `${api}/environments/quant_stg/flags/snapshot` })).json<FlagSet>();
    expect(now).toMatchObject({ version: 3, environment: "quant_stg" });
    expect(now.flags["checkout-v2"]).toMatchObject({ enabled: false, rollout: null });
  });

  it("promotes flag configuration between environments with a diff preview", async () => {
    await t.request({
      method: "PUT",
      url: `${api}/environments/quant_stg/flags/checkout-v2/rollout`,
      payload: { percentage: 25 },
    });
    const dry = await t.request({
      method: "POST",
      url: `${api}/flag-promotions`,
      payload: { from: "quant_stg", to: "live", dryRun: true },
    });
    expect(dry.statusCode, dry.body).toBe(200);
    const preview = dry.json<PromoteFlagsResult>();
    expect(preview).toMatchObject({ applied: false, version: null });
    expect(Object.keys(preview.changes[0]?.fields ?? {}).sort()).toEqual(["enabled", "rollout"]);
    const before = (await t.request({ method: "GET", url: `${api}/flags/checkout-v2` })).json<Flag>();
    expect(before.environments.live?.enabled).toBe(false);
    const applied = (
      await t.request({ method: "POST", url: `${api}/flag-promotions`, payload: { from: "quant_stg", to: "live" } })
    ).json<PromoteFlagsResult>();
    expect(applied).toMatchObject({ applied: true, version: 2 });
    const after = (await t.request({ method: "GET", url: `${api}/flags/checkout-v2` })).json<Flag>();
    expect(after.environments.live).toMatchObject({ enabled: true, rollout: after.environments.quant_stg?.rollout });
    const again = (
      await t.request({ method: "POST", url: `${api}/flag-promotions`, payload: { from: "quant_stg", to: "live" } })
    ).json<PromoteFlagsResult>();
    expect(again).toMatchObject({ applied: false, changes: [] });
  });

  it("lists flags a page at a time", async () => {
    for (const key of ["b-flag", "c-flag", "a-flag"]) {
      expect((await createFlag({ key, type: "string", variants: { x: "1", y: "2" } })).statusCode).toBe(201);
    }
    const first = (await t.request({ method: "GET", url: `${api}/flags?limit=2` })).json<{ items: Flag[]; nextCursor: string }>();
    expect(first.items.map((f) => f.key)).toEqual(["a-flag", "b-flag"]);
    const second = (await t.request({ method: "GET", url: `${api}/flags?limit=2&cursor=${first.nextCursor}` })).json<{
      items: Flag[];
      nextCursor: string | null;
    }>();
    expect(second.items.map((f) => f.key)).toEqual(["c-flag", "checkout-v2"]);
    expect(second.nextCursor).toBeNull();
  });

  it("refuses to delete a segment a flag uses (409), and deletes it once unused", async () => {
    const seg = await t.request({
      method: "PUT",
      url: `${api}/flag-segments/beta`,
      payload: { conditions: [{ attribute: "dataset", operator: "startsWith", value: "beta_" }] },
    });
    expect(seg.statusCode, seg.body).toBe(200);
    const use = await t.request({
      method: "PUT",
      url: `${api}/environments/quant/flags/a-flag`,
      payload: { enabled: true, rules: [{ conditions: [{ segment: "beta" }], variant: "y" }] },
    });
    expect(use.statusCode, use.body).toBe(200);
    const refused = await t.request({ method: "DELETE", url: `${api}/flag-segments/beta` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { details: { flags: string[] } } }>().error.details.flags).toEqual(["a-flag"]);
    await t.request({ method: "PUT", url: `${api}/environments/quant/flags/a-flag`, payload: { rules: [] } });
    expect((await t.request({ method: "DELETE", url: `${api}/flag-segments/beta` })).statusCode).toBe(204);
    const missing = await t.request({
      method: "PUT",
      url: `${api}/environments/quant/flags/a-flag`,
      payload: { rules: [{ conditions: [{ segment: "beta" }], variant: "y" }] },
    });
    expect(missing.statusCode).toBe(400);
  });

  it("lets a viewer read but not change flags", async () => {
    const viewer = await userWithToken(t, { username: "vera", project: "shop", role: "viewer" });
    const headers = { authorization: `Bearer ${viewer}` };
    expect((await t.request({ method: "GET", url: `${api}/flags/checkout-v2`, headers })).statusCode).toBe(200);
    expect(
      (await t.request({ method: "POST", url: `${api}/environments/live/flags/checkout-v2/disable`, payload: {}, headers }))
        .statusCode,
    ).toBe(403);
  });

  it("reports flags left fully on or off", async () => {
    const res = await t.request({ method: "GET", url: `${api}/flag-reports/stale?days=0` });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: Array<{ key: string; environment: string; state: string }> }>().items;
    expect(items).toContainEqual(expect.objectContaining({ key: "b-flag", environment: "live", state: "fully_off" }));
    // Rolled out to 25 %: not fully on or off, and never evaluated since.
    expect(items.filter((i) => i.key === "checkout-v2" && i.environment === "live").map((i) => i.state)).toEqual([
      "not_evaluated",
    ]);
  });

  it("buckets the same way as the published scheme", async () => {
    // user-1 hashes to bucket 2092: inside a 25 % rollout (2500 basis points).
    expect(bucketOf("checkout-v2", "user-1")).toBe(2092);
  });
});

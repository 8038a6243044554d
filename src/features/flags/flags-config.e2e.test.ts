import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { ApplyConfigResult } from "../../shared/api.ts";
import type { Flag, FlagSetVersion } from "../../shared/flags/flags.api.ts";

const yaml = (flags: string) => `project: shop
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["true"] } }
${flags}`;

const declared = `flags:
  - key: new-checkout
    description: the new checkout
    environments:
      stg: { enabled: true }
      live: { enabled: true, rollout: { weights: [ { variant: "on", weight: 5 }, { variant: "off", weight: 95 } ] } }
  - key: scorer
    type: string
    variants: { v1: scorer-v1, v2: scorer-v2 }
    defaultVariant: v2
    offVariant: v1
`;

describe.each(testDialects())("flags declared in stagegate.yaml on %s", (dialect) => {
  let t: TestApp;
  const api = "/api/v1/projects/shop";
  const apply = (text: string) =>
    t.request({ method: "PUT", url: `${api}/config`, payload: text, headers: { "content-type": "application/yaml" } });
  const flag = async (key: string) => (await t.request({ method: "GET", url: `${api}/flags/${key}` })).json<Flag>();
  const versions = async (env: string) =>
    (await t.request({ method: "GET", url: `${api}/environments/${env}/flag-versions` })).json<{ items: FlagSetVersion[] }>()
      .items;

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  it("creates declared flags with their state per environment, audited", async () => {
    const res = await apply(yaml(declared));
    expect(res.statusCode, res.body).toBe(200);
    const checkout = await flag("new-checkout");
    expect(checkout.description).toBe("the new checkout");
    expect(checkout.environments.stg).toMatchObject({ enabled: true, rollout: null });
    expect(checkout.environments.live).toMatchObject({ enabled: true, rollout: { weights: [{ weight: 5 }, { weight: 95 }] } });
    expect((await flag("scorer")).environments.live).toMatchObject({ enabled: false, defaultVariant: "v2", offVariant: "v1" });
    expect((await versions("live")).map((v) => v.reason)).toContain("declared in stagegate.yaml");
    const audit = await t.request({ method: "GET", url: "/api/v1/audit?action=flag.created" });
    expect(audit.json<{ items: Array<{ subject: { id: string } }> }>().items.map((e) => e.subject.id)).toEqual(
      expect.arrayContaining(["new-checkout", "scorer"]),
    );
  });

  it("is idempotent and never undoes a change made since", async () => {
    const kill = await t.request({ method: "POST", url: `${api}/environments/live/flags/new-checkout/disable`, payload: {} });
    expect(kill.statusCode, kill.body).toBe(200);
    const before = (await versions("live")).length;
    const again = await apply(yaml(declared));
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<ApplyConfigResult>().changed).toBe(false);
    expect((await versions("live")).length).toBe(before);
    expect((await flag("new-checkout")).environments.live?.enabled).toBe(false);
  });

  it("refuses flags for environments the file does not declare, naming the field", async () => {
    const res = await apply(yaml("flags:\n  - key: ghost\n    environments: { prod: { enabled: true } }\n"));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: { code: "invalid_config", message: expect.stringContaining("flags[0].environments.prod") },
    });
    expect((await t.request({ method: "GET", url: `${api}/flags/ghost` })).statusCode).toBe(404);
  });
});

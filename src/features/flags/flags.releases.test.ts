import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { systemClock } from "../../shared/clock.ts";
import type { FlagSet } from "../../shared/flags/flags.types.ts";
import { createAuditService } from "../audit/audit.service.ts";
import { createFlagsFeature } from "./flags.feature.ts";

describe.each(testDialects())("flags that move with releases on %s", (dialect) => {
  let t: TestApp;
  let feature: ReturnType<typeof createFlagsFeature>;
  const api = "/api/v1/projects/shop";
  const live = async () => (await t.request({ method: "GET", url: `${api}/environments/live/flags/snapshot` })).json<FlagSet>();

  /** What the deployment runner does when a deployment succeeds: prepare outside, apply inside its transaction. */
  async function succeed(input: { id: string; version: string; kind: "deploy" | "rollback" }) {
    const { projects, releases } = t.app.services;
    const project = await projects.record("shop");
    const env = await projects.environment(project, "live");
    const release = await releases.record(project, input.version);
    const step = await feature.releaseFlags.prepareDeploymentSucceeded({
      id: input.id,
      projectId: project.id,
      environmentId: env.id,
      releaseId: release.id,
      kind: input.kind,
    });
    await t.db.kysely.transaction().execute(async (tx) => {
      await step?.(tx);
    });
    return step !== undefined;
  }

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await t.request({
      method: "PUT",
      url: `${api}/config`,
      payload: pipelineYaml(),
      headers: { "content-type": "application/yaml" },
    });
    await t.request({
      method: "POST",
      url: `${api}/flags`,
      payload: { key: "new-checkout", type: "boolean", variants: { on: true, off: false } },
    });
    for (const [version, sha] of [
      ["0.9.0", "aaaaaaaaaaaa"],
      ["1.0.0", "bbbbbbbbbbbb"],
    ]) {
      const res = await t.request({
        method: "POST",
        url: `${api}/releases`,
        payload: { version, commitSha: sha, branch: "main" },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const db = t.db.kysely;
    const { projects, releases } = t.app.services;
    const audit = createAuditService({ db, clock: systemClock, dialect });
    feature = createFlagsFeature({ db, clock: systemClock, dialect, projects, releases, audit });
  });
  afterAll(async () => {
    await feature.close();
    await t.close();
  });

  it("stores a release's manifest and refuses unknown environments and flags", async () => {
    const manifest = {
      environments: {
        live: {
          "new-checkout": {
            enabled: true,
            rollout: {
              weights: [
                { variant: "on", weight: 10 },
                { variant: "off", weight: 90 },
              ],
            },
          },
        },
      },
    };
    const saved = await t.request({ method: "PUT", url: `${api}/releases/1.0.0/flags`, payload: manifest });
    expect(saved.statusCode, saved.body).toBe(200);
    expect((await t.request({ method: "GET", url: `${api}/releases/1.0.0/flags` })).json()).toEqual(manifest);
    const env = await t.request({ method: "PUT", url: `${api}/releases/1.0.0/flags`, payload: { environments: { mars: {} } } });
    expect(env.statusCode).toBe(400);
    const flag = await t.request({
      method: "PUT",
      url: `${api}/releases/1.0.0/flags`,
      payload: { environments: { live: { ghost: { enabled: true } } } },
    });
    expect(flag.statusCode).toBe(404);
  });

  it("applies the manifest when the release succeeds in an environment, and a rollback restores the version before", async () => {
    const before = await live();
    expect(before.flags["new-checkout"]?.enabled).toBe(false);
    expect(await succeed({ id: "dep_a", version: "0.9.0", kind: "deploy" })).toBe(false);
    expect(await succeed({ id: "dep_b", version: "1.0.0", kind: "deploy" })).toBe(true);
    const deployed = await live();
    expect(deployed.version).toBe(before.version + 1);
    expect(deployed.flags["new-checkout"]).toMatchObject({
      enabled: true,
      rollout: {
        weights: [
          { variant: "on", weight: 10 },
          { variant: "off", weight: 90 },
        ],
      },
    });

    expect(await succeed({ id: "dep_c", version: "0.9.0", kind: "rollback" })).toBe(true);
    const rolledBack = await live();
    expect(rolledBack.version).toBe(before.version + 2);
    expect(rolledBack.flags["new-checkout"]).toMatchObject({ enabled: false, rollout: null });
    const history = (await t.request({ method: "GET", url: `${api}/environments/live/flag-versions?limit=1` })).json<{
      items: Array<{ reason: string }>;
    }>();
    expect(history.items[0]?.reason).toMatch(/^rollback: restored version/);
    // A second rollback has nothing of a release left to undo.
    expect(await succeed({ id: "dep_d", version: "0.9.0", kind: "rollback" })).toBe(false);
  });
  it("moves with real deployments: the runner applies a release's manifest when it succeeds and a rollback undoes it", async () => {
    const quant = async () =>
      (await t.request({ method: "GET", url: `${api}/environments/quant/flags/snapshot` })).json<FlagSet>();
    const deploy = async (url: string, payload?: object) => {
      const res = await t.request({ method: "POST", url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, res.body).toBeLessThan(300);
      const done = await t.waitForDeployment(res.json<{ id: string }>().id);
      expect(done.status, JSON.stringify(done)).toBe("succeeded");
    };
    const manifest = { environments: { quant: { "new-checkout": { enabled: true } } } };
    expect((await t.request({ method: "PUT", url: `${api}/releases/1.0.0/flags`, payload: manifest })).statusCode).toBe(200);
    await deploy(`${api}/releases/0.9.0/promote`, { environment: "quant" });
    const before = await quant();
    expect(before.flags["new-checkout"]?.enabled).toBe(false);

    await deploy(`${api}/releases/1.0.0/promote`, { environment: "quant" });
    const deployed = await quant();
    expect(deployed.flags["new-checkout"]?.enabled).toBe(true);
    expect(deployed.version).toBe(before.version + 1);

    await deploy(`${api}/environments/quant/rollback`);
    const rolledBack = await quant();
    expect(rolledBack.flags["new-checkout"]?.enabled).toBe(false);
    expect(rolledBack.version).toBe(before.version + 2);
  });
});

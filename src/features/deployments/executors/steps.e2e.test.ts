import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../../../test/helpers/app.ts";
import { testDialects } from "../../../../test/helpers/db.ts";
import type { Deployment } from "../../../shared/api.ts";

describe.each(testDialects())("step options in stagegate.yaml on %s", (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    const yaml = `environments:
  - name: stg
    backoff: 10ms
    retries: 0
    steps:
      - { name: lint, type: shell, config: { command: ["sh", "-c", "echo lint failed; exit 3"] }, continueOnError: true }
      - { name: flaky-hook, type: webhook, config: { url: "http://127.0.0.1:9/unreachable", timeout: 2s }, retries: 2 }
  - name: prod
    requires: null
    rollbackOnFailure: true
    steps:
      - { name: deploy, type: shell, config: { command: ["sh", "-c", "echo deploying $STAGEGATE_RELEASE"] } }
      - { name: smoke, type: shell, config: { command: ["sh", "-c", "test $STAGEGATE_RELEASE != 2.0.0"] }, verify: true }
`;
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/steps/config",
      payload: yaml,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(() => t.close());

  it("goes on after a continueOnError step fails and retries a step as often as it says", async () => {
    await t.request({
      method: "POST",
      url: "/api/v1/projects/steps/releases",
      payload: { version: "1.0.0", commitSha: "f".repeat(40), branch: "main" },
    });
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/steps/releases/1.0.0/promote",
      payload: { environment: "stg" },
    });
    const done = await t.waitForDeployment(res.json<Deployment>().id, 30_000);
    const log = (await t.request({ method: "GET", url: `/api/v1/deployments/${done.id}/log` })).body;
    expect(log).toContain('step "lint" failed (exit code 3');
    expect(log).toContain("continuing, as it has continueOnError");
    expect(log.match(/step "flaky-hook" attempt \d failed/g)).toHaveLength(2);
    expect(done.status).toBe("errored");
    expect(done.reason).toMatch(/step "flaky-hook" failed 3 times/);
  }, 40_000);

  it("fails a deploy whose verification step fails and rolls back to the last good release", async () => {
    const release = (version: string, sha: string) =>
      t.request({
        method: "POST",
        url: "/api/v1/projects/steps/releases",
        payload: { version, commitSha: sha.repeat(40), branch: "main" },
      });
    const promote = async (version: string) => {
      const res = await t.request({
        method: "POST",
        url: `/api/v1/projects/steps/releases/${version}/promote`,
        payload: { environment: "prod" },
      });
      return t.waitForDeployment(res.json<Deployment>().id, 30_000);
    };
    await release("1.5.0", "1");
    await release("2.0.0", "2");
    expect((await promote("1.5.0")).status).toBe("succeeded");
    const failed = await promote("2.0.0");
    expect(failed.status).toBe("failed");
    expect(failed.reason).toMatch(/^verification step "smoke" failed: exit code 1/);
    // The rollback is queued right after the failed deployment ends: wait for it to show up.
    let rollbackId: string | undefined;
    for (const until = Date.now() + 10_000; !rollbackId && Date.now() < until; ) {
      const list = await t.request({ method: "GET", url: "/api/v1/projects/steps/deployments?environment=prod" });
      rollbackId = list.json<{ items: Deployment[] }>().items.find((d) => d.kind === "rollback")?.id;
      if (!rollbackId) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rollbackId).toBeDefined();
    const log = (await t.request({ method: "GET", url: `/api/v1/deployments/${failed.id}/log` })).body;
    expect(log).toContain(`rolling back prod to 1.5.0 (deployment ${rollbackId}), as its policy says`);
    const rollback = await t.waitForDeployment(rollbackId ?? "", 30_000);
    expect(rollback).toMatchObject({ status: "succeeded", kind: "rollback", release: "1.5.0" });
  }, 60_000);

  it("rejects step options of the wrong type with the field's path", async () => {
    const bad = `environments:
  - name: stg
    steps:
      - { name: a, type: shell, config: { command: ["true"] }, retries: -1, reports: { kind: Integration, paths: [] } }
`;
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/steps/config",
      payload: bad,
      headers: { "content-type": "application/yaml" },
    });
    expect(res.statusCode).toBe(400);
    const paths = (res.json().error.details.errors as { path: string }[]).map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["environments[0].steps[0].retries", "environments[0].steps[0].reports.kind"]));
  });
});

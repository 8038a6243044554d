import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment, Environment, ProjectStatus, ReleaseDetail } from "../../shared/api.ts";

describe.each(testDialects())("promotion end to end on %s", (dialect) => {
  let t: TestApp;
  let commit = 0;
  const release = async (version: string, branch = "release") => {
    commit++;
    const sha = commit.toString(16).padStart(40, "a");
    const res = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version, commitSha: sha, branch },
    });
    expect(res.statusCode, res.body).toBe(201);
  };
  const promote = (version: string, environment: string, headers: Record<string, string> = {}) =>
    t.request({ method: "POST", url: `/api/v1/projects/shop/releases/${version}/promote`, payload: { environment }, headers });
  const promoteAndWait = async (version: string, environment: string) => {
    const res = await promote(version, environment);
    expect(res.statusCode, res.body).toBe(201);
    return t.waitForDeployment(res.json<Deployment>().id);
  };

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

  it("promotes a release environment by environment, refuses skipping, and rolls back", async () => {
    await release("1.0.0");
    const quant = await promoteAndWait("1.0.0", "quant");
    expect(quant.status).toBe("succeeded");
    const log = await t.request({ method: "GET", url: `/api/v1/deployments/${quant.id}/log` });
    expect(log.headers["content-type"]).toContain("text/plain");
    expect(log.body).toMatch(/^\S+Z stdout deploying 1\.0\.0 to quant$/m);

    const skipping = await promote("1.0.0", "live");
    expect(skipping.statusCode).toBe(409);
    expect(skipping.json().error.code).toBe("lifecycle_violation");
    expect(skipping.json().error.message).toContain("quant_stg");

    expect((await promoteAndWait("1.0.0", "quant_stg")).status).toBe("succeeded");
    expect((await promoteAndWait("1.0.0", "live")).status).toBe("succeeded");
    await release("1.1.0");
    for (const env of ["quant", "quant_stg", "live"]) expect((await promoteAndWait("1.1.0", env)).status).toBe("succeeded");

    const again = await promote("1.1.0", "live");
    expect(again.statusCode).toBe(200);
    expect(again.json<Deployment>().status).toBe("succeeded");

    const rollback = await t.request({ method: "POST", url: "/api/v1/projects/shop/environments/live/rollback" });
    expect(rollback.statusCode, rollback.body).toBe(201);
    const rolled = await t.waitForDeployment(rollback.json<Deployment>().id);
    expect(rolled).toMatchObject({ kind: "rollback", release: "1.0.0", status: "succeeded" });

    const envs = (await t.request({ method: "GET", url: "/api/v1/projects/shop/environments" })).json<{ items: Environment[] }>()
      .items;
    expect(envs.map((e) => [e.name, e.currentRelease?.version])).toEqual([
      ["quant", "1.1.0"],
      ["quant_stg", "1.1.0"],
      ["live", "1.0.0"],
    ]);
    const status = (await t.request({ method: "GET", url: "/api/v1/projects/shop/status" })).json<ProjectStatus>();
    expect(status.releases.map((r) => [r.version, r.cells.map((c) => c.status)])).toEqual([
      ["1.1.0", ["succeeded", "succeeded", "succeeded"]],
      ["1.0.0", ["succeeded", "succeeded", "succeeded"]],
    ]);
    const detail = (await t.request({ method: "GET", url: "/api/v1/projects/shop/releases/1.0.0" })).json<ReleaseDetail>();
    expect(detail.environments.find((e) => e.environment === "live")?.deployments.map((d) => d.kind)).toEqual([
      "rollback",
      "deploy",
    ]);
  });

  it("turns 100 concurrent promotes of one release into exactly one deployment", async () => {
    await release("2.0.0");
    const responses = await Promise.all(Array.from({ length: 100 }, () => promote("2.0.0", "quant")));
    expect(responses.map((r) => r.statusCode).filter((s) => s !== 200 && s !== 201)).toEqual([]);
    const ids = new Set(responses.map((r) => r.json<Deployment>().id));
    expect(
      ids.size,
      JSON.stringify(responses.map((r) => [r.statusCode, r.json<Deployment>().id.slice(-6), r.json<Deployment>().status])),
    ).toBe(1);
    expect(responses.filter((r) => r.statusCode === 201)).toHaveLength(1);
    const list = await t.request({ method: "GET", url: "/api/v1/projects/shop/deployments?environment=quant&limit=200" });
    expect(list.json<{ items: Deployment[] }>().items.filter((d) => d.release === "2.0.0")).toHaveLength(1);
    await t.waitForDeployment([...ids][0] ?? "");
  });

  it("replays a promote with the same Idempotency-Key and refuses the key for another request", async () => {
    await release("2.1.0");
    const first = await promote("2.1.0", "quant", { "idempotency-key": "abc-1" });
    const second = await promote("2.1.0", "quant", { "idempotency-key": "abc-1" });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json<Deployment>().id).toBe(first.json<Deployment>().id);
    const reused = await promote("2.1.0", "quant_stg", { "idempotency-key": "abc-1" });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error.code).toBe("idempotency_key_reuse");
    await t.waitForDeployment(first.json<Deployment>().id);
  });

  it("lists deployments with keyset pagination and filters", async () => {
    const page1 = (await t.request({ method: "GET", url: "/api/v1/projects/shop/deployments?limit=2" })).json<{
      items: Deployment[];
      nextCursor: string | null;
    }>();
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = (
      await t.request({ method: "GET", url: `/api/v1/projects/shop/deployments?limit=2&cursor=${page1.nextCursor}` })
    ).json<{ items: Deployment[] }>();
    expect(page2.items).toHaveLength(2);
    expect(page2.items.map((d) => d.id)).not.toContain(page1.items[0]?.id);
    expect((page1.items[1]?.createdAt ?? "") >= (page2.items[0]?.createdAt ?? "")).toBe(true);
    const live = (
      await t.request({ method: "GET", url: "/api/v1/projects/shop/deployments?environment=live&status=succeeded" })
    ).json<{ items: Deployment[] }>();
    expect(live.items.length).toBeGreaterThan(0);
    expect(live.items.every((d) => d.environment === "live" && d.status === "succeeded")).toBe(true);
    const bad = await t.request({ method: "GET", url: "/api/v1/projects/shop/deployments?cursor=nonsense" });
    expect(bad.statusCode).toBe(400);
  });
});

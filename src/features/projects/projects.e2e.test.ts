import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { ApplyConfigResult, Deployment, Environment, Project } from "../../shared/api.ts";

const yaml = { "content-type": "application/yaml" };

describe.each(testDialects())("projects and stagegate.yaml on %s", (dialect) => {
  let t: TestApp;
  const apply = (slug: string, body: string, query = "") =>
    t.request({ method: "PUT", url: `/api/v1/projects/${slug}/config${query}`, payload: body, headers: yaml });

  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(() => t.close());

  it("creates, lists and gets projects; a duplicate slug is a 409", async () => {
    const created = await t.request({
      method: "POST",
      url: "/api/v1/projects",
      payload: { slug: "alpha", name: "Alpha", repoUrl: "https://github.com/acme/alpha" },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json<Project>()).toMatchObject({ slug: "alpha", name: "Alpha", environments: [] });
    const again = await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug: "alpha", name: "Other" } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("project_exists");
    for (const slug of ["beta", "gamma"])
      await t.request({ method: "POST", url: "/api/v1/projects", payload: { slug, name: slug } });
    const page = (await t.request({ method: "GET", url: "/api/v1/projects?limit=2" })).json<{
      items: Project[];
      nextCursor: string;
    }>();
    expect(page.items.map((p) => p.slug)).toEqual(["alpha", "beta"]);
    const rest = (await t.request({ method: "GET", url: `/api/v1/projects?limit=2&cursor=${page.nextCursor}` })).json<{
      items: Project[];
      nextCursor: null;
    }>();
    expect(rest.items.map((p) => p.slug)).toEqual(["gamma"]);
    expect(rest.nextCursor).toBeNull();
    const missing = await t.request({ method: "GET", url: "/api/v1/projects/nope" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("project_not_found");
  });

  it("applies stagegate.yaml idempotently and reports per-environment changes", async () => {
    const first = await apply("shop", pipelineYaml());
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json<ApplyConfigResult>()).toMatchObject({
      changed: true,
      project: { slug: "shop", name: "Shop pipelines", environments: ["quant", "quant_stg", "live"] },
    });
    const second = (await apply("shop", pipelineYaml())).json<ApplyConfigResult>();
    expect(second.changed).toBe(false);
    expect(second.changes.map((c) => c.change)).toEqual(["unchanged", "unchanged", "unchanged"]);
    const changed = (await apply("shop", pipelineYaml({ live: ["sh", "-c", "echo other"] }))).json<ApplyConfigResult>();
    expect(changed.changes).toEqual([
      { environment: "quant", change: "unchanged" },
      { environment: "quant_stg", change: "unchanged" },
      { environment: "live", change: "updated" },
    ]);
    const source = await t.request({ method: "GET", url: "/api/v1/projects/shop/config" });
    expect(source.headers["content-type"]).toContain("application/yaml");
    expect(source.body).toContain("echo other");
    const envs = (await t.request({ method: "GET", url: "/api/v1/projects/shop/environments" })).json<{ items: Environment[] }>()
      .items;
    expect(envs.map((e) => [e.name, e.requires])).toEqual([
      ["quant", null],
      ["quant_stg", "quant"],
      ["live", "quant_stg"],
    ]);
  });

  it("accepts the same document as JSON", async () => {
    const res = await t.request({
      method: "PUT",
      url: "/api/v1/projects/jsonish/config",
      payload: { environments: [{ name: "dev", executor: { type: "shell", config: { command: ["true"] } } }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<ApplyConfigResult>().project.environments).toEqual(["dev"]);
  });

  it("names the line of invalid YAML and the field of an invalid config", async () => {
    const broken = await apply("bad", "environments:\n  - name: quant\n    executor: { type: shell\n");
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatchObject({ code: "invalid_config" });
    expect(broken.json().error.message).toMatch(/line \d+/);
    const wrongField = await apply(
      "bad",
      'environments:\n  - name: quant\n    executor:\n      type: shell\n      config: { command: ["x"], timeout: forever }\n',
    );
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.json().error.message).toContain("environments[0].executor.config.timeout");
    expect(wrongField.json().error.message).toContain("line 5");
    const unknownType = await apply("bad", "environments:\n  - name: quant\n    executor: { type: teleport }\n");
    expect(unknownType.json().error.message).toMatch(/shell/);
    const typo = await apply(
      "bad",
      'environments:\n  - name: quant_stg\n    executor: { type: shell, config: { command: ["x"] } }\n' +
        '  - name: live\n    executor: { type: shell, config: { command: ["x"] } }\n' +
        "    gates: [ { type: run_healthy, environment: quant_sgt } ]\n",
    );
    expect(typo.statusCode).toBe(400);
    expect(typo.json().error.message).toContain(
      'environments[1].gates[0].environment names "quant_sgt", which is not an environment of this file (quant_stg, live)',
    );
    const missingProject = await t.request({ method: "GET", url: "/api/v1/projects/bad" });
    expect(missingProject.statusCode).toBe(404);
  });

  it("refuses to remove an environment with deployments unless pruned", async () => {
    const full = pipelineYaml().replace("project: shop", "project: prune");
    expect((await apply("prune", full)).statusCode).toBe(200);
    await t.request({
      method: "POST",
      url: "/api/v1/projects/prune/releases",
      payload: { version: "1", commitSha: "abcdef0", branch: "main" },
    });
    const d = (
      await t.request({ method: "POST", url: "/api/v1/projects/prune/releases/1/promote", payload: { environment: "quant" } })
    ).json<Deployment>();
    await t.waitForDeployment(d.id);
    const withoutQuant = full
      .replace(/ {2}- name: quant\n.*\n/, "")
      .replace("  - name: quant_stg\n", "  - name: quant_stg\n    requires: null\n");
    const refused = await apply("prune", withoutQuant);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error).toMatchObject({ code: "environment_in_use", details: { environment: "quant" } });
    const pruned = await apply("prune", withoutQuant, "?prune=true");
    expect(pruned.statusCode, pruned.body).toBe(200);
    expect(pruned.json<ApplyConfigResult>().changes).toContainEqual({ environment: "quant", change: "removed" });
    const gone = await t.request({ method: "GET", url: `/api/v1/deployments/${d.id}` });
    expect(gone.statusCode).toBe(404);
  });
});

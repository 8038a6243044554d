import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp, userWithToken } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { Deployment } from "../../shared/api.ts";
import type { DoraFigures, ProjectMatrix, ProjectSummary, Readiness } from "./dashboard.types.ts";
import { doraFigures, median } from "./dora.ts";

const YAML = `environments:
  - name: stg
    gates: [ { type: tests_pass, kinds: [unit] } ]
    executor: { type: shell, config: { command: ["true"] } }
  - name: live
    executor: { type: shell, config: { command: ["sh", "-c", "test $STAGEGATE_RELEASE != 1.2.0"] } }
    approval:
      groups: [ { name: managers, members: ["@approver"], required: 2 } ]
`;

const JUNIT = `<testsuite name="s" tests="1"><testcase classname="c" name="t"/></testsuite>`;

describe.each(testDialects())("dashboard views on %s", (dialect) => {
  let t: TestApp;
  let dev: string;
  let approver: string;
  let approver2: string;
  let viewer: string;
  const get = <T>(url: string, token?: string) =>
    t.request({ method: "GET", url, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) }).then((r) => {
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return r.json<T>();
    });
  const post = (url: string, payload: unknown, token = dev) =>
    t.request({
      method: "POST",
      url,
      payload: payload as Record<string, unknown>,
      headers: { authorization: `Bearer ${token}` },
    });

  async function release(version: string, sha: string, green: boolean) {
    expect((await post("/api/v1/projects/app/releases", { version, commitSha: sha, branch: "main" })).statusCode).toBe(201);
    if (!green) return;
    const run = (await post("/api/v1/projects/app/report-runs", { commitSha: sha, branch: "main", kind: "unit" })).json<{
      id: string;
    }>();
    await t.request({
      method: "PUT",
      url: `/api/v1/report-runs/${run.id}/files/junit.xml`,
      payload: JUNIT,
      headers: { authorization: `Bearer ${dev}`, "content-type": "application/xml" },
    });
    await post(`/api/v1/report-runs/${run.id}/complete`, {});
  }
  async function deploy(version: string, environment: string): Promise<Deployment> {
    const res = await post(`/api/v1/projects/app/releases/${version}/promote`, { environment });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Deployment>();
  }

  beforeAll(async () => {
    t = await startTestApp(dialect);
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/app/config",
      payload: YAML,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    dev = await userWithToken(t, { username: "dev", project: "app", role: "developer" });
    approver = await userWithToken(t, { username: "boss", project: "app", role: "approver" });
    approver2 = await userWithToken(t, { username: "boss2", project: "app", role: "approver" });
    viewer = await userWithToken(t, { username: "eve", project: "app", role: "viewer" });
    await release("1.0.0", "a".repeat(40), true);
    await release("1.1.0", "b".repeat(40), true);
    await release("1.2.0", "c".repeat(40), true);
    await release("1.3.0", "d".repeat(40), false);
    for (const version of ["1.0.0", "1.1.0", "1.2.0"])
      expect((await t.waitForDeployment((await deploy(version, "stg")).id)).status).toBe("succeeded");
  }, 60_000);
  afterAll(async () => t?.close());

  it("pages the release × environment matrix with a cursor, newest first, with each cell's latest deployment", async () => {
    const first = await get<ProjectMatrix>("/api/v1/projects/app/matrix?limit=2", viewer);
    expect(first.role).toBe("viewer");
    expect(first.environments.map((e) => e.name)).toEqual(["stg", "live"]);
    expect(first.environments[0]?.current?.version).toBe("1.2.0");
    expect(first.environments[0]?.current?.by).toBe("dev");
    expect(first.environments[1]).toMatchObject({ current: null, last: null, pending: null, approvalRequired: 2 });
    expect(first.releases.items.map((r) => r.version)).toEqual(["1.3.0", "1.2.0"]);
    expect(first.releases.items[0]?.cells).toEqual([null, null]);
    expect(first.releases.items[1]?.cells[0]).toMatchObject({ environment: "stg", status: "succeeded", by: "dev" });
    expect(first.releases.nextCursor).not.toBeNull();
    const second = await get<ProjectMatrix>(`/api/v1/projects/app/matrix?limit=2&cursor=${first.releases.nextCursor}`, viewer);
    expect(second.releases.items.map((r) => r.version)).toEqual(["1.1.0", "1.0.0"]);
    expect(second.releases.nextCursor).toBeNull();
    expect((await t.request({ method: "GET", url: "/api/v1/projects/app/matrix?limit=0" })).statusCode).toBe(400);
    expect((await t.request({ method: "GET", url: "/api/v1/projects/app/matrix?cursor=nope" })).json().error.code).toBe(
      "invalid_request",
    );
    expect((await t.request({ method: "GET", url: "/api/v1/projects/nope/matrix" })).json().error.code).toBe("project_not_found");
  });

  it("shows what waits for approval in the environment column, with approvals so far", async () => {
    const pending = await deploy("1.1.0", "live");
    expect(pending.status).toBe("pending_approval");
    expect((await post(`/api/v1/deployments/${pending.id}/approve`, {}, approver)).statusCode).toBe(200);
    const m = await get<ProjectMatrix>("/api/v1/projects/app/matrix", approver);
    expect(m.role).toBe("approver");
    expect(m.environments[1]?.pending).toMatchObject({
      deploymentId: pending.id,
      release: "1.1.0",
      approvals: 1,
      required: 2,
      createdBy: "dev",
    });
    expect(m.environments[1]?.last?.status).toBe("pending_approval");
    // Superseding it clears the column again.
    expect((await post(`/api/v1/deployments/${pending.id}/cancel`, {})).statusCode).toBe(200);
    expect((await get<ProjectMatrix>("/api/v1/projects/app/matrix", approver)).environments[1]?.pending).toBeNull();
  });

  it("previews why a release cannot be promoted: lifecycle, gates", async () => {
    const r = await get<Readiness>("/api/v1/projects/app/releases/1.3.0/readiness", viewer);
    const stg = r.environments.find((e) => e.environment === "stg");
    const live = r.environments.find((e) => e.environment === "live");
    expect(stg?.lifecycle.ok).toBe(true);
    expect(stg?.gates?.passed).toBe(false); // 1.3.0 has no unit report
    expect(stg?.gates?.results[0]?.type).toBe("tests_pass");
    expect(live?.lifecycle).toEqual({ ok: false, requires: "stg" });
    const green = await get<Readiness>("/api/v1/projects/app/releases/1.2.0/readiness", viewer);
    expect(green.environments.map((e) => [e.environment, e.lifecycle.ok, e.gates?.passed ?? null, e.lock, e.freeze])).toEqual([
      ["stg", true, true, null, null],
      ["live", true, null, null, null],
    ]);
    expect((await t.request({ method: "GET", url: "/api/v1/projects/app/releases/9.9.9/readiness" })).json().error.code).toBe(
      "release_not_found",
    );
  });

  it("computes DORA figures for the last environment, failures included", async () => {
    const live = await deploy("1.2.0", "live");
    // Two approvals are required; the second queues it.
    for (const user of [approver, approver2]) {
      const res = await post(`/api/v1/deployments/${live.id}/approve`, {}, user);
      expect(res.statusCode, res.body).toBe(200);
    }
    expect((await t.waitForDeployment(live.id)).status).toBe("failed");
    const d = await get<DoraFigures>("/api/v1/projects/app/dora?days=7", viewer);
    expect(d.environment).toBe("live");
    expect(d.series).toHaveLength(7);
    expect(d.changeFailureRate).toEqual({ failed: 1, finished: 1, rate: 1 });
    expect(d.deploymentFrequency.deployments).toBe(0);
    const stg = await get<DoraFigures>("/api/v1/projects/app/dora?days=30&environment=stg", viewer);
    expect(stg.deploymentFrequency.deployments).toBe(3);
    expect(stg.series.reduce((n, p) => n + p.deployments, 0)).toBe(3);
    expect(stg.leadTime.medianMs).toBeGreaterThanOrEqual(0);
    expect((await t.request({ method: "GET", url: "/api/v1/projects/app/dora?days=12" })).statusCode).toBe(400);
  });

  it("lists project summaries and the caller's role; hides nothing from the ui-config", async () => {
    const page = await get<{ items: ProjectSummary[]; nextCursor: string | null }>("/api/v1/project-summaries", viewer);
    expect(page.items[0]?.environments.map((e) => [e.name, e.version, e.status])).toEqual([
      ["stg", "1.2.0", "succeeded"],
      ["live", null, "failed"],
    ]);
    expect(await get("/api/v1/projects/app/my-role", dev)).toEqual({
      project: "app",
      username: "dev",
      role: "developer",
      globalAdmin: false,
    });
    const ui = await t.app.http.inject({ method: "GET", url: "/api/v1/ui-config" });
    expect(ui.json()).toEqual({ oidc: null });
    expect((await t.app.http.inject({ method: "GET", url: "/api/v1/projects/app/matrix" })).statusCode).toBe(401);
  });
});

describe("DORA arithmetic", () => {
  const day = (d: number, h = 0) => new Date(Date.UTC(2026, 0, d, h)).toISOString();
  it("counts deploys per day, the median lead time, failures and the time to restore", () => {
    const figures = doraFigures({
      from: new Date(day(1)),
      days: 3,
      rows: [
        { kind: "deploy", status: "succeeded", createdAt: day(1, 1), finishedAt: day(1, 2), releaseCreatedAt: day(1, 0) },
        { kind: "deploy", status: "failed", createdAt: day(2, 1), finishedAt: day(2, 2), releaseCreatedAt: day(2, 0) },
        { kind: "deploy", status: "succeeded", createdAt: day(2, 5), finishedAt: day(2, 6), releaseCreatedAt: day(2, 0) },
      ],
    });
    expect(figures.series.map((s) => [s.day, s.deployments, s.failures])).toEqual([
      ["2026-01-01", 1, 0],
      ["2026-01-02", 1, 1],
      ["2026-01-03", 0, 0],
    ]);
    expect(figures.leadTime.medianMs).toBe(4 * 3_600_000); // median of 2 h and 6 h
    expect(figures.changeFailureRate).toEqual({ failed: 1, finished: 3, rate: 1 / 3 });
    expect(figures.timeToRestore).toEqual({ incidents: 1, medianMs: 4 * 3_600_000 });
    expect(figures.deploymentFrequency.perDay).toBeCloseTo(2 / 3);
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
  });
});

import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyConfig, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { systemClock } from "../../shared/clock.ts";
import { createRunsService } from "../runs/runs.service.ts";
import type { LogRecord } from "../runs/runs.types.ts";

/** A port nobody listens on right now, for a server whose public URL must be known before it starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** A deploy step that sends one log line to its deployment's run with what the shell executor puts in its environment. */
const sendLine = (node: string) =>
  JSON.stringify([
    process.execPath,
    "-e",
    `fetch(process.env.STAGEGATE_URL + "/api/v1/runs/" + process.env.STAGEGATE_RUN + "/logs", {
      method: "POST",
      headers: { authorization: "Bearer " + process.env.STAGEGATE_INGEST_TOKEN, "content-type": "application/x-ndjson" },
      body: JSON.stringify({ level: "info", node: "${node}", msg: "hello from " + process.env.STAGEGATE_RELEASE }),
    }).then(async (r) => { console.log(r.status, await r.text()); process.exit(r.status === 200 ? 0 : 1); },
      (e) => { console.error(e); process.exit(1); });`,
  ]);

describe.each(testDialects())("a deployment's jobs send logs to its run, on %s", (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestApp(dialect, { STAGEGATE_PUBLIC_URL: `http://127.0.0.1:${port}` });
    await t.app.http.listen({ port, host: "127.0.0.1" });
    const yaml = `environments:
  - name: quant
    steps:
      - { name: train, type: shell, config: { command: ${sendLine("trainer")} } }
      - { name: score, type: shell, config: { command: ${sendLine("scorer")} } }
`;
    await applyConfig(t, "shop", yaml);
  });
  afterAll(() => t.close());

  it("every step gets the run's id, ingest token and the server URL; the deployment names its run", async () => {
    await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases",
      payload: { version: "2.0.0", commitSha: "abcdef1234567", branch: "main" },
    });
    const promoted = await t.request({
      method: "POST",
      url: "/api/v1/projects/shop/releases/2.0.0/promote",
      payload: { environment: "quant" },
    });
    expect(promoted.statusCode, promoted.body).toBe(201);
    const deployment = await t.waitForDeployment(promoted.json<{ id: string }>().id);
    const log = await t.request({ method: "GET", url: `/api/v1/deployments/${deployment.id}/log` });
    expect(deployment.status, log.body).toBe("succeeded");
    expect(deployment.runId).toMatch(/^run_/);

    const records = await t.request({ method: "GET", url: `/api/v1/runs/${deployment.runId}/logs?order=asc` });
    expect(records.statusCode, records.body).toBe(200);
    const items = records.json<{ items: LogRecord[] }>().items;
    expect(items.filter((r) => !r.node.startsWith("step:")).map((r) => [r.node, r.msg])).toEqual([
      ["trainer", "hello from 2.0.0"],
      ["scorer", "hello from 2.0.0"],
    ]);
    // Each step's own output is in the run too, from node step:<name> (it printed the ingest answer).
    const printed = items.filter((r) => r.node.startsWith("step:")).map((r) => [r.node, r.msg.slice(0, 17)]);
    expect(printed).toEqual([
      ["step:train", '200 {"accepted":1'],
      ["step:score", '200 {"accepted":1'],
    ]);
    const run = await t.request({ method: "GET", url: `/api/v1/runs/${deployment.runId}` });
    expect(run.json()).toMatchObject({ deploymentId: deployment.id, status: "succeeded" });
  });
});

describe("a deployment run's ingest token", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp("sqlite");
    await applyConfig(
      t,
      "shop",
      'environments:\n  - name: quant\n    executor: { type: shell, config: { command: ["true"] } }\n',
    );
  });
  afterAll(() => t.close());

  it("is the same every time it is asked for, and made valid for a run stored with another one", async () => {
    const runs = createRunsService({
      db: t.db.kysely,
      clock: systemClock,
      projects: t.app.services.projects,
      releases: t.app.services.releases,
    });
    const project = await t.app.services.projects.record("shop");
    await t.app.services.releases.create(project, { version: "3.0.0", commitSha: "abcdef1234567", branch: "main" }, null);
    const release = await t.app.services.releases.record(project, "3.0.0");
    const d = {
      id: "dep_token_test",
      projectId: project.id,
      releaseId: release.id,
      releaseVersion: "3.0.0",
      environmentName: "quant",
      createdBy: null,
    };
    const first = await runs.deploymentRunning(d);
    const again = await runs.deploymentRunning(d);
    expect([again.run.id, again.ingestToken]).toEqual([first.run.id, first.ingestToken]);
    expect((await runs.runForToken(first.ingestToken))?.id).toBe(first.run.id);
    // As a run made before tokens were derived: its stored hash is of a random token nobody was given.
    await t.db.kysely.updateTable("runs").set({ ingest_token_hash: "old" }).where("id", "=", first.run.id).execute();
    expect(await runs.runForToken(first.ingestToken)).toBeUndefined();
    expect((await runs.deploymentRunning(d)).ingestToken).toBe(first.ingestToken);
    expect((await runs.runForToken(first.ingestToken))?.id).toBe(first.run.id);
  });
});

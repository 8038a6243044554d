import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADF_CLIENT_ID,
  ADF_CLIENT_SECRET,
  ADF_FACTORY,
  ADF_RESOURCE_GROUP,
  ADF_SUBSCRIPTION,
  ADF_TENANT,
  type AdfFake,
  startAdfFake,
} from "../../../../test/fakes/azure-data-factory.fake.ts";
import { DATABRICKS_PAT, type DatabricksFake, startDatabricksFake } from "../../../../test/fakes/databricks.fake.ts";
import { startTestApp, type TestApp } from "../../../../test/helpers/app.ts";
import { freshDatabaseUrl, testDialects } from "../../../../test/helpers/db.ts";
import { freePort, type ServerProcess } from "../../../../test/helpers/server-process.ts";
import type { Deployment } from "../../../shared/api.ts";

/**
 * Like test/helpers' startServerProcess, with more time to become ready (the server compiles its TypeScript at start,
 * slow on a loaded machine) and without leaving the process behind when it does not.
 */
async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: new URL("../../../../", import.meta.url),
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "warn", STAGEGATE_DEMO: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    kill: (signal) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
  for (const until = Date.now() + 120_000; ; ) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    if (
      await fetch(`${server.url}/readyz`).then(
        (res) => res.ok,
        () => false,
      )
    )
      return server;
    if (Date.now() > until) {
      await server.kill("SIGKILL");
      throw new Error(`server did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A data team's stagegate.yaml: shell in quant, ADF deploy + Databricks integration tests in quant_stg, ADF in live. */
function yaml(adf: AdfFake, databricks: DatabricksFake, options: { secrets: boolean }): string {
  const clientSecret = options.secrets ? "${secret:ADF_CLIENT_SECRET}" : ADF_CLIENT_SECRET;
  const token = options.secrets ? "${secret:DATABRICKS_TOKEN}" : DATABRICKS_PAT;
  const adfConfig = (pipeline: string) =>
    `{ subscriptionId: "${ADF_SUBSCRIPTION}", resourceGroup: ${ADF_RESOURCE_GROUP}, factory: ${ADF_FACTORY}, pipeline: ${pipeline},
         tenantId: "${ADF_TENANT}", clientId: "${ADF_CLIENT_ID}", clientSecret: "${clientSecret}",
         managementUrl: "${adf.url}", authorityUrl: "${adf.url}", pollInterval: 50ms }`;
  return `project: transcripts
environments:
  - name: quant
    executor: { type: shell, config: { command: ["sh", "-c", "echo deploying $STAGEGATE_RELEASE"] } }
  - name: quant_stg
    steps:
      - name: deploy
        type: azure-data-factory
        config: ${adfConfig("transcripts")}
      - name: integration-tests
        type: databricks
        config: { host: "${databricks.url}", jobId: 201, token: "${token}", pollInterval: 50ms }
  - name: live
    executor:
      type: azure-data-factory
      config: ${adfConfig("transcripts_live")}
`;
}

const PIPELINES = () => ({
  transcripts: { statuses: ["Queued", "InProgress", "InProgress", "Succeeded"] as Array<"Queued" | "InProgress" | "Succeeded"> },
  transcripts_live: { statuses: [...Array(12).fill("InProgress"), "Succeeded"] as Array<"InProgress" | "Succeeded"> },
});
const JOBS = { 201: { runningPolls: 2, tasks: [{ key: "integration_tests", result: "SUCCESS" as const }] } };

describe.each(testDialects())("deploying into ADF and Databricks on %s", (dialect) => {
  let t: TestApp;
  let adf: AdfFake;
  let databricks: DatabricksFake;
  let dataDir: string;
  const promote = async (version: string, environment: string) => {
    const res = await t.request({
      method: "POST",
      url: `/api/v1/projects/transcripts/releases/${version}/promote`,
      payload: { environment },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Deployment>();
  };
  const logOf = async (id: string) => (await t.request({ method: "GET", url: `/api/v1/deployments/${id}/log` })).body;

  beforeAll(async () => {
    adf = await startAdfFake(PIPELINES());
    databricks = await startDatabricksFake(JOBS);
    dataDir = mkdtempSync(join(tmpdir(), "sg-targets-"));
    t = await startTestApp(dialect, { DATA_DIR: dataDir });
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/transcripts/config",
      payload: yaml(adf, databricks, { secrets: true }),
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
    for (const [name, value, environment] of [
      ["ADF_CLIENT_SECRET", ADF_CLIENT_SECRET, undefined],
      ["DATABRICKS_TOKEN", DATABRICKS_PAT, "quant_stg"],
    ] as const) {
      const res = await t.request({
        method: "PUT",
        url: `/api/v1/projects/transcripts/secrets/${name}`,
        payload: { value, ...(environment ? { environment } : {}) },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const release = await t.request({
      method: "POST",
      url: "/api/v1/projects/transcripts/releases",
      payload: { version: "2.0.0", commitSha: "b".repeat(40), branch: "main" },
    });
    expect(release.statusCode, release.body).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await adf.close();
    await databricks.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs the ADF pipeline then the Databricks job in quant_stg, logging each step and the run links", async () => {
    expect((await t.waitForDeployment((await promote("2.0.0", "quant")).id)).status).toBe("succeeded");
    const stg = await t.waitForDeployment((await promote("2.0.0", "quant_stg")).id);
    expect(stg.status, stg.reason ?? "").toBe("succeeded");
    expect(adf.runs.filter((run) => run.pipelineName === "transcripts")).toHaveLength(1);
    expect(adf.runs[0]?.parameters).toEqual({ releaseVersion: "2.0.0", commitSha: "b".repeat(40), environment: "quant_stg" });
    expect(databricks.runs).toHaveLength(1);
    expect(databricks.runs[0]?.jobParameters).toMatchObject({ release_version: "2.0.0", environment: "quant_stg" });
    const log = await logOf(stg.id);
    expect(log).toContain('step 1/2 "deploy" (azure-data-factory) starting');
    expect(log).toMatch(/ADF run [0-9a-f-]{36} created: https:\/\/adf\.azure\.com\/en\/monitoring\/pipelineruns\//);
    expect(log).toContain('step 2/2 "integration-tests" (databricks) starting');
    expect(log).toMatch(/Databricks run \d+ \(#1 of job 201\) started: http:\/\/127\.0\.0\.1:\d+\/\?o=\d+#job\/201\/run\/\d+/);
    expect(log).toContain("TERMINATED/SUCCESS");
    expect(log).not.toContain(ADF_CLIENT_SECRET);
    expect(log).not.toContain(DATABRICKS_PAT);
    // The deployment keeps the link of the last step that reported one: the Databricks run page.
    expect(stg.externalUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?o=\d+#job\/201\/run\/\d+$/);
  });

  it("survives a 429 storm and the target dropping connections mid-poll with one ADF run", async () => {
    adf.server.throttle(4, { retryAfter: "0", body: { error: { code: "TooManyRequests", message: "throttled" } } });
    const live = await promote("2.0.0", "live");
    const started = Date.now();
    while (!adf.runs.some((run) => run.pipelineName === "transcripts_live") && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    adf.server.setDown(true);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    adf.server.setDown(false);
    const done = await t.waitForDeployment(live.id, 30_000);
    expect(done.status, await logOf(live.id)).toBe("succeeded");
    expect(adf.runs.filter((run) => run.pipelineName === "transcripts_live")).toHaveLength(1);
    const log = await logOf(live.id);
    expect(log).toMatch(/HTTP 429.*retrying in/);
    // Polls during the outage failed (in-place retry, then "polling again") without touching the run.
    expect(log).toMatch(/could not read the run's state|other side closed.*retrying in/);
  }, 45_000);
});

describe.each(testDialects())("integration reports from a deploy step gating live on %s", (dialect) => {
  let t: TestApp;
  let adf: AdfFake;
  let databricks: DatabricksFake;
  let dataDir: string;
  let workDir: string;

  beforeAll(async () => {
    adf = await startAdfFake(PIPELINES());
    databricks = await startDatabricksFake(JOBS);
    dataDir = mkdtempSync(join(tmpdir(), "sg-itest-"));
    workDir = mkdtempSync(join(tmpdir(), "sg-itest-work-"));
    t = await startTestApp(dialect, { DATA_DIR: dataDir });
    // The integration tests write JUnit and exit 0 either way; their failures reach live through the gate.
    const script = [
      "mkdir -p reports",
      'if [ "$STAGEGATE_RELEASE" = 1.0.0 ]; then FAIL=\'<failure message="3 transcripts missing"/>\'; else FAIL=; fi',
      'printf \'<testsuite name="itest" tests="2"><testcase classname="load" name="counts">%s</testcase><testcase classname="load" name="schema"/></testsuite>\' "$FAIL" > reports/itest.xml',
    ].join("; ");
    const base = yaml(adf, databricks, { secrets: false });
    const withTests = base
      .replace("project: transcripts", "project: itest")
      .replace(
        "      - name: integration-tests\n        type: databricks",
        `      - name: integration-tests
        type: shell
        config: { command: ["sh", "-c", ${JSON.stringify(script)}], cwd: ${JSON.stringify(workDir)} }
        reports: { kind: integration, paths: ["reports/*.xml"] }
      - name: databricks-tests
        type: databricks`,
      )
      .replace("  - name: live\n", "  - name: live\n    gates: [ { type: tests_pass, kinds: [integration] } ]\n");
    const applied = await t.request({
      method: "PUT",
      url: "/api/v1/projects/itest/config",
      payload: withTests,
      headers: { "content-type": "application/yaml" },
    });
    expect(applied.statusCode, applied.body).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await adf.close();
    await databricks.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  const promote = (version: string, environment: string) =>
    t.request({ method: "POST", url: `/api/v1/projects/itest/releases/${version}/promote`, payload: { environment } });

  it("attaches the step's JUnit to the release commit and refuses live while it has failures", async () => {
    for (const [version, sha] of [
      ["1.0.0", "d".repeat(40)],
      ["1.1.0", "e".repeat(40)],
    ] as const) {
      const created = await t.request({
        method: "POST",
        url: "/api/v1/projects/itest/releases",
        payload: { version, commitSha: sha, branch: "main" },
      });
      expect(created.statusCode, created.body).toBe(201);
      for (const environment of ["quant", "quant_stg"]) {
        const res = await promote(version, environment);
        expect(res.statusCode, res.body).toBe(201);
        const done = await t.waitForDeployment(res.json<Deployment>().id, 30_000);
        const log = (await t.request({ method: "GET", url: `/api/v1/deployments/${done.id}/log` })).body;
        expect(done.status, log).toBe("succeeded");
        if (environment === "quant_stg") {
          expect(log).toMatch(
            new RegExp(
              `attached 1 integration report file\\(s\\) to commit ${sha.slice(0, 12)} as run \\S+: 2 tests, ${version === "1.0.0" ? 1 : 0} failed`,
            ),
          );
        }
      }
    }
    const refused = await promote("1.0.0", "live");
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error.code).toBe("gate_failed");
    const allowed = await promote("1.1.0", "live");
    expect(allowed.statusCode, allowed.body).toBe(201);
    expect((await t.waitForDeployment(allowed.json<Deployment>().id, 30_000)).status).toBe("succeeded");
  }, 90_000);
});

describe.each(testDialects())("a stagegate server killed while polling ADF on %s", (dialect) => {
  const TOKEN = "sg_targets-crash-admin-token-0123456789abcdef";
  let dir: string;
  const servers: ServerProcess[] = [];
  let adf: AdfFake;
  let databricks: DatabricksFake;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sg-targets-crash-"));
    adf = await startAdfFake(PIPELINES());
    databricks = await startDatabricksFake(JOBS);
  });
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGKILL");
    await adf.close();
    await databricks.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body === undefined ? {} : { "content-type": typeof body === "string" ? "application/yaml" : "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return (await res.json()) as T;
  };

  it("resumes polling the same run after a restart instead of starting a second one", async () => {
    const env = {
      DATABASE_URL: await freshDatabaseUrl(dialect, dir),
      STAGEGATE_ADMIN_TOKEN: TOKEN,
      DATA_DIR: join(dir, "data"),
      JOB_LEASE_MS: "1500",
      JOB_POLL_MS: "50",
    };
    const first = await startServer(env);
    servers.push(first);
    await api(first, "PUT", "/projects/transcripts/config", yaml(adf, databricks, { secrets: false }));
    await api(first, "POST", "/projects/transcripts/releases", { version: "3.0.0", commitSha: "c".repeat(40), branch: "main" });
    for (const environment of ["quant", "quant_stg"]) {
      const deployment = await api<Deployment>(first, "POST", "/projects/transcripts/releases/3.0.0/promote", { environment });
      for (let status = deployment.status; !["succeeded", "failed", "errored"].includes(status); ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await api<Deployment>(first, "GET", `/deployments/${deployment.id}`)).status;
        if (/failed|errored/.test(status)) {
          const log = await fetch(`${first.url}/api/v1/deployments/${deployment.id}/log`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect.fail(`the ${environment} deploy ended ${status}:\n${await log.text()}`);
        }
      }
    }
    const live = await api<Deployment>(first, "POST", "/projects/transcripts/releases/3.0.0/promote", { environment: "live" });
    const polled = (run: (typeof adf.runs)[number] | undefined) => (run?.polls ?? 0) >= 3;
    for (
      const until = Date.now() + 15_000;
      !polled(adf.runs.find((run) => run.pipelineName === "transcripts_live")) && Date.now() < until;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await first.kill("SIGKILL");

    const second = await startServer(env);
    servers.push(second);
    let done = await api<Deployment>(second, "GET", `/deployments/${live.id}`);
    // Polls slow down as the run ages (a tenth of its age), and a loaded machine starts the server slowly: be patient.
    for (const until = Date.now() + 180_000; done.status === "running" && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      done = await api<Deployment>(second, "GET", `/deployments/${live.id}`);
    }
    const log = await (
      await fetch(`${second.url}/api/v1/deployments/${live.id}/log`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    const gets = adf.server.received
      .filter((request) => request.method === "GET")
      .map((request) => new Date(request.at).toISOString());
    expect(done.status, `${log}\nADF GETs at ${gets.join(", ")}`).toBe("succeeded");
    expect(adf.runs.filter((run) => run.pipelineName === "transcripts_live")).toHaveLength(1);
    expect(log).toMatch(/ADF run [0-9a-f-]{36} Succeeded/);
  }, 400_000);
});

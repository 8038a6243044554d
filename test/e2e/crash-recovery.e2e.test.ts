import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/shared/api.ts";
import { freshDatabaseUrl, testDialects } from "../helpers/db.ts";
import { type ServerProcess, startServerProcess } from "../helpers/server-process.ts";

const TOKEN = "sg_crash-test-admin-token-0123456789abcdef";
const YAML = `environments:
  - name: only
    executor:
      type: shell
      config: { command: ["sh", "-c", "echo start $STAGEGATE_RELEASE; if [ $STAGEGATE_RELEASE = slow ]; then sleep 4; fi; echo end"] }
`;

async function api<T>(
  server: ServerProcess,
  method: string,
  path: string,
  body?: unknown,
  type = "application/json",
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(testDialects())("a server killed mid-deploy on %s", (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), "sg-crash-"));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("marks the interrupted deployment errored with a reason and runs the queue on after restart", async () => {
    const env = {
      DATABASE_URL: await freshDatabaseUrl(dialect, dir),
      STAGEGATE_ADMIN_TOKEN: TOKEN,
      JOB_LEASE_MS: "1500",
      JOB_POLL_MS: "50",
    };
    const first = await startServerProcess(env);
    servers.push(first);
    expect((await api(first, "PUT", "/projects/crash/config", YAML, "application/yaml")).status).toBe(200);
    for (const version of ["slow", "next"]) {
      const created = await api(first, "POST", "/projects/crash/releases", {
        version,
        commitSha: "abcdef1234567",
        branch: "main",
      });
      expect(created.status).toBe(201);
    }
    const slow = (await api<Deployment>(first, "POST", "/projects/crash/releases/slow/promote", { environment: "only" })).body;
    await waitFor(
      async () => (await api<Deployment>(first, "GET", `/deployments/${slow.id}`)).body.status,
      (status) => status === "running",
    );
    const next = (await api<Deployment>(first, "POST", "/projects/crash/releases/next/promote", { environment: "only" })).body;
    expect(next.status).toBe("queued");

    await first.kill("SIGKILL");
    const second = await startServerProcess(env);
    servers.push(second);

    const interrupted = await waitFor(
      async () => (await api<Deployment>(second, "GET", `/deployments/${slow.id}`)).body,
      (d) => d.status !== "running",
    );
    expect(interrupted.status).toBe("errored");
    expect(interrupted.reason).toMatch(/server stopped while step "shell" was running/);
    const after = await waitFor(
      async () => (await api<Deployment>(second, "GET", `/deployments/${next.id}`)).body,
      (d) => d.status === "succeeded" || d.status === "failed" || d.status === "errored",
    );
    expect(after.status).toBe("succeeded");
    const running = await api<{ items: Deployment[] }>(second, "GET", "/projects/crash/deployments?status=running");
    expect(running.body.items).toEqual([]);
  });
});

describe("two server processes on one SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "sg-shared-"));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets a second server process share the same SQLite file without corrupting it", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "shared.db")}`, STAGEGATE_ADMIN_TOKEN: TOKEN };
    const a = await startServerProcess(env);
    servers.push(a);
    const b = await startServerProcess(env);
    servers.push(b);
    expect((await api(a, "PUT", "/projects/shared/config", YAML, "application/yaml")).status).toBe(200);
    const writes = Array.from({ length: 60 }, (_, i) =>
      api(i % 2 ? a : b, "POST", "/projects/shared/releases", { version: `v${i}`, commitSha: "abcdef1234567", branch: "main" }),
    );
    expect((await Promise.all(writes)).map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    const listed = await api<{ items: unknown[] }>(b, "GET", "/projects/shared/releases?limit=100");
    expect(listed.body.items).toHaveLength(60);
    const check = new SQLite(join(dir, "shared.db"), { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });
});

describe("an API-only server process (STAGEGATE_JOBS=0)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sg-replica-"));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("queues deploys and leaves them to a process that runs jobs on the same database", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "replica.db")}`, STAGEGATE_ADMIN_TOKEN: TOKEN, JOB_POLL_MS: "50" };
    const front = await startServerProcess({ ...env, STAGEGATE_JOBS: "0" });
    servers.push(front);
    expect((await api(front, "PUT", "/projects/replica/config", YAML, "application/yaml")).status).toBe(200);
    const release = { version: "r1", commitSha: "abcdef1234567", branch: "main" };
    expect((await api(front, "POST", "/projects/replica/releases", release)).status).toBe(201);
    const queued = (await api<Deployment>(front, "POST", "/projects/replica/releases/r1/promote", { environment: "only" })).body;
    expect(queued.status).toBe("queued");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api<Deployment>(front, "GET", `/deployments/${queued.id}`)).body.status).toBe("queued");

    const worker = await startServerProcess(env);
    servers.push(worker);
    const done = await waitFor(
      async () => (await api<Deployment>(front, "GET", `/deployments/${queued.id}`)).body,
      (d) => d.status === "succeeded" || d.status === "failed" || d.status === "errored",
    );
    expect(done.status).toBe("succeeded");
    const log = await fetch(`${front.url}/api/v1/deployments/${queued.id}/log`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await log.text()).toMatch(/start r1[\s\S]*end/);
  }, 120_000);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabaseUrl, testDialects } from "../../../test/helpers/db.ts";
import { type App, buildApp } from "../../app.ts";
import { loadConfig } from "../../config/config.ts";
import { connect, type Db } from "../../db/connect.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import type { Job } from "../../jobs/jobs.types.ts";
import type { FlagChangeRequest } from "../../shared/flags/flags.api.ts";
import { createAuditService } from "../audit/audit.service.ts";
import { FLAG_CHANGE_JOB } from "./flags.changes.ts";
import { createFlagsFeature } from "./flags.feature.ts";

/**
 * Two server processes on one database (two apps, two connection pools), racing to apply the same scheduled change.
 * On SQLite both "servers" live in this one process, where better-sqlite3 waits for a lock synchronously and so would
 * block the other connection's open transaction: there the two flag features share one connection and one job runner
 * runs (SQLite deployments are one process anyway).
 */
describe.each(testDialects())("a scheduled flag change with two servers on %s", (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), "sg-flag-race-"));
  const dbs: Db[] = [];
  const apps: App[] = [];
  let token = "";
  const api = "/api/v1/projects/shop";
  const request = (
    i: number,
    options: { method: "GET" | "POST" | "PUT"; url: string; payload?: unknown },
  ): Promise<LightMyRequestResponse> =>
    (apps[i] as App).http.inject({
      ...options,
      headers: {
        authorization: `Bearer ${token}`,
        ...(typeof options.payload === "string" ? { "content-type": "application/yaml" } : {}),
      },
    } as InjectOptions);
  const versions = async () =>
    (await request(0, { method: "GET", url: `${api}/environments/stg/flag-versions?limit=200` })).json<{
      items: Array<{ version: number; reason: string | null }>;
    }>().items;
  const schedule = async (inMs: number, percentage: number) => {
    const res = await request(1, {
      method: "PUT",
      url: `${api}/environments/stg/flags/checkout/rollout`,
      payload: { percentage, reason: `to ${percentage} %`, scheduleAt: new Date(Date.now() + inMs).toISOString() },
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json<FlagChangeRequest>();
  };

  beforeAll(async () => {
    const url = await freshDatabaseUrl(dialect, dir);
    for (let i = 0; i < 2; i++) {
      const db = connect(url);
      if (i === 0) await migrateToLatest(db.kysely);
      dbs.push(db);
      const config = loadConfig({ JOB_POLL_MS: "20", LOG_LEVEL: "silent", STAGEGATE_DEMO: "0", DATABASE_URL: url });
      apps.push(await buildApp({ config, db, logger: pino({ level: "silent" }) }));
    }
    token = (await apps[0]?.services.tokens.bootstrapAdmin()) ?? "";
    const yaml = `project: shop
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
`;
    expect((await request(0, { method: "PUT", url: `${api}/config`, payload: yaml })).statusCode).toBe(200);
    const created = await request(0, {
      method: "POST",
      url: `${api}/flags`,
      payload: { key: "checkout", type: "boolean", variants: { on: true, off: false } },
    });
    expect(created.statusCode, created.body).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) {
      await app.jobs.stop();
      await app.http.close();
    }
    for (const db of dbs) await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies it exactly once when both run the apply job at the same moment", async () => {
    const before = (await versions()).length;
    const change = await schedule(60_000, 40);
    // Both "servers" look at it an hour later, when it is due.
    const later = { now: () => new Date(Date.now() + 3_600_000) };
    const features = dbs.map((own, i) => {
      const db = dialect === "postgres" ? own : (dbs[0] as Db);
      const { projects, releases } = (apps[dialect === "postgres" ? i : 0] as App).services;
      const audit = createAuditService({ db: db.kysely, clock: later, dialect });
      return createFlagsFeature({ db: db.kysely, clock: later, dialect, projects, releases, audit });
    });
    const job: Job = {
      id: "job-1",
      type: FLAG_CHANGE_JOB,
      key: null,
      payload: { changeId: change.id },
      attempts: 0,
      maxAttempts: 5,
      runAt: new Date().toISOString(),
    };
    const signal = new AbortController().signal;
    const results = await Promise.all([0, 1, 0, 1, 0, 1].map((i) => features[i]?.jobs[FLAG_CHANGE_JOB]?.(job, { signal })));
    for (const feature of features) await feature.close();
    expect(results.every((r) => r?.kind === "done")).toBe(true);
    const after = await versions();
    expect(after.length - before).toBe(1);
    expect(after[0]).toMatchObject({ reason: "to 40 %" });
    const state = (await request(1, { method: "GET", url: `${api}/flag-changes/${change.id}` })).json<FlagChangeRequest>();
    expect(state).toMatchObject({ status: "applied", appliedVersion: after[0]?.version });
  });

  it("applies it exactly once when both servers' job runners are running (one runner on SQLite)", async () => {
    const before = (await versions()).length;
    for (const app of dialect === "postgres" ? apps : apps.slice(0, 1)) app.jobs.start();
    const changes = [await schedule(3000, 55), await schedule(3100, 60)];
    const until = Date.now() + 15_000;
    for (;;) {
      const states = await Promise.all(
        changes.map(async (c) =>
          (await request(0, { method: "GET", url: `${api}/flag-changes/${c.id}` })).json<FlagChangeRequest>(),
        ),
      );
      if (states.every((s) => s.status === "applied") || Date.now() > until) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await versions();
    expect(after.length - before).toBe(2);
    expect(after.slice(0, 2).map((v) => v.reason)).toEqual(["to 60 %", "to 55 %"]);
  });
});

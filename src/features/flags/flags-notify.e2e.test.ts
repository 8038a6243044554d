import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabaseUrl, testDialects } from "../../../test/helpers/db.ts";
import { type App, buildApp } from "../../app.ts";
import { loadConfig } from "../../config/config.ts";
import { connect, type Db } from "../../db/connect.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { systemClock } from "../../shared/clock.ts";
import { createAuditService } from "../audit/audit.service.ts";
import { createFlagsFeature } from "./flags.feature.ts";

/**
 * A change made through one app instance reaches an SSE subscriber of a second instance on the same database. On
 * PostgreSQL the second instance polls only every 10 minutes, so only LISTEN/NOTIFY can bring it within the second;
 * on SQLite (one process) the second instance polls, as designed.
 */
describe.each(testDialects())("flag change events across two app instances on %s", (dialect) => {
  const dir = mkdtempSync(join(tmpdir(), "sg-flag-notify-"));
  let dbA: Db;
  let dbB: Db;
  let appA: App;
  let serverB: FastifyInstance;
  let featureB: ReturnType<typeof createFlagsFeature>;
  let token = "";
  let sdkKey = "";
  let baseB = "";
  const api = "/api/v1/projects/shop";
  const requestA = (options: { method: "POST" | "PUT"; url: string; payload: unknown; yaml?: boolean }) =>
    appA.http.inject({
      method: options.method,
      url: options.url,
      payload: options.payload as string,
      headers: { authorization: `Bearer ${token}`, ...(options.yaml ? { "content-type": "application/yaml" } : {}) },
    });

  beforeAll(async () => {
    const url = await freshDatabaseUrl(dialect, dir);
    dbA = connect(url);
    await migrateToLatest(dbA.kysely);
    dbB = connect(url);
    const config = loadConfig({ LOG_LEVEL: "silent", STAGEGATE_DEMO: "0", DATABASE_URL: url });
    appA = await buildApp({ config, db: dbA, logger: pino({ level: "silent" }) });
    token = (await appA.services.tokens.bootstrapAdmin()) ?? "";
    const yaml = `project: shop
environments:
  - name: stg
    executor: { type: shell, config: { command: ["true"] } }
`;
    expect((await requestA({ method: "PUT", url: `${api}/config`, payload: yaml, yaml: true })).statusCode).toBe(200);
    const flag = { key: "checkout", type: "boolean", variants: { on: true, off: false } };
    expect((await requestA({ method: "POST", url: `${api}/flags`, payload: flag })).statusCode).toBe(201);
    const key = await requestA({ method: "POST", url: `${api}/environments/stg/sdk-keys`, payload: { name: "svc" } });
    sdkKey = key.json<{ key: string }>().key;

    featureB = createFlagsFeature({
      db: dbB.kysely,
      clock: systemClock,
      dialect,
      projects: appA.services.projects,
      releases: appA.services.releases,
      audit: createAuditService({ db: dbB.kysely, clock: systemClock, dialect }),
      watchMs: dialect === "postgres" ? 600_000 : 100,
      ...(dbB.pgPool ? { pgPool: dbB.pgPool } : {}),
    });
    serverB = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
    await serverB.register(featureB.ofrepRoutes);
    baseB = await serverB.listen({ port: 0, host: "127.0.0.1" });
  }, 60_000);

  afterAll(async () => {
    await serverB.close();
    await featureB.close();
    await appA.http.close();
    await dbB.close();
    await dbA.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers refetchEvaluation to the other instance's SSE subscriber within a second", async () => {
    const controller = new AbortController();
    const response = await fetch(`${baseB}/ofrep/v1/events`, {
      headers: { accept: "text/event-stream", "x-api-key": sdkKey },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toContain(": flag set version");
    // Give the LISTEN connection a moment to be up before the change (it starts with the feature).
    await new Promise((resolve) => setTimeout(resolve, 300));

    const started = Date.now();
    const changed = await requestA({ method: "POST", url: `${api}/environments/stg/flags/checkout/enable`, payload: {} });
    expect(changed.statusCode, changed.body).toBe(200);
    const deadline = setTimeout(() => controller.abort(), 5000);
    while (!text.includes("refetchEvaluation")) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    const took = Date.now() - started;
    clearTimeout(deadline);
    controller.abort();
    expect(text).toContain("refetchEvaluation");
    expect(took).toBeLessThan(1000);
    // The other instance serves the new version from then on.
    const served = await featureB.serving.current(
      (await appA.services.projects.environment(await appA.services.projects.record("shop"), "stg")).id,
    );
    expect(served.set.flags.checkout?.enabled).toBe(true);
  });
});

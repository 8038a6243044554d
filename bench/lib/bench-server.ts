import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type App, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Db } from "../../src/db/connect.ts";
import { testDb } from "../../test/helpers/db.ts";

export interface BenchServer {
  origin: string;
  token: string;
  /** Where the SQLite file lives (removed by `close`). */
  database: string;
  /** Jobs still to run (pending or leased): the bench waits for 0 so background deploys don't blur a scenario. */
  openJobs(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The real server as `main.ts` runs it, on a migrated SQLite *file* (WAL, like a user's), with production defaults for
 * everything but logging and the demo seed.
 */
export async function startBenchServer(): Promise<BenchServer> {
  const dir = await mkdtemp(join(tmpdir(), "stagegate-bench-"));
  let db: Db | undefined;
  let app: App | undefined;
  const close = async (): Promise<void> => {
    try {
      await app?.jobs.stop();
      await app?.http.close();
      await db?.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    db = await testDb("sqlite", dir);
    const config = loadConfig({ LOG_LEVEL: "silent", STAGEGATE_DEMO: "0", DATA_DIR: dir });
    app = await buildApp({ config, db, logger: pino({ level: "silent" }) });
    const token = await app.services.tokens.bootstrapAdmin();
    if (!token) throw new Error("bootstrapAdmin returned no token on a fresh database");
    app.jobs.start();
    const origin = await app.http.listen({ host: "127.0.0.1", port: 0 });
    const kysely = db.kysely;
    return {
      origin,
      token,
      database: db.describe,
      async openJobs() {
        const row = await kysely
          .selectFrom("jobs")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("status", "in", ["pending", "running"])
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw new Error("could not start the bench server", { cause: error });
  }
}

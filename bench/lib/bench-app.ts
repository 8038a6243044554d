import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type App, buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { Db } from "../../src/db/connect.ts";
import { testDb } from "../../test/helpers/db.ts";

export interface BenchApp {
  app: App;
  db: Db;
  /** Admin token from `bootstrapAdmin()` on the fresh database. */
  token: string;
  /** The temp dir holding the SQLite file (removed by `close`). */
  dir: string;
  /** Where the SQLite file lives. */
  database: string;
  close(): Promise<void>;
}

/**
 * The real app, built as `main.ts` builds it, on a migrated SQLite *file* (WAL, like a user's) in a temp dir, with
 * production defaults for everything but logging and the demo seed. It neither listens nor runs jobs: callers use
 * `app.http.inject`, `app.services`, or start those themselves.
 */
export async function startBenchApp(env: Record<string, string> = {}): Promise<BenchApp> {
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
    const config = loadConfig({ ...env, LOG_LEVEL: "silent", STAGEGATE_DEMO: "0", DATA_DIR: dir });
    app = await buildApp({ config, db, logger: pino({ level: "silent" }) });
    const token = await app.services.tokens.bootstrapAdmin();
    if (!token) throw new Error("bootstrapAdmin returned no token on a fresh database");
    return { app, db, token, dir, database: db.describe, close };
  } catch (error) {
    await close().catch(() => undefined);
    throw new Error("could not start the bench app", { cause: error });
  }
}

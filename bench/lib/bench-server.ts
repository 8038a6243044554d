import type { App } from "../../src/app.ts";
import { startBenchApp } from "./bench-app.ts";

export interface BenchServer {
  /** The app itself, for in-process measurements next to the HTTP ones. */
  app: App;
  origin: string;
  token: string;
  /** Where the SQLite file lives (removed by `close`). */
  database: string;
  /** Jobs due or running: the bench waits for 0 so background deploys don't blur a scenario. */
  openJobs(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The real server as `main.ts` runs it, on a migrated SQLite *file* (WAL, like a user's), with production defaults for
 * everything but logging and the demo seed: `startBenchApp` plus the job runner and a listener on 127.0.0.1.
 */
export async function startBenchServer(): Promise<BenchServer> {
  const bench = await startBenchApp();
  try {
    const { app, db, token } = bench;
    app.jobs.start();
    const origin = await app.http.listen({ host: "127.0.0.1", port: 0 });
    const kysely = db.kysely;
    return {
      app,
      origin,
      token,
      database: bench.database,
      async openJobs() {
        const row = await kysely
          .selectFrom("jobs")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          // Recurring jobs (run retention, hourly) wait far in the future: only work that is due counts.
          .where((eb) =>
            eb.or([
              eb("status", "=", "running"),
              eb.and([eb("status", "=", "pending"), eb("run_at", "<=", new Date().toISOString())]),
            ]),
          )
          .executeTakeFirstOrThrow();
        return Number(row.n);
      },
      close: bench.close,
    };
  } catch (error) {
    await bench.close().catch(() => undefined);
    throw new Error("could not start the bench server", { cause: error });
  }
}

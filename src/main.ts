import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config/config.ts";
import { connect } from "./db/connect.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { seedDemo, shouldSeedDemo } from "./features/projects/demo.seed.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`stagegate: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.LOG_LEVEL });
  const db = connect(config.DATABASE_URL);
  const applied = await migrateToLatest(db.kysely);
  logger.info({ database: db.describe, migrations: applied }, "database ready");

  const app = await buildApp({ config, db, logger });
  const adminToken = await app.services.tokens.bootstrapAdmin(config.STAGEGATE_ADMIN_TOKEN);
  if (adminToken && !config.STAGEGATE_ADMIN_TOKEN) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    const file = join(config.DATA_DIR, "admin-token");
    writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    process.stdout.write(`\nAdmin API token (shown once; also saved to ${file}):\n\n  ${adminToken}\n\n`);
  }
  // The first start creates the dashboard's `admin` user: with STAGEGATE_ADMIN_PASSWORD, or a generated password printed once.
  const password = config.STAGEGATE_ADMIN_PASSWORD ?? randomBytes(15).toString("base64url");
  if (await app.services.users.bootstrapAdmin(password)) {
    if (config.STAGEGATE_ADMIN_PASSWORD) {
      logger.info("created user admin (global admin) with the password in STAGEGATE_ADMIN_PASSWORD");
    } else {
      mkdirSync(config.DATA_DIR, { recursive: true });
      const file = join(config.DATA_DIR, "admin-password");
      writeFileSync(file, `${password}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
      process.stdout.write(
        `Dashboard sign-in (shown once; also saved to ${file}):\n\n  user: admin\n  password: ${password}\n\n`,
      );
    }
  }
  const seed = config.STAGEGATE_DEMO && (await shouldSeedDemo(app.services.projects));

  await app.http.listen({ port: config.PORT, host: config.HOST });
  if (config.STAGEGATE_JOBS) app.jobs.start();
  else logger.info("background jobs are off here (STAGEGATE_JOBS=0): another stagegate process on this database runs them");
  logger.info(`stagegate listening on http://localhost:${config.PORT}`);
  if (seed) {
    seedDemo({ ...app.services, logger }).catch((error: unknown) => logger.error({ err: error }, "demo seed failed"));
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await app.http.close();
    await app.jobs.stop();
    await db.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`stagegate failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

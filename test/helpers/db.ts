import { randomBytes } from "node:crypto";
import pg from "pg";
import { connect, type Db, type DialectName } from "../../src/db/connect.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";

/** SQLite always; PostgreSQL when the run was started with a reachable `TEST_POSTGRES_URL`. */
export function testDialects(): DialectName[] {
  return process.env.STAGEGATE_TEST_PG ? ["sqlite", "postgres"] : ["sqlite"];
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A database URL of its own for one test file (or one test): a fresh SQLite file or a fresh PostgreSQL database. */
export async function freshDatabaseUrl(dialect: DialectName, dir?: string): Promise<string> {
  const name = `sg_test_${process.env.STAGEGATE_TEST_RUN ?? "x"}_${randomBytes(5).toString("hex")}`;
  if (dialect === "sqlite") return dir ? `sqlite:${dir}/${name}.db` : "sqlite::memory:";
  const adminUrl = process.env.STAGEGATE_TEST_PG;
  if (!adminUrl) throw new Error("PostgreSQL tests need TEST_POSTGRES_URL");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** A migrated database for one test file. */
export async function testDb(dialect: DialectName, dir?: string): Promise<Db> {
  const db = connect(await freshDatabaseUrl(dialect, dir));
  await migrateToLatest(db.kysely);
  return db;
}

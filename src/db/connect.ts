import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema.ts";
import { SqliteDialect } from "./sqlite.driver.ts";

export type DialectName = "sqlite" | "postgres";

/** What the database can do, so stores branch on capabilities instead of on `if (pg)`. */
export interface DbCapabilities {
  dialect: DialectName;
  /** `SELECT … FOR UPDATE SKIP LOCKED`: concurrent job claims without contention. */
  skipLocked: boolean;
}

export interface Db {
  kysely: Kysely<Database>;
  capabilities: DbCapabilities;
  /** Human-readable location (path or host/db) without credentials, for logs. */
  describe: string;
  /** PostgreSQL only: the pool, for features that LISTEN (a dedicated connection for change notifications). */
  pgPool?: pg.Pool;
  close(): Promise<void>;
}

function openSqlite(path: string): Db {
  const file = path === ":memory:" ? path : resolve(path);
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma("journal_mode = WAL");
  database.pragma("busy_timeout = 10000");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect(database, { statementCacheSize: 500 }) });
  return {
    kysely,
    capabilities: { dialect: "sqlite", skipLocked: false },
    describe: `sqlite:${file}`,
    close: () => kysely.destroy(),
  };
}

// Counts and sums come back as int8; every such value we read fits a JS number.
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
};

function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10, types: pgTypes });
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    kysely,
    capabilities: { dialect: "postgres", skipLocked: true },
    describe: `postgres://${parsed.host}${parsed.pathname}`,
    pgPool: pool,
    close: () => kysely.destroy(),
  };
}

export function connect(databaseUrl: string): Db {
  if (databaseUrl.startsWith("sqlite:")) return openSqlite(databaseUrl.slice("sqlite:".length) || ":memory:");
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return openPostgres(databaseUrl);
  throw new Error(`Unsupported DATABASE_URL "${databaseUrl}": use sqlite:<path> or postgres://…`);
}

/** Unique-constraint violations look different per driver; stores ask this instead. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

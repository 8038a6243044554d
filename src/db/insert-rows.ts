import { CompiledQuery, sql } from "kysely";
import type { Database, Queryable } from "./schema.ts";

/** SQL text of an `n`-row INSERT per dialect adapter class, table, columns and row count. */
const texts = new WeakMap<object, Map<string, string>>();

/**
 * A many-row INSERT whose SQL is compiled once per shape and then only bound: a query builder turned 400 rows × 15
 * values into an operation tree and compiled it again for every batch (parsing and compiling the values cost more
 * than SQLite's insert of them). `params` are row-major, in `columns` order; the text comes from Kysely's own compiler
 * (so placeholders are `?` on SQLite and `$n` on PostgreSQL) and the statement from the driver's cache of prepared
 * statements.
 */
export async function insertRows(
  db: Queryable,
  insert: {
    table: keyof Database & string;
    columns: readonly string[];
    rows: number;
    params: unknown[];
    /** `on conflict do nothing` (SQLite and PostgreSQL alike): rows already there are kept. */
    skipExisting?: boolean;
  },
): Promise<void> {
  const { table, columns, rows } = insert;
  const skip = insert.skipExisting === true;
  if (rows === 0) return;
  if (insert.params.length !== rows * columns.length) {
    throw new Error(`insertRows: ${insert.params.length} values for ${rows} rows of ${columns.length} columns`);
  }
  const adapter = db.getExecutor().adapter.constructor;
  let byShape = texts.get(adapter);
  if (!byShape) {
    byShape = new Map();
    texts.set(adapter, byShape);
  }
  const shape = `${table}\u0000${columns.join(",")}\u0000${rows}\u0000${skip}`;
  let text = byShape.get(shape);
  if (text === undefined) {
    const tuple = sql`(${sql.join(columns.map(() => null))})`;
    const names = sql.join(columns.map((column) => sql.ref(column)));
    const values = sql.join(Array.from({ length: rows }, () => tuple));
    const conflict = skip ? sql` on conflict do nothing` : sql``;
    text = sql`insert into ${sql.table(table)} (${names}) values ${values}${conflict}`.compile(db).sql;
    byShape.set(shape, text);
  }
  await db.executeQuery(CompiledQuery.raw(text, insert.params));
}

import type { Kysely } from "kysely";

/**
 * A coverage row's uncovered line ranges, stored with it (`[[from,to],…]` as JSON), so the coverage list of a run reads
 * a few bytes per file instead of every line's hits (2–4 KiB per file in a big LCOV report) and scanning them per view.
 * Null on rows stored before: the list then derives the ranges from the line data, as it did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("coverage_files").addColumn("uncovered_json", "text").execute();
  await db.schema.alterTable("run_coverage").addColumn("uncovered_json", "text").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("run_coverage").dropColumn("uncovered_json").execute();
  await db.schema.alterTable("coverage_files").dropColumn("uncovered_json").execute();
}

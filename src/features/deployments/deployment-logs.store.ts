import { sql } from "kysely";
import type { Queryable } from "../../db/schema.ts";
import type { LogLine } from "./deployments.types.ts";

export async function insertLogLines(db: Queryable, deploymentId: string, lines: LogLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    const batch = lines
      .slice(i, i + 500)
      .map((l) => ({ deployment_id: deploymentId, seq: l.seq, ts: l.ts, stream: l.stream, line: l.line }));
    await db.insertInto("deployment_logs").values(batch).execute();
  }
}

export async function readLogLines(
  db: Queryable,
  deploymentId: string,
  options: { afterSeq: number; limit: number },
): Promise<LogLine[]> {
  return db
    .selectFrom("deployment_logs")
    .select(["seq", "ts", "stream", "line"])
    .where("deployment_id", "=", deploymentId)
    .where("seq", ">", options.afterSeq)
    .orderBy("seq")
    .limit(options.limit)
    .execute();
}

/** (seq, byte length) of every stored line: what a log sink needs to resume its head/tail accounting. */
export async function logSizes(db: Queryable, deploymentId: string): Promise<{ seq: number; bytes: number }[]> {
  const rows = await db
    .selectFrom("deployment_logs")
    .select(["seq", sql<number>`length(line)`.as("bytes")])
    .where("deployment_id", "=", deploymentId)
    .orderBy("seq")
    .execute();
  return rows.map((r) => ({ seq: r.seq, bytes: Number(r.bytes) }));
}

/** Drops lines from the middle of the log and counts them, so the head and tail stay. */
export async function omitLogLines(
  db: Queryable,
  deploymentId: string,
  range: { fromSeq: number; toSeq: number; lines: number; bytes: number; at: string },
): Promise<void> {
  await db
    .deleteFrom("deployment_logs")
    .where("deployment_id", "=", deploymentId)
    .where("seq", ">=", range.fromSeq)
    .where("seq", "<=", range.toSeq)
    .execute();
  await db
    .updateTable("deployments")
    .set((eb) => ({
      log_omitted_lines: sql<number>`${eb.ref("log_omitted_lines")} + ${range.lines}`,
      log_omitted_bytes: sql<number>`${eb.ref("log_omitted_bytes")} + ${range.bytes}`,
      updated_at: range.at,
    }))
    .where("id", "=", deploymentId)
    .execute();
}

import { sql } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { FlagSetVersionsTable, FlagStatesTable, FlagsTable } from "../../db/schema.flags.ts";
import type { Queryable } from "../../db/schema.ts";
import type { FlagChange } from "../../shared/flags/flags.api.ts";
import type { AttributeCondition, FlagSet, FlagType, FlagValue, Rollout, TargetingRule } from "../../shared/flags/flags.types.ts";
import {
  FLAG_VERSIONS_CHANNEL,
  type FlagRecord,
  type FlagSetVersionRecord,
  type FlagStateRecord,
  type SegmentRecord,
} from "./flags.types.ts";

function toFlag(row: FlagsTable): FlagRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    type: row.type as FlagType,
    description: row.description,
    owner: row.owner,
    tags: JSON.parse(row.tags_json) as string[],
    variants: JSON.parse(row.variants_json) as Record<string, FlagValue>,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toState(row: FlagStatesTable): FlagStateRecord {
  return {
    flagId: row.flag_id,
    environmentId: row.environment_id,
    enabled: row.enabled === 1,
    defaultVariant: row.default_variant,
    offVariant: row.off_variant,
    rules: JSON.parse(row.rules_json) as TargetingRule[],
    rollout: row.rollout_json === null ? null : (JSON.parse(row.rollout_json) as Rollout),
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

function toVersion(row: FlagSetVersionsTable): FlagSetVersionRecord {
  return {
    environmentId: row.environment_id,
    version: Number(row.version),
    projectId: row.project_id,
    actor: row.actor,
    reason: row.reason,
    changes: JSON.parse(row.changes_json) as FlagChange[],
    snapshot: JSON.parse(row.snapshot_json) as FlagSet,
    createdAt: row.created_at,
  };
}

// ── flags ─────────────────────────────────────────────────────────────────────────────────────────────────────────
export async function insertFlag(db: Queryable, flag: FlagRecord): Promise<void> {
  await db
    .insertInto("flags")
    .values({
      id: flag.id,
      project_id: flag.projectId,
      key: flag.key,
      type: flag.type,
      description: flag.description,
      owner: flag.owner,
      tags_json: JSON.stringify(flag.tags),
      variants_json: JSON.stringify(flag.variants),
      created_by: flag.createdBy,
      created_at: flag.createdAt,
      updated_at: flag.updatedAt,
    })
    .execute();
}

export async function updateFlag(db: Queryable, flag: FlagRecord): Promise<void> {
  await db
    .updateTable("flags")
    .set({
      description: flag.description,
      owner: flag.owner,
      tags_json: JSON.stringify(flag.tags),
      variants_json: JSON.stringify(flag.variants),
      updated_at: flag.updatedAt,
    })
    .where("id", "=", flag.id)
    .execute();
}

export async function findFlag(db: Queryable, projectId: string, key: string): Promise<FlagRecord | undefined> {
  const row = await db
    .selectFrom("flags")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("key", "=", key)
    .executeTakeFirst();
  return row ? toFlag(row) : undefined;
}

/** By key, `limit + 1` rows after `afterKey` (keyset on the unique (project_id, key) index). */
export async function listFlags(
  db: Queryable,
  projectId: string,
  page: { limit: number; afterKey?: string | undefined },
): Promise<FlagRecord[]> {
  let query = db.selectFrom("flags").selectAll().where("project_id", "=", projectId);
  if (page.afterKey !== undefined) query = query.where("key", ">", page.afterKey);
  const rows = await query
    .orderBy("key")
    .limit(page.limit + 1)
    .execute();
  return rows.map(toFlag);
}

export async function allFlags(db: Queryable, projectId: string): Promise<FlagRecord[]> {
  const rows = await db.selectFrom("flags").selectAll().where("project_id", "=", projectId).orderBy("key").execute();
  return rows.map(toFlag);
}

// ── states ────────────────────────────────────────────────────────────────────────────────────────────────────────
export async function upsertState(db: Queryable, state: FlagStateRecord): Promise<void> {
  const values = {
    enabled: state.enabled ? 1 : 0,
    default_variant: state.defaultVariant,
    off_variant: state.offVariant,
    rules_json: JSON.stringify(state.rules),
    rollout_json: state.rollout === null ? null : JSON.stringify(state.rollout),
    updated_by: state.updatedBy,
    updated_at: state.updatedAt,
  };
  await db
    .insertInto("flag_states")
    .values({ flag_id: state.flagId, environment_id: state.environmentId, ...values })
    .onConflict((oc) => oc.columns(["flag_id", "environment_id"]).doUpdateSet(values))
    .execute();
}

export async function statesOfFlags(db: Queryable, flagIds: string[]): Promise<FlagStateRecord[]> {
  if (flagIds.length === 0) return [];
  const rows = await db.selectFrom("flag_states").selectAll().where("flag_id", "in", flagIds).execute();
  return rows.map(toState);
}

export async function statesOfEnvironment(db: Queryable, environmentId: string): Promise<FlagStateRecord[]> {
  const rows = await db.selectFrom("flag_states").selectAll().where("environment_id", "=", environmentId).execute();
  return rows.map(toState);
}

// ── segments ──────────────────────────────────────────────────────────────────────────────────────────────────────
export async function upsertSegment(db: Queryable, segment: SegmentRecord): Promise<void> {
  const values = {
    description: segment.description,
    conditions_json: JSON.stringify(segment.conditions),
    updated_at: segment.updatedAt,
  };
  await db
    .insertInto("flag_segments")
    .values({ id: segment.id, project_id: segment.projectId, key: segment.key, ...values })
    .onConflict((oc) => oc.columns(["project_id", "key"]).doUpdateSet(values))
    .execute();
}

export async function deleteSegment(db: Queryable, projectId: string, key: string): Promise<boolean> {
  const result = await db
    .deleteFrom("flag_segments")
    .where("project_id", "=", projectId)
    .where("key", "=", key)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listSegments(db: Queryable, projectId: string): Promise<SegmentRecord[]> {
  const rows = await db.selectFrom("flag_segments").selectAll().where("project_id", "=", projectId).orderBy("key").execute();
  return rows.map((row) => ({
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    description: row.description,
    conditions: JSON.parse(row.conditions_json) as AttributeCondition[],
    updatedAt: row.updated_at,
  }));
}

// ── versions ──────────────────────────────────────────────────────────────────────────────────────────────────────
/**
 * Serializes writers of one environment's flag set, so versions are gapless: PostgreSQL locks the environment row;
 * SQLite's BEGIN IMMEDIATE already lets one writer in at a time.
 */
export async function lockEnvironment(db: Queryable, environmentId: string, dialect: DialectName): Promise<void> {
  if (dialect !== "postgres") return;
  await db.selectFrom("environments").select("id").where("id", "=", environmentId).forUpdate().execute();
}

export async function latestVersion(db: Queryable, environmentId: string): Promise<FlagSetVersionRecord | undefined> {
  const row = await db
    .selectFrom("flag_set_versions")
    .selectAll()
    .where("environment_id", "=", environmentId)
    .orderBy("version", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

export async function findVersion(
  db: Queryable,
  environmentId: string,
  version: number,
): Promise<FlagSetVersionRecord | undefined> {
  const row = await db
    .selectFrom("flag_set_versions")
    .selectAll()
    .where("environment_id", "=", environmentId)
    .where("version", "=", version)
    .executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

/** The newest version number per environment (0 when it has none): what the change watcher polls. */
export async function currentVersions(db: Queryable, environmentIds: string[]): Promise<Map<string, number>> {
  const result = new Map<string, number>(environmentIds.map((id) => [id, 0]));
  if (environmentIds.length === 0) return result;
  const rows = await db
    .selectFrom("flag_set_versions")
    .select(["environment_id", sql<number>`max(version)`.as("version")])
    .where("environment_id", "in", environmentIds)
    .groupBy("environment_id")
    .execute();
  for (const row of rows) result.set(row.environment_id, Number(row.version));
  return result;
}

export async function insertVersion(db: Queryable, version: FlagSetVersionRecord): Promise<void> {
  await db
    .insertInto("flag_set_versions")
    .values({
      environment_id: version.environmentId,
      version: version.version,
      project_id: version.projectId,
      actor: version.actor,
      reason: version.reason,
      changes_json: JSON.stringify(version.changes),
      snapshot_json: JSON.stringify(version.snapshot),
      created_at: version.createdAt,
    })
    .execute();
}

/** Newest first, without snapshots' use to the caller beyond `changes`; `limit + 1` rows below `before`. */
export async function listVersions(
  db: Queryable,
  environmentId: string,
  page: { limit: number; before?: number | undefined },
): Promise<FlagSetVersionRecord[]> {
  let query = db.selectFrom("flag_set_versions").selectAll().where("environment_id", "=", environmentId);
  if (page.before !== undefined) query = query.where("version", "<", page.before);
  const rows = await query
    .orderBy("version", "desc")
    .limit(page.limit + 1)
    .execute();
  return rows.map(toVersion);
}

// ── evaluations ───────────────────────────────────────────────────────────────────────────────────────────────────
export async function touchEvaluations(
  db: Queryable,
  seen: Array<{ environmentId: string; flagKey: string; at: string }>,
): Promise<void> {
  if (seen.length === 0) return;
  await db
    .insertInto("flag_evaluations")
    .values(seen.map((s) => ({ environment_id: s.environmentId, flag_key: s.flagKey, last_evaluated_at: s.at })))
    .onConflict((oc) =>
      oc
        .columns(["environment_id", "flag_key"])
        .doUpdateSet((eb) => ({ last_evaluated_at: eb.ref("excluded.last_evaluated_at") })),
    )
    .execute();
}

export async function lastEvaluations(db: Queryable, environmentIds: string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (environmentIds.length === 0) return result;
  const rows = await db.selectFrom("flag_evaluations").selectAll().where("environment_id", "in", environmentIds).execute();
  for (const row of rows) result.set(`${row.environment_id}/${row.flag_key}`, row.last_evaluated_at);
  return result;
}

/** Announces a new version to every replica's LISTEN (PostgreSQL delivers it when `tx` commits; see flags.notify.ts). */
export async function notifyVersion(tx: Queryable, environmentId: string, version: number): Promise<void> {
  await sql`select pg_notify(${FLAG_VERSIONS_CHANNEL}, ${`${environmentId}:${version}`})`.execute(tx);
}

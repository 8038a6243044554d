import type { Kysely } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { type DomainError, invalid, notFound } from "../../shared/errors.ts";
import type {
  Flag,
  FlagChange,
  FlagChangeRequest,
  FlagEnvironmentState,
  FlagSetVersion,
  SetFlagStateBody,
} from "../../shared/flags/flags.api.ts";
import type { FlagConfig, FlagSet, Rollout, Segment } from "../../shared/flags/flags.types.ts";
import { type FlagProblem, validateFlagConfig } from "../../shared/flags/validate.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import { diffFlags } from "./flags.diff.ts";
import * as store from "./flags.store.ts";
import type { FlagRecord, FlagSetVersionRecord, FlagStateRecord } from "./flags.types.ts";

export interface FlagsDeps {
  db: Kysely<Database>;
  clock: Clock;
  dialect: DialectName;
  projects: Pick<ProjectsService, "environments" | "environment" | "recordById">;
  audit: AuditRecorder;
  /** Called after a commit with each environment whose flag set got a new version. */
  onVersion?: (environmentId: string, version: number) => void;
}

export type StatePatch = Omit<SetFlagStateBody, "reason" | "scheduleAt">;

/** A change either applied now, or recorded as a change request (scheduled and/or waiting for approval). */
export type Applied<T> = { applied: T } | { pending: FlagChangeRequest };

/** One flag's state change in one environment. */
export interface FlagPatch {
  env: EnvironmentRecord;
  key: string;
  patch: StatePatch;
}

export interface ChangeMeta {
  actor: string;
  reason: string | null;
  action: string;
  /** Extra audit data (e.g. the change request a scheduled or approved change came from). */
  data?: Record<string, unknown>;
}

export interface WrittenVersion {
  env: EnvironmentRecord;
  version: number;
  changes: FlagChange[];
}

export function problemsError(what: string, problems: FlagProblem[]): DomainError {
  const first = problems[0];
  return invalid(`${what}: ${first ? `${first.path} ${first.message}` : "invalid"}`, { problems });
}

/**
 * The one way flag states change: patch the states, write a new immutable flag-set version per environment whose
 * flags changed, and the audit event, all in one transaction; then tell the serving side. Every operation of the
 * flags feature (routes, schedules, approvals, release promotion) goes through here.
 */
export function createFlagSetWriter(deps: FlagsDeps) {
  const { db, clock } = deps;

  async function flagRecord(project: ProjectRecord, key: string, tx: Queryable = db): Promise<FlagRecord> {
    const flag = await store.findFlag(tx, project.id, key);
    if (!flag) throw notFound("not_found", `Flag "${key}" does not exist in project "${project.slug}"`, { flag: key });
    return flag;
  }

  function initialState(flag: FlagRecord, environmentId: string, defaults: { defaultVariant: string; offVariant: string }) {
    return {
      flagId: flag.id,
      environmentId,
      enabled: false,
      defaultVariant: defaults.defaultVariant,
      offVariant: defaults.offVariant,
      rules: [],
      rollout: null,
      updatedBy: flag.createdBy,
      updatedAt: flag.createdAt,
    } satisfies FlagStateRecord;
  }

  function configOf(flag: FlagRecord, state: FlagStateRecord): FlagConfig {
    return {
      key: flag.key,
      type: flag.type,
      variants: flag.variants,
      enabled: state.enabled,
      defaultVariant: state.defaultVariant,
      offVariant: state.offVariant,
      rules: state.rules,
      rollout: state.rollout,
    };
  }

  function segmentMap(segments: Awaited<ReturnType<typeof store.listSegments>>): Record<string, Segment> {
    return Object.fromEntries(
      segments.map((s) => [
        s.key,
        { key: s.key, ...(s.description ? { description: s.description } : {}), conditions: s.conditions },
      ]),
    );
  }

  /** The flag set of `env` as the tables hold it now (inside `tx`, after the change). */
  async function buildSet(tx: Queryable, project: ProjectRecord, env: EnvironmentRecord, version: number): Promise<FlagSet> {
    const [flags, states, segments] = await Promise.all([
      store.allFlags(tx, project.id),
      store.statesOfEnvironment(tx, env.id),
      store.listSegments(tx, project.id),
    ]);
    const byFlag = new Map(states.map((s) => [s.flagId, s]));
    const configs: Record<string, FlagConfig> = {};
    for (const flag of flags) {
      const first = Object.keys(flag.variants)[0] ?? "";
      const state = byFlag.get(flag.id) ?? initialState(flag, env.id, { defaultVariant: first, offVariant: first });
      configs[flag.key] = configOf(flag, state);
    }
    return { project: project.slug, environment: env.name, version, flags: configs, segments: segmentMap(segments) };
  }

  /**
   * Writes a new immutable version of each environment's flag set whose flags changed, then the audit event, all in
   * `tx`. Returns the versions written, by environment name.
   */
  async function commitVersions(
    tx: Queryable,
    input: { project: ProjectRecord; envs: EnvironmentRecord[]; actor: string; reason: string | null },
  ): Promise<WrittenVersion[]> {
    const written: WrittenVersion[] = [];
    for (const env of input.envs) {
      await store.lockEnvironment(tx, env.id, deps.dialect);
      const last = await store.latestVersion(tx, env.id);
      const version = (last?.version ?? 0) + 1;
      const set = await buildSet(tx, input.project, env, version);
      const changes = diffFlags(last?.snapshot.flags ?? {}, set.flags);
      const segmentsChanged = JSON.stringify(last?.snapshot.segments ?? {}) !== JSON.stringify(set.segments);
      if (changes.length === 0 && !segmentsChanged) continue;
      await store.insertVersion(tx, {
        environmentId: env.id,
        version,
        projectId: input.project.id,
        actor: input.actor,
        reason: input.reason,
        changes,
        snapshot: set,
        createdAt: clock.now().toISOString(),
      });
      if (deps.dialect === "postgres") await store.notifyVersion(tx, env.id, version);
      written.push({ env, version, changes });
    }
    return written;
  }

  async function transact<T>(
    work: (tx: Queryable) => Promise<{ result: T; versions: Array<{ env: EnvironmentRecord; version: number }> }>,
  ): Promise<T> {
    const { result, versions } = await db.transaction().execute(work);
    for (const { env, version } of versions) deps.onVersion?.(env.id, version);
    return result;
  }

  function versionsData(versions: WrittenVersion[]) {
    return Object.fromEntries(versions.map((v) => [v.env.name, { version: v.version, changes: v.changes }]));
  }

  async function toDto(project: ProjectRecord, flag: FlagRecord): Promise<Flag> {
    const [envs, states] = await Promise.all([deps.projects.environments(project.id), store.statesOfFlags(db, [flag.id])]);
    return present(flag, envs, states);
  }

  function present(flag: FlagRecord, envs: EnvironmentRecord[], states: FlagStateRecord[]): Flag {
    const environments: Record<string, FlagEnvironmentState> = {};
    const first = Object.keys(flag.variants)[0] ?? "";
    for (const env of envs) {
      const state =
        states.find((s) => s.flagId === flag.id && s.environmentId === env.id) ??
        initialState(flag, env.id, { defaultVariant: first, offVariant: first });
      environments[env.name] = {
        enabled: state.enabled,
        defaultVariant: state.defaultVariant,
        offVariant: state.offVariant,
        rules: state.rules,
        rollout: state.rollout,
        updatedAt: state.updatedAt,
        updatedBy: state.updatedBy,
      };
    }
    return {
      key: flag.key,
      type: flag.type,
      description: flag.description,
      owner: flag.owner,
      tags: flag.tags,
      variants: flag.variants,
      environments,
      createdAt: flag.createdAt,
      updatedAt: flag.updatedAt,
    };
  }

  /** Applies state patches (one or more flags × environments) in one transaction, one version per environment. */
  async function changeStates(project: ProjectRecord, patches: FlagPatch[], meta: ChangeMeta): Promise<Flag> {
    // Read before the transaction: on SQLite a query outside `tx` would wait for the connection `tx` holds.
    const allEnvs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      const { versions, lastFlag } = await applyPatchesIn(tx, project, patches, meta);
      const flag = lastFlag as FlagRecord;
      return { result: present(flag, allEnvs, await store.statesOfFlags(tx, [flag.id])), versions };
    });
  }

  /** What `patch` makes of its flag's state in its environment, validated (throws a 400 naming the flag when invalid). */
  async function nextState(
    tx: Queryable,
    project: ProjectRecord,
    { env, key, patch }: FlagPatch,
    context: { segments: Record<string, Segment>; actor: string },
  ): Promise<{ flag: FlagRecord; next: FlagStateRecord }> {
    const flag = await flagRecord(project, key, tx);
    const first = Object.keys(flag.variants)[0] ?? "";
    const current =
      (await store.statesOfFlags(tx, [flag.id])).find((s) => s.environmentId === env.id) ??
      initialState(flag, env.id, { defaultVariant: first, offVariant: first });
    const next: FlagStateRecord = {
      ...current,
      enabled: patch.enabled ?? current.enabled,
      defaultVariant: patch.defaultVariant ?? current.defaultVariant,
      offVariant: patch.offVariant ?? current.offVariant,
      rules: (patch.rules as FlagStateRecord["rules"] | undefined) ?? current.rules,
      rollout: patch.rollout === undefined ? current.rollout : (patch.rollout as Rollout | null),
      updatedBy: context.actor,
      updatedAt: clock.now().toISOString(),
    };
    const problems = validateFlagConfig(configOf(flag, next), context.segments);
    if (problems.length > 0) throw problemsError(`Flag "${key}" in ${env.name} is invalid`, problems);
    return { flag, next };
  }

  /** Validates patches against the flags as they are now, writing nothing (for changes that apply later). */
  async function checkPatches(project: ProjectRecord, patches: FlagPatch[], actor: string): Promise<void> {
    const segments = segmentMap(await store.listSegments(db, project.id));
    for (const patch of patches) await nextState(db, project, patch, { segments, actor });
  }

  /**
   * Applies state patches inside `tx` (reading only through it), writes one version per environment and the audit
   * event. Used by the routes (in their own transaction) and by release promotion (in the deployment's).
   */
  async function applyPatchesIn(tx: Queryable, project: ProjectRecord, patches: FlagPatch[], meta: ChangeMeta) {
    const segments = segmentMap(await store.listSegments(tx, project.id));
    let lastFlag: FlagRecord | undefined;
    for (const patch of patches) {
      const { flag, next } = await nextState(tx, project, patch, { segments, actor: meta.actor });
      lastFlag = flag;
      await store.upsertState(tx, next);
    }
    const envs = [...new Map(patches.map((p) => [p.env.id, p.env])).values()];
    const versions = await commitVersions(tx, { project, envs, actor: meta.actor, reason: meta.reason });
    const subject = patches.length === 1 ? (patches[0]?.key ?? "") : `${patches.length} flags`;
    await deps.audit.append(tx, {
      actor: meta.actor,
      action: meta.action,
      projectId: project.id,
      subject: { type: "flag", id: subject },
      data: { reason: meta.reason, ...meta.data, versions: versionsData(versions) },
    });
    return { versions, lastFlag };
  }

  /** The patches that turn `env`'s current flags back into those of `snapshot` (flags deleted since are skipped). */
  function restorePatches(env: EnvironmentRecord, current: FlagSet, snapshot: FlagSet): FlagPatch[] {
    return Object.values(snapshot.flags)
      .filter((config) => Object.hasOwn(current.flags, config.key))
      .map((config) => ({
        env,
        key: config.key,
        patch: {
          enabled: config.enabled,
          defaultVariant: config.defaultVariant,
          offVariant: config.offVariant,
          rules: config.rules,
          rollout: config.rollout,
        } as StatePatch,
      }));
  }

  function presentVersion(env: EnvironmentRecord, v: FlagSetVersionRecord): FlagSetVersion {
    return {
      environment: env.name,
      version: v.version,
      createdAt: v.createdAt,
      actor: v.actor,
      reason: v.reason,
      changes: v.changes,
    };
  }

  return {
    flagRecord,
    initialState,
    configOf,
    segmentMap,
    buildSet,
    commitVersions,
    transact,
    versionsData,
    toDto,
    present,
    presentVersion,
    changeStates,
    applyPatchesIn,
    checkPatches,
    restorePatches,
  };
}

export type FlagSetWriter = ReturnType<typeof createFlagSetWriter>;

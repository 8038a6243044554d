import type { Kysely } from "kysely";
import type { DialectName } from "../../db/connect.ts";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { PageOf } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, DomainError, invalid, notFound } from "../../shared/errors.ts";
import type {
  CreateFlagBody,
  Flag,
  FlagChange,
  FlagEnvironmentState,
  FlagSetVersion,
  PromoteFlagsBody,
  PromoteFlagsResult,
  RolloutBody,
  SegmentBody,
  SetFlagStateBody,
  StaleFlag,
  UpdateFlagBody,
} from "../../shared/flags/flags.api.ts";
import type { FlagConfig, FlagSet, FlagValue, Rollout, Segment } from "../../shared/flags/flags.types.ts";
import { type FlagProblem, validateFlagConfig, validateSegment } from "../../shared/flags/validate.ts";
import { newId } from "../../shared/ids.ts";
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
  projects: Pick<ProjectsService, "environments" | "environment">;
  audit: AuditRecorder;
  /** Called after a commit with each environment whose flag set got a new version. */
  onVersion?: (environmentId: string, version: number) => void;
}

export type StatePatch = Omit<SetFlagStateBody, "reason">;

export interface FlagsService {
  create(project: ProjectRecord, input: CreateFlagBody, actor: string): Promise<Flag>;
  get(project: ProjectRecord, key: string): Promise<Flag>;
  list(project: ProjectRecord, page: { limit: number; cursor: string | undefined }): Promise<PageOf<Flag>>;
  update(project: ProjectRecord, key: string, input: UpdateFlagBody, actor: string): Promise<Flag>;
  setState(project: ProjectRecord, env: string, key: string, input: SetFlagStateBody, actor: string): Promise<Flag>;
  rollout(project: ProjectRecord, env: string, key: string, input: RolloutBody, actor: string): Promise<Flag>;
  promote(project: ProjectRecord, input: PromoteFlagsBody, actor: string): Promise<PromoteFlagsResult>;
  restore(project: ProjectRecord, env: string, version: number, actor: string, reason?: string): Promise<FlagSetVersion>;
  history(
    project: ProjectRecord,
    env: string,
    page: { limit: number; before: number | undefined },
  ): Promise<PageOf<FlagSetVersion>>;
  /** The whole flag set of an environment: the current version, or `version` when given. */
  snapshot(project: ProjectRecord, env: string, version?: number): Promise<FlagSet>;
  putSegment(project: ProjectRecord, key: string, input: SegmentBody, actor: string): Promise<Segment>;
  deleteSegment(project: ProjectRecord, key: string, actor: string): Promise<void>;
  segments(project: ProjectRecord): Promise<Segment[]>;
  stale(project: ProjectRecord, days: number): Promise<StaleFlag[]>;
  /** Release promotion, inside the deployment's transaction (reads only through `tx`). Returns the new version or undefined. */
  applyIn(tx: Queryable, input: InTxChange & { patches: Record<string, StatePatch> }): Promise<number | undefined>;
  restoreIn(tx: Queryable, input: InTxChange & { version: number }): Promise<number | undefined>;
  currentVersionIn(tx: Queryable, environmentId: string): Promise<number>;
}

interface InTxChange {
  project: ProjectRecord;
  env: EnvironmentRecord;
  actor: string;
  reason: string;
}

function problemsError(what: string, problems: FlagProblem[]): DomainError {
  const first = problems[0];
  return invalid(`${what}: ${first ? `${first.path} ${first.message}` : "invalid"}`, { problems });
}

function parseKeyCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(key)) {
    throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  }
  return key;
}

export function createFlagsService(deps: FlagsDeps): FlagsService {
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
  ): Promise<Array<{ env: EnvironmentRecord; version: number; changes: FlagChange[] }>> {
    const written: Array<{ env: EnvironmentRecord; version: number; changes: FlagChange[] }> = [];
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

  function versionsData(versions: Array<{ env: EnvironmentRecord; version: number; changes: FlagChange[] }>) {
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

  async function create(project: ProjectRecord, input: CreateFlagBody, actor: string): Promise<Flag> {
    const variants = input.variants as Record<string, FlagValue>;
    const names = Object.keys(variants);
    const defaultVariant = input.defaultVariant ?? names[0] ?? "";
    const offVariant = input.offVariant ?? (Object.hasOwn(variants, "off") ? "off" : defaultVariant);
    const at = clock.now().toISOString();
    const flag: FlagRecord = {
      id: newId("flg", clock.now().getTime()),
      projectId: project.id,
      key: input.key,
      type: input.type,
      description: input.description ?? "",
      owner: input.owner ?? null,
      tags: input.tags ?? [],
      variants,
      createdBy: actor,
      createdAt: at,
      updatedAt: at,
    };
    const problems = validateFlagConfig(
      { key: flag.key, type: flag.type, variants, enabled: false, defaultVariant, offVariant, rules: [], rollout: null },
      {},
    );
    if (problems.length > 0) throw problemsError(`Flag "${input.key}" is invalid`, problems);
    const envs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      try {
        await store.insertFlag(tx, flag);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new DomainError("invalid_state", `Flag "${input.key}" already exists in project "${project.slug}"`, {
          details: { flag: input.key },
          cause: error,
        });
      }
      const states = envs.map((env) => initialState(flag, env.id, { defaultVariant, offVariant }));
      for (const state of states) await store.upsertState(tx, state);
      const versions = await commitVersions(tx, { project, envs, actor, reason: "flag created" });
      await deps.audit.append(tx, {
        actor,
        action: "flag.created",
        projectId: project.id,
        subject: { type: "flag", id: flag.key },
        data: { type: flag.type, variants: names, defaultVariant, offVariant, versions: versionsData(versions) },
      });
      return { result: present(flag, envs, states), versions };
    });
  }

  async function update(project: ProjectRecord, key: string, input: UpdateFlagBody, actor: string): Promise<Flag> {
    const envs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      const old = await flagRecord(project, key, tx);
      const flag: FlagRecord = {
        ...old,
        description: input.description ?? old.description,
        owner: input.owner === undefined ? old.owner : input.owner,
        tags: input.tags ?? old.tags,
        variants: (input.variants as Record<string, FlagValue> | undefined) ?? old.variants,
        updatedAt: clock.now().toISOString(),
      };
      const states = await store.statesOfFlags(tx, [flag.id]);
      const segments = segmentMap(await store.listSegments(tx, project.id));
      for (const state of states) {
        const problems = validateFlagConfig(configOf(flag, state), segments);
        const env = envs.find((e) => e.id === state.environmentId)?.name ?? state.environmentId;
        if (problems.length > 0) throw problemsError(`Flag "${key}" would be invalid in ${env}`, problems);
      }
      await store.updateFlag(tx, flag);
      const versions = await commitVersions(tx, { project, envs, actor, reason: "flag updated" });
      await deps.audit.append(tx, {
        actor,
        action: "flag.updated",
        projectId: project.id,
        subject: { type: "flag", id: key },
        data: { fields: Object.keys(input), versions: versionsData(versions) },
      });
      return { result: present(flag, envs, states), versions };
    });
  }

  async function setState(
    project: ProjectRecord,
    envName: string,
    key: string,
    input: SetFlagStateBody,
    actor: string,
  ): Promise<Flag> {
    const env = await deps.projects.environment(project, envName);
    const { reason, ...patch } = input;
    return changeStates(project, [{ env, key, patch }], { actor, reason: reason ?? null, action: "flag.state_changed" });
  }

  /** Applies state patches (one or more flags × environments) in one transaction, one version per environment. */
  async function changeStates(
    project: ProjectRecord,
    patches: Array<{ env: EnvironmentRecord; key: string; patch: StatePatch }>,
    meta: { actor: string; reason: string | null; action: string },
  ): Promise<Flag> {
    // Read before the transaction: on SQLite a query outside `tx` would wait for the connection `tx` holds.
    const allEnvs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      const { versions, lastFlag } = await applyPatchesIn(tx, project, patches, meta);
      const flag = lastFlag as FlagRecord;
      return { result: present(flag, allEnvs, await store.statesOfFlags(tx, [flag.id])), versions };
    });
  }

  /**
   * Applies state patches inside `tx` (reading only through it), writes one version per environment and the audit
   * event. Used by the routes (in their own transaction) and by release promotion (in the deployment's).
   */
  async function applyPatchesIn(
    tx: Queryable,
    project: ProjectRecord,
    patches: Array<{ env: EnvironmentRecord; key: string; patch: StatePatch }>,
    meta: { actor: string; reason: string | null; action: string },
  ) {
    const segments = segmentMap(await store.listSegments(tx, project.id));
    let lastFlag: FlagRecord | undefined;
    for (const { env, key, patch } of patches) {
      const flag = await flagRecord(project, key, tx);
      lastFlag = flag;
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
        updatedBy: meta.actor,
        updatedAt: clock.now().toISOString(),
      };
      const problems = validateFlagConfig(configOf(flag, next), segments);
      if (problems.length > 0) throw problemsError(`Flag "${key}" in ${env.name} is invalid`, problems);
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
      data: { reason: meta.reason, versions: versionsData(versions) },
    });
    return { versions, lastFlag };
  }

  /** The patches that turn `env`'s current flags back into those of `snapshot` (flags deleted since are skipped). */
  function restorePatches(env: EnvironmentRecord, current: FlagSet, snapshot: FlagSet) {
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

  async function rollout(project: ProjectRecord, envName: string, key: string, input: RolloutBody, actor: string): Promise<Flag> {
    const env = await deps.projects.environment(project, envName);
    const flag = await flagRecord(project, key);
    let weights = input.weights;
    if (weights === undefined) {
      if (input.percentage === undefined) throw invalid("Give `percentage` (with an optional `variant`) or `weights`");
      const state = (await store.statesOfFlags(db, [flag.id])).find((s) => s.environmentId === env.id);
      const variant = input.variant ?? (Object.hasOwn(flag.variants, "on") ? "on" : (state?.defaultVariant ?? ""));
      const rest = state?.offVariant ?? "";
      if (variant === rest) throw invalid(`The rollout variant "${variant}" is also the off variant; name another \`variant\``);
      const share = Math.round(input.percentage * 100) / 100;
      weights = [
        { variant, weight: share },
        { variant: rest, weight: Math.round((100 - share) * 100) / 100 },
      ];
    }
    const rolloutValue: Rollout = { ...(input.bucketBy ? { bucketBy: input.bucketBy } : {}), weights };
    return changeStates(project, [{ env, key, patch: { enabled: true, rollout: rolloutValue } }], {
      actor,
      reason: input.reason ?? null,
      action: "flag.rollout_changed",
    });
  }

  async function promote(project: ProjectRecord, input: PromoteFlagsBody, actor: string): Promise<PromoteFlagsResult> {
    const from = await deps.projects.environment(project, input.from);
    const to = await deps.projects.environment(project, input.to);
    if (from.id === to.id) throw invalid("`from` and `to` name the same environment");
    const [source, target] = await Promise.all([buildSet(db, project, from, 0), buildSet(db, project, to, 0)]);
    const keys = input.keys ?? Object.keys(source.flags);
    const missing = keys.filter((k) => !Object.hasOwn(source.flags, k));
    if (missing.length > 0) throw notFound("not_found", `No flag ${missing.map((k) => `"${k}"`).join(", ")} in ${from.name}`);
    const wanted = { ...target.flags };
    for (const key of keys) wanted[key] = source.flags[key] as FlagConfig;
    const changes = diffFlags(target.flags, wanted);
    const result = { from: from.name, to: to.name, changes };
    if (input.dryRun || changes.length === 0) return { ...result, applied: false, version: null };
    const patches = changes.map((change) => {
      const config = wanted[change.flag] as FlagConfig;
      const { enabled, defaultVariant, offVariant, rules, rollout } = config;
      return { env: to, key: change.flag, patch: { enabled, defaultVariant, offVariant, rules, rollout } as StatePatch };
    });
    await changeStates(project, patches, {
      actor,
      reason: input.reason ?? `promoted from ${from.name}`,
      action: "flag.promoted",
    });
    const version = (await store.latestVersion(db, to.id))?.version ?? null;
    return { ...result, applied: true, version };
  }

  async function restore(
    project: ProjectRecord,
    envName: string,
    version: number,
    actor: string,
    reason?: string,
  ): Promise<FlagSetVersion> {
    const env = await deps.projects.environment(project, envName);
    const old = await store.findVersion(db, env.id, version);
    if (!old) throw notFound("not_found", `${env.name} has no flag-set version ${version}`, { version });
    const patches = restorePatches(env, await buildSet(db, project, env, 0), old.snapshot);
    if (patches.length > 0) {
      await changeStates(project, patches, { actor, reason: reason ?? `restored version ${version}`, action: "flag.restored" });
    }
    const latest = await store.latestVersion(db, env.id);
    if (!latest) throw notFound("not_found", `${env.name} has no flag-set versions`);
    return presentVersion(env, latest);
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

  async function history(project: ProjectRecord, envName: string, page: { limit: number; before: number | undefined }) {
    const env = await deps.projects.environment(project, envName);
    const rows = await store.listVersions(db, env.id, { limit: page.limit, before: page.before });
    const items = rows.slice(0, page.limit).map((v) => presentVersion(env, v));
    const last = items.at(-1);
    return { items, nextCursor: rows.length > page.limit && last ? String(last.version) : null };
  }

  async function snapshot(project: ProjectRecord, envName: string, version?: number): Promise<FlagSet> {
    const env = await deps.projects.environment(project, envName);
    const found = version === undefined ? await store.latestVersion(db, env.id) : await store.findVersion(db, env.id, version);
    if (found) return found.snapshot;
    if (version !== undefined) throw notFound("not_found", `${env.name} has no flag-set version ${version}`, { version });
    return buildSet(db, project, env, 0);
  }

  async function putSegment(project: ProjectRecord, key: string, input: SegmentBody, actor: string): Promise<Segment> {
    const segment: Segment = {
      key,
      ...(input.description ? { description: input.description } : {}),
      conditions: input.conditions,
    };
    const problems = validateSegment(segment);
    if (problems.length > 0) throw problemsError(`Segment "${key}" is invalid`, problems);
    const envs = await deps.projects.environments(project.id);
    return transact(async (tx) => {
      await store.upsertSegment(tx, {
        id: newId("seg", clock.now().getTime()),
        projectId: project.id,
        key,
        description: input.description ?? "",
        conditions: input.conditions,
        updatedAt: clock.now().toISOString(),
      });
      const versions = await commitVersions(tx, { project, envs, actor, reason: `segment ${key} saved` });
      await deps.audit.append(tx, {
        actor,
        action: "flag_segment.saved",
        projectId: project.id,
        subject: { type: "flag_segment", id: key },
        data: { conditions: input.conditions.length, versions: versionsData(versions) },
      });
      return { result: segment, versions };
    });
  }

  async function deleteSegment(project: ProjectRecord, key: string, actor: string): Promise<void> {
    const envs = await deps.projects.environments(project.id);
    await transact(async (tx) => {
      const flags = await store.allFlags(tx, project.id);
      const states = await store.statesOfFlags(
        tx,
        flags.map((f) => f.id),
      );
      const users = states.filter((s) => s.rules.some((r) => r.conditions.some((c) => "segment" in c && c.segment === key)));
      if (users.length > 0) {
        const names = [...new Set(users.map((s) => flags.find((f) => f.id === s.flagId)?.key ?? s.flagId))];
        throw conflict(
          "invalid_state",
          `Segment "${key}" is used by flag ${names.map((n) => `"${n}"`).join(", ")}; remove it from their rules first`,
          {
            flags: names,
          },
        );
      }
      if (!(await store.deleteSegment(tx, project.id, key))) {
        throw notFound("not_found", `Segment "${key}" does not exist in project "${project.slug}"`);
      }
      const versions = await commitVersions(tx, { project, envs, actor, reason: `segment ${key} deleted` });
      await deps.audit.append(tx, {
        actor,
        action: "flag_segment.deleted",
        projectId: project.id,
        subject: { type: "flag_segment", id: key },
        data: { versions: versionsData(versions) },
      });
      return { result: undefined, versions };
    });
  }

  async function stale(project: ProjectRecord, days: number): Promise<StaleFlag[]> {
    const envs = await deps.projects.environments(project.id);
    const flags = await store.allFlags(db, project.id);
    const states = await store.statesOfFlags(
      db,
      flags.map((f) => f.id),
    );
    const seen = await store.lastEvaluations(
      db,
      envs.map((e) => e.id),
    );
    const cutoff = clock.now().getTime() - days * 86_400_000;
    const result: StaleFlag[] = [];
    for (const flag of flags) {
      for (const env of envs) {
        const state = states.find((s) => s.flagId === flag.id && s.environmentId === env.id);
        if (!state) continue;
        const lastEvaluatedAt = seen.get(`${env.id}/${flag.key}`) ?? null;
        const base = { key: flag.key, environment: env.name, unchangedSince: state.updatedAt, lastEvaluatedAt };
        const unchanged = Date.parse(state.updatedAt) < cutoff;
        const full = fullness(state);
        if (unchanged && full !== undefined) result.push({ ...base, state: full });
        else if (Date.parse(flag.createdAt) < cutoff && (lastEvaluatedAt === null || Date.parse(lastEvaluatedAt) < cutoff)) {
          result.push({ ...base, state: "not_evaluated" });
        }
      }
    }
    return result;
  }

  return {
    create,
    get: async (project, key) => toDto(project, await flagRecord(project, key)),
    async list(project, page) {
      const rows = await store.listFlags(db, project.id, { limit: page.limit, afterKey: parseKeyCursor(page.cursor) });
      const items = rows.slice(0, page.limit);
      const [envs, states] = await Promise.all([
        deps.projects.environments(project.id),
        store.statesOfFlags(
          db,
          items.map((f) => f.id),
        ),
      ]);
      const last = items.at(-1);
      return {
        items: items.map((flag) => present(flag, envs, states)),
        nextCursor: rows.length > page.limit && last ? Buffer.from(last.key).toString("base64url") : null,
      };
    },
    update,
    setState,
    rollout,
    promote,
    restore,
    history,
    snapshot,
    putSegment,
    deleteSegment,
    segments: async (project) => Object.values(segmentMap(await store.listSegments(db, project.id))),
    stale,
    async applyIn(tx, input) {
      const patches = Object.entries(input.patches).map(([key, patch]) => ({ env: input.env, key, patch }));
      if (patches.length === 0) return undefined;
      const meta = { actor: input.actor, reason: input.reason, action: "flag.release_applied" };
      const { versions } = await applyPatchesIn(tx, input.project, patches, meta);
      return versions[0]?.version;
    },
    async restoreIn(tx, input) {
      const old = await store.findVersion(tx, input.env.id, input.version);
      if (!old) return undefined;
      const patches = restorePatches(input.env, await buildSet(tx, input.project, input.env, 0), old.snapshot);
      if (patches.length === 0) return undefined;
      const meta = { actor: input.actor, reason: input.reason, action: "flag.release_rolled_back" };
      const { versions } = await applyPatchesIn(tx, input.project, patches, meta);
      return versions[0]?.version;
    },
    currentVersionIn: async (tx, environmentId) => (await store.latestVersion(tx, environmentId))?.version ?? 0,
  };
}

/** Whether a state serves one variant to everyone: disabled (fully off) or static / a single 100 % variant (fully on). */
function fullness(state: FlagStateRecord): "fully_on" | "fully_off" | undefined {
  if (!state.enabled) return "fully_off";
  if (state.rules.length > 0) return undefined;
  if (state.rollout === null) return state.defaultVariant === state.offVariant ? "fully_off" : "fully_on";
  const served = state.rollout.weights.filter((w) => w.weight > 0);
  if (served.length !== 1) return undefined;
  return served[0]?.variant === state.offVariant ? "fully_off" : "fully_on";
}

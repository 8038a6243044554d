import { isUniqueViolation } from "../../db/connect.ts";
import type { Queryable } from "../../db/schema.ts";
import type { PageOf } from "../../shared/api.ts";
import { DomainError, invalid } from "../../shared/errors.ts";
import type {
  CreateFlagBody,
  Flag,
  FlagSetVersion,
  PromoteFlagsBody,
  PromoteFlagsResult,
  RolloutBody,
  SegmentBody,
  SetFlagStateBody,
  StaleFlag,
  UpdateFlagBody,
} from "../../shared/flags/flags.api.ts";
import type { FlagSet, FlagValue, Rollout, Segment } from "../../shared/flags/flags.types.ts";
import { validateFlagConfig } from "../../shared/flags/validate.ts";
import { newId } from "../../shared/ids.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import { type ChangeAuthor, createFlagChanges, type FlagChanges, type FlagChangesDeps } from "./flags.changes.ts";
import { createFlagEnvironments } from "./flags.environments.ts";
import { createFlagSegments } from "./flags.segments.ts";
import { staleFlags } from "./flags.stale.ts";
import * as store from "./flags.store.ts";
import type { FlagRecord } from "./flags.types.ts";
import { type Applied, createFlagSetWriter, type FlagPatch, problemsError, type StatePatch } from "./flags.versions.ts";
import type { FlagsConfig } from "./flags-config.types.ts";

export type { Applied, FlagsDeps, StatePatch } from "./flags.versions.ts";

export interface FlagsService {
  create(project: ProjectRecord, input: CreateFlagBody, actor: string): Promise<Flag>;
  get(project: ProjectRecord, key: string): Promise<Flag>;
  list(project: ProjectRecord, page: { limit: number; cursor: string | undefined }): Promise<PageOf<Flag>>;
  update(project: ProjectRecord, key: string, input: UpdateFlagBody, actor: string): Promise<Flag>;
  setState(
    project: ProjectRecord,
    env: string,
    key: string,
    input: SetFlagStateBody,
    author: ChangeAuthor,
  ): Promise<Applied<Flag>>;
  /** enable / disable; disabling is the kill switch and never waits for approval. */
  toggle(
    project: ProjectRecord,
    target: { env: string; key: string; enabled: boolean },
    input: { reason?: string | undefined; scheduleAt?: string | undefined },
    author: ChangeAuthor,
  ): Promise<Applied<Flag>>;
  rollout(project: ProjectRecord, env: string, key: string, input: RolloutBody, author: ChangeAuthor): Promise<Applied<Flag>>;
  promote(project: ProjectRecord, input: PromoteFlagsBody, author: ChangeAuthor): Promise<PromoteFlagsResult>;
  restore(
    project: ProjectRecord,
    input: { env: string; version: number; reason?: string | undefined; scheduleAt?: string | undefined },
    author: ChangeAuthor,
  ): Promise<Applied<FlagSetVersion>>;
  /** Scheduled changes and changes waiting for approval. */
  changes: FlagChanges;
  /**
   * `flags:` of an applied stagegate.yaml: creates the flags that do not exist yet with their declared state per
   * environment (as `actor`, audited); leaves existing flags alone. True when it created any.
   */
  applyDeclared(project: ProjectRecord, declared: FlagsConfig, actor: string): Promise<boolean>;
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

function parseKeyCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(key)) {
    throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
  }
  return key;
}

/** Flags of a project and their state per environment; every change goes through the flag-set writer. */
export function createFlagsService(deps: FlagChangesDeps): FlagsService {
  const { db, clock } = deps;
  const writer = createFlagSetWriter(deps);
  const { flagRecord, initialState, configOf, segmentMap, commitVersions, transact, versionsData, present, changeStates } =
    writer;
  const changes = createFlagChanges(deps, writer);
  const environments = createFlagEnvironments(deps, writer, changes.gate);
  const segments = createFlagSegments(deps, writer);

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

  /** Applies `patches` now, or records them as a change request when scheduled or when the environment needs approval. */
  async function submit(
    project: ProjectRecord,
    patches: FlagPatch[],
    meta: { action: string; reason: string | null; author: ChangeAuthor; scheduleAt?: string | undefined },
  ): Promise<Applied<Flag>> {
    const env = patches[0]?.env as EnvironmentRecord;
    const pending = await changes.gate({ project, env, patches, ...meta });
    if (pending) return { pending };
    return {
      applied: await changeStates(project, patches, { actor: meta.author.name, reason: meta.reason, action: meta.action }),
    };
  }

  async function setState(
    project: ProjectRecord,
    envName: string,
    key: string,
    input: SetFlagStateBody,
    author: ChangeAuthor,
  ): Promise<Applied<Flag>> {
    const env = await deps.projects.environment(project, envName);
    const { reason, scheduleAt, ...patch } = input;
    return submit(project, [{ env, key, patch }], { action: "flag.state_changed", reason: reason ?? null, author, scheduleAt });
  }

  async function toggle(
    project: ProjectRecord,
    target: { env: string; key: string; enabled: boolean },
    input: { reason?: string | undefined; scheduleAt?: string | undefined },
    author: ChangeAuthor,
  ): Promise<Applied<Flag>> {
    const env = await deps.projects.environment(project, target.env);
    return submit(project, [{ env, key: target.key, patch: { enabled: target.enabled } }], {
      action: target.enabled ? "flag.enabled" : "flag.disabled",
      reason: input.reason ?? null,
      author,
      scheduleAt: input.scheduleAt,
    });
  }

  async function rollout(
    project: ProjectRecord,
    envName: string,
    key: string,
    input: RolloutBody,
    author: ChangeAuthor,
  ): Promise<Applied<Flag>> {
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
    return submit(project, [{ env, key, patch: { enabled: true, rollout: rolloutValue } }], {
      action: "flag.rollout_changed",
      reason: input.reason ?? null,
      author,
      scheduleAt: input.scheduleAt,
    });
  }

  async function applyDeclared(project: ProjectRecord, declared: FlagsConfig, actor: string): Promise<boolean> {
    let changed = false;
    for (const flag of declared) {
      if (await store.findFlag(db, project.id, flag.key)) continue;
      const type = flag.type ?? "boolean";
      await create(
        project,
        {
          key: flag.key,
          type,
          variants: flag.variants ?? { on: true, off: false },
          ...(flag.defaultVariant ? { defaultVariant: flag.defaultVariant } : {}),
          ...(flag.offVariant ? { offVariant: flag.offVariant } : {}),
          ...(flag.description ? { description: flag.description } : {}),
          ...(flag.owner ? { owner: flag.owner } : {}),
          ...(flag.tags ? { tags: flag.tags } : {}),
        },
        actor,
      );
      changed = true;
      const patches: FlagPatch[] = [];
      for (const [envName, patch] of Object.entries(flag.environments ?? {})) {
        patches.push({ env: await deps.projects.environment(project, envName), key: flag.key, patch: patch as StatePatch });
      }
      if (patches.length > 0) {
        await changeStates(project, patches, { actor, reason: "declared in stagegate.yaml", action: "flag.state_changed" });
      }
    }
    return changed;
  }

  return {
    applyDeclared,
    create,
    get: async (project, key) => writer.toDto(project, await flagRecord(project, key)),
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
    toggle,
    rollout,
    changes,
    promote: environments.promote,
    restore: environments.restore,
    history: environments.history,
    snapshot: environments.snapshot,
    putSegment: segments.putSegment,
    deleteSegment: segments.deleteSegment,
    segments: segments.segments,
    stale: (project, days) => staleFlags(deps, project, days),
    async applyIn(tx, input) {
      const patches = Object.entries(input.patches).map(([key, patch]) => ({ env: input.env, key, patch }));
      if (patches.length === 0) return undefined;
      const meta = { actor: input.actor, reason: input.reason, action: "flag.release_applied" };
      const { versions } = await writer.applyPatchesIn(tx, input.project, patches, meta);
      return versions[0]?.version;
    },
    async restoreIn(tx, input) {
      const old = await store.findVersion(tx, input.env.id, input.version);
      if (!old) return undefined;
      const patches = writer.restorePatches(input.env, await writer.buildSet(tx, input.project, input.env, 0), old.snapshot);
      if (patches.length === 0) return undefined;
      const meta = { actor: input.actor, reason: input.reason, action: "flag.release_rolled_back" };
      const { versions } = await writer.applyPatchesIn(tx, input.project, patches, meta);
      return versions[0]?.version;
    },
    currentVersionIn: async (tx, environmentId) => (await store.latestVersion(tx, environmentId))?.version ?? 0,
  };
}

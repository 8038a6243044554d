import type { PageOf } from "../../shared/api.ts";
import { invalid, notFound } from "../../shared/errors.ts";
import type { FlagSetVersion, PromoteFlagsBody, PromoteFlagsResult } from "../../shared/flags/flags.api.ts";
import type { FlagConfig, FlagSet } from "../../shared/flags/flags.types.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import type { ChangeAuthor, FlagChanges } from "./flags.changes.ts";
import { diffFlags } from "./flags.diff.ts";
import * as store from "./flags.store.ts";
import type { Applied, FlagPatch, FlagSetWriter, FlagsDeps, StatePatch } from "./flags.versions.ts";

/** Whole flag sets of an environment: promote between environments, restore a version, history, snapshots. */
export function createFlagEnvironments(deps: FlagsDeps, writer: FlagSetWriter, gate: FlagChanges["gate"]) {
  const { db } = deps;
  const { buildSet, changeStates, restorePatches, presentVersion } = writer;

  /** What `promote` would change in `to`: the diff, and the patches that make it. */
  async function promotionPlan(project: ProjectRecord, input: PromoteFlagsBody) {
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
    const patches: FlagPatch[] = changes.map((change) => {
      const config = wanted[change.flag] as FlagConfig;
      const { enabled, defaultVariant, offVariant, rules, rollout } = config;
      return { env: to, key: change.flag, patch: { enabled, defaultVariant, offVariant, rules, rollout } as StatePatch };
    });
    return { from, to, changes, patches };
  }

  async function promote(project: ProjectRecord, input: PromoteFlagsBody, author: ChangeAuthor): Promise<PromoteFlagsResult> {
    const { from, to, changes, patches } = await promotionPlan(project, input);
    const result = { from: from.name, to: to.name, changes };
    if (input.dryRun || changes.length === 0) return { ...result, applied: false, version: null };
    const reason = input.reason ?? `promoted from ${from.name}`;
    const action = "flag.promoted";
    const pending = await gate({ project, env: to, patches, action, reason, author, scheduleAt: input.scheduleAt });
    if (pending) return { ...result, applied: false, version: null, changeRequest: pending.id };
    await changeStates(project, patches, { actor: author.name, reason, action });
    const version = (await store.latestVersion(db, to.id))?.version ?? null;
    return { ...result, applied: true, version };
  }

  /** The patches that bring `envName` back to `version` (empty when it already is). */
  async function restorePlan(project: ProjectRecord, envName: string, version: number) {
    const env = await deps.projects.environment(project, envName);
    const old = await store.findVersion(db, env.id, version);
    if (!old) throw notFound("not_found", `${env.name} has no flag-set version ${version}`, { version });
    return { env, patches: restorePatches(env, await buildSet(db, project, env, 0), old.snapshot) };
  }

  async function restore(
    project: ProjectRecord,
    input: { env: string; version: number; reason?: string | undefined; scheduleAt?: string | undefined },
    author: ChangeAuthor,
  ): Promise<Applied<FlagSetVersion>> {
    const { env, patches } = await restorePlan(project, input.env, input.version);
    if (patches.length > 0) {
      const reason = input.reason ?? `restored version ${input.version}`;
      const action = "flag.restored";
      const pending = await gate({ project, env, patches, action, reason, author, scheduleAt: input.scheduleAt });
      if (pending) return { pending };
      await changeStates(project, patches, { actor: author.name, reason, action });
    }
    const latest = await store.latestVersion(db, env.id);
    if (!latest) throw notFound("not_found", `${env.name} has no flag-set versions`);
    return { applied: presentVersion(env, latest) };
  }

  async function history(
    project: ProjectRecord,
    envName: string,
    page: { limit: number; before: number | undefined },
  ): Promise<PageOf<FlagSetVersion>> {
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

  return { promotionPlan, promote, restorePlan, restore, history, snapshot };
}

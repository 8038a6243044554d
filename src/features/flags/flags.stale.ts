import type { StaleFlag } from "../../shared/flags/flags.api.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import * as store from "./flags.store.ts";
import type { FlagStateRecord } from "./flags.types.ts";
import type { FlagsDeps } from "./flags.versions.ts";

/** The stale-flag report: flags unchanged and fully on/off for `days` days, or not evaluated for that long. */
export async function staleFlags(deps: FlagsDeps, project: ProjectRecord, days: number): Promise<StaleFlag[]> {
  const { db, clock } = deps;
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

/** Whether a state serves one variant to everyone: disabled (fully off) or static / a single 100 % variant (fully on). */
function fullness(state: FlagStateRecord): "fully_on" | "fully_off" | undefined {
  if (!state.enabled) return "fully_off";
  if (state.rules.length > 0) return undefined;
  if (state.rollout === null) return state.defaultVariant === state.offVariant ? "fully_off" : "fully_on";
  const served = state.rollout.weights.filter((w) => w.weight > 0);
  if (served.length !== 1) return undefined;
  return served[0]?.variant === state.offVariant ? "fully_off" : "fully_on";
}

import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { notFound } from "../../shared/errors.ts";
import { activeFreeze } from "../approvals/freeze.ts";
import type { GatesService } from "../gates/gates.service.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import * as store from "./dashboard.store.ts";
import type { Readiness } from "./dashboard.types.ts";

/**
 * Per environment, whether a release could be promoted there now and if not why — the same checks, in the same order,
 * as the promote itself (lifecycle, freeze, gates) plus the environment's lock (a deployment running). A preview: the
 * promote decides again when it is made.
 */
export function createReadiness(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "environments">;
  gates: Pick<GatesService, "evaluate">;
}) {
  return async function readiness(slug: string, version: string): Promise<Readiness> {
    const project = await deps.projects.record(slug);
    const release = await store.findRelease(deps.db, project.id, version);
    if (!release) throw notFound("release_not_found", `Release ${version} does not exist in ${slug}`, { version });
    const envs = await deps.projects.environments(project.id);
    const succeeded = new Set(await store.environmentsWhereSucceeded(deps.db, release.id));
    const running = await store.runningIn(
      deps.db,
      envs.map((e) => e.id),
    );
    const now = deps.clock.now();
    const environments = await Promise.all(
      envs.map(async (env) => {
        const required = env.requires ? envs.find((e) => e.name === env.requires) : undefined;
        const freeze = env.spec.approval?.freezeWindows ? activeFreeze(env.spec.approval.freezeWindows, now) : null;
        const gates = env.spec.gates ?? [];
        const evaluation =
          gates.length > 0 ? await deps.gates.evaluate({ projectId: project.id, commitSha: release.commitSha, gates }) : null;
        const lock = running.get(env.id);
        return {
          environment: env.name,
          lifecycle: { ok: !required || succeeded.has(required.id), requires: env.requires },
          freeze: freeze ? { reason: freeze.reason, liftsAt: freeze.liftsAt } : null,
          gates: evaluation,
          lock: lock ? { deploymentId: lock.id, release: lock.version } : null,
        };
      }),
    );
    return { version, environments };
  };
}

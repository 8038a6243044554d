import { conflict } from "../../shared/errors.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import type { ReleaseRecord } from "../releases/releases.types.ts";
import type { DeploymentsDeps } from "./deployments.service.ts";

/**
 * Evaluates the environment's gates for a promotion; failing ones refuse it (409 `gate_failed`, with every gate's
 * result, and a `gate_failed` notice) unless overridden with a reason. Undefined when the environment has no gates.
 */
export async function checkGates(
  deps: Pick<DeploymentsDeps, "gates" | "events">,
  input: {
    project: ProjectRecord;
    env: EnvironmentRecord;
    release: ReleaseRecord;
    override: { by: string; reason: string } | null;
    actor: string | null;
  },
) {
  const { project, env, release, override, actor } = input;
  const gates = env.spec.gates ?? [];
  if (gates.length === 0) return undefined;
  const evaluation = await deps.gates.evaluate({ projectId: project.id, commitSha: release.commitSha, gates });
  if (!evaluation.passed && !override) {
    const failed = evaluation.results.filter((r) => !r.passed);
    const refused = { projectId: project.id, releaseId: release.id, environment: env.name, gates: evaluation.results };
    await deps.events?.gateFailed?.({ ...refused, actor });
    throw conflict(
      "gate_failed",
      `${env.name} refuses ${release.version}: ${failed.map((r) => `${r.type}: ${r.message}`).join("; ")}`,
      {
        environment: env.name,
        version: release.version,
        gates: evaluation.results,
      },
    );
  }
  return { evaluation, override: evaluation.passed ? null : override };
}

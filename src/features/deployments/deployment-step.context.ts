import { errorMessage } from "../../shared/errors.ts";
import { resolveSecrets } from "../../shared/secrets.ts";
import type { StepSpec } from "../projects/projects.types.ts";
import type { RunnerDeps } from "./deployment.runner.ts";
import type { DeploymentLogSink } from "./deployment-log.sink.ts";
import type { DeploymentRecord } from "./deployments.types.ts";
import type { ExecutionContext, LogSink } from "./executors/executor.types.ts";

/** What a step sees of its deployment (the executor's context), and the reports it leaves on the release's commit. */
export function createStepContexts(
  deps: Pick<RunnerDeps, "projects" | "releases" | "resolveStep" | "publicUrl" | "attachReports">,
) {
  async function context(
    d: DeploymentRecord,
    step: StepSpec,
    sink: LogSink,
    signal: AbortSignal,
    token: string,
    run: { id: string; ingestToken: string } | null,
  ): Promise<ExecutionContext<unknown>> {
    const project = await deps.projects.recordById(d.projectId);
    const release = await deps.releases.recordById(d.releaseId);
    const resolved = deps.resolveStep
      ? await deps.resolveStep({ projectId: d.projectId, environment: d.environmentName, config: step.config, log: sink })
      : { config: resolveSecrets(step.config), log: sink };
    return {
      deployment: { id: d.id, kind: d.kind, createdBy: d.createdBy },
      project: { slug: project.slug, name: project.name, repoUrl: project.repoUrl },
      environment: { name: d.environmentName },
      release: {
        version: release.version,
        commitSha: release.commitSha,
        branch: release.branch,
        artifactUrl: release.artifactUrl,
        artifactDigest: release.artifactDigest,
      },
      step: { name: step.name, index: d.stepIndex, attempt: d.stepAttempt },
      // Secrets stay references (`${env:NAME}`) in the database and are read only when a step runs.
      config: resolved.config,
      log: resolved.log,
      signal,
      externalId: d.externalId,
      callback: { url: `${deps.publicUrl}/api/v1/deployments/${d.id}/callback`, token },
      run: run && { ...run, url: deps.publicUrl },
    };
  }

  /** A step's declared reports go to the release's commit whether it passed or failed; a problem is logged, not fatal. */
  async function attachReports(d: DeploymentRecord, step: StepSpec, sink: DeploymentLogSink): Promise<void> {
    if (!step.reports || !deps.attachReports) return;
    try {
      const project = await deps.projects.recordById(d.projectId);
      const release = await deps.releases.recordById(d.releaseId);
      const cwd = (step.config as { cwd?: unknown } | null)?.cwd;
      const line = await deps.attachReports({
        projectSlug: project.slug,
        commitSha: release.commitSha,
        branch: release.branch,
        deploymentId: d.id,
        stepName: step.name,
        reports: step.reports,
        cwd: typeof cwd === "string" ? cwd : undefined,
      });
      sink.write("system", line);
    } catch (error) {
      sink.write("system", `could not attach the reports of step "${step.name}": ${errorMessage(error)}`);
    }
  }

  return { context, attachReports };
}

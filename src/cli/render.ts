import { type Deployment, type Release, TERMINAL_STATUSES } from "../shared/api.ts";
import { elapsed, formatFields, formatTable, NONE, relativeTime } from "./output.ts";

/** Table renderings of API objects that more than one command prints. */

/** "deployment dep_1 (deploy of 1.4.0 to live): failed: exit code 3 after 2s" */
export function deploymentSummary(deployment: Deployment): string {
  const reason = deployment.reason ? `: ${deployment.reason}` : "";
  const took = deployment.finishedAt
    ? ` after ${elapsed(deployment.startedAt ?? deployment.createdAt, deployment.finishedAt)}`
    : "";
  const what = `${deployment.kind} of ${deployment.release} to ${deployment.environment}`;
  return `deployment ${deployment.id} (${what}): ${deployment.status}${reason}${took}`;
}

/** The summary, plus how to watch it while it is not finished. */
export function deploymentStarted(deployment: Deployment): string {
  const summary = deploymentSummary(deployment);
  return isTerminal(deployment.status) ? summary : `${summary}\nfollow it: stagegate deploy log ${deployment.id} --follow`;
}

export function isTerminal(status: Deployment["status"]): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function deploymentFields(deployment: Deployment): string {
  // The server counts steps and attempts from 0 (its own log says "attempt 2" for attempt 1); people count from 1.
  const step = deployment.step
    ? `${deployment.step.name} (step ${deployment.step.index + 1}, attempt ${deployment.step.attempt + 1})`
    : null;
  return formatFields([
    ["ID", deployment.id],
    ["Project", deployment.project],
    ["Release", deployment.release],
    ["Environment", deployment.environment],
    ["Kind", deployment.kind],
    ["Status", deployment.status],
    ["Reason", deployment.reason],
    ["Step", step],
    ["External ID", deployment.externalId],
    ["Created by", deployment.createdBy],
    ["Created", timestamp(deployment.createdAt)],
    ["Started", timestamp(deployment.startedAt)],
    ["Finished", timestamp(deployment.finishedAt)],
    ["Duration", elapsed(deployment.startedAt, deployment.finishedAt)],
  ]);
}

export function deploymentTable(deployments: readonly Deployment[]): string {
  return formatTable(
    ["ID", "RELEASE", "ENVIRONMENT", "KIND", "STATUS", "CREATED", "DURATION", "BY"],
    deployments.map((d) => [
      d.id,
      d.release,
      d.environment,
      d.kind,
      d.status,
      relativeTime(d.createdAt),
      elapsed(d.startedAt, d.finishedAt),
      d.createdBy ?? NONE,
    ]),
  );
}

/** "2026-11-25T10:00:00.000Z (5m ago)". */
export function timestamp(iso: string | null): string | null {
  return iso === null ? null : `${iso} (${relativeTime(iso)})`;
}

/** Printed under a list that has more pages, on stderr. */
export function morePages(command: string, nextCursor: string | null): string | undefined {
  return nextCursor === null ? undefined : `more: ${command} --cursor ${nextCursor}`;
}

export function releaseFields(release: Release): string {
  return formatFields([
    ["Version", release.version],
    ["Commit", release.commitSha],
    ["Branch", release.branch],
    ["Artifact", release.artifactUrl],
    ["Digest", release.artifactDigest],
    ["Created by", release.createdBy],
    ["Created", timestamp(release.createdAt)],
    ["Notes", release.notes],
  ]);
}

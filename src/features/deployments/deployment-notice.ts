import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { ApprovalPolicy } from "../approvals/approvals.types.ts";
import type { GateEvaluation } from "../gates/gates.types.ts";
import type { DeploymentEvents, PreparedEvent } from "../notifications/deployment.events.ts";
import type { EnvironmentRecord, ProjectRecord } from "../projects/projects.types.ts";
import type { ReleaseRecord } from "../releases/releases.types.ts";
import { listSucceeded } from "./deployments.store.ts";
import type { DeploymentKind } from "./deployments.types.ts";

/**
 * The approval request (with the commit's evidence and the release live there now) or the rollback notice of a new
 * deployment, read before the creating transaction; a notification problem never stops the deployment.
 */
export async function prepareCreationNotice(
  deps: { db: Kysely<Database>; events: Pick<DeploymentEvents, "prepare"> | undefined },
  input: {
    id: string;
    input: {
      env: EnvironmentRecord;
      project: ProjectRecord;
      release: ReleaseRecord;
      kind: DeploymentKind;
      actor: string | null;
      gates?: { evaluation: GateEvaluation };
    };
    policy: ApprovalPolicy | undefined;
    at: Date;
  },
): Promise<PreparedEvent | undefined> {
  const { env, release, kind, actor } = input.input;
  if (!deps.events || (input.policy === undefined && kind !== "rollback")) return undefined;
  const [current] = await listSucceeded(deps.db, env.id, 1);
  const d = { id: input.id, projectId: env.projectId, releaseId: release.id, environmentName: env.name, kind, reason: null };
  return deps.events
    .prepare(
      input.policy ? "approval_requested" : "rollback",
      { ...d, status: input.policy ? "pending_approval" : "queued" },
      {
        actor,
        withEvidence: input.policy !== undefined,
        ...(input.policy ? { approvalExpiresAt: new Date(input.at.getTime() + input.policy.expiresAfterMs) } : {}),
        previousRelease: current?.releaseVersion ?? null,
        ...(input.input.gates ? { gates: input.input.gates.evaluation.results } : {}),
      },
    )
    .catch(() => undefined);
}

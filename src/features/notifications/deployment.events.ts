import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import type { DeploymentRecord } from "../deployments/deployments.types.ts";
import type { GateResult } from "../gates/gates.types.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import type { ReportViews } from "../reports/reports.views.ts";
import type { NotificationEvent, NotificationEventType } from "./notifications.types.ts";

export interface PreparedEvent {
  projectId: string;
  event: NotificationEvent;
}

/**
 * Builds deployment notifications in two steps: `prepare` reads what the message needs (project, release, the commit's
 * test evidence) *before* the caller's transaction, `deliver` puts it in the outbox *inside* it. Reading inside would
 * deadlock on SQLite, where a transaction holds the only connection.
 */
export function createDeploymentEvents(deps: {
  /** For notices that no other transaction carries (a promotion refused by its gates). */
  db: Kysely<Database>;
  logger?: Pick<Logger, "warn">;
  projects: ProjectsService;
  releases: ReleasesService;
  views: ReportViews;
  clock: Clock;
  publicUrl: string;
  notify: (tx: Queryable, projectId: string, event: NotificationEvent) => Promise<unknown>;
}) {
  let approvalLinks: ((deploymentId: string, expiresAt: Date) => Promise<{ approve: string; reject: string }>) | undefined;

  /** What an approver or a gate-failure notice shows: the commit's test totals and failures, coverage, gate results. */
  async function evidenceOf(
    projectId: string,
    commitSha: string,
    extra: { gates?: GateResult[]; previousRelease?: string | null },
  ): Promise<NonNullable<NotificationEvent["evidence"]>> {
    const verdicts = await deps.views.commit(projectId, commitSha);
    const tests = verdicts.reduce(
      (sum, v) => ({
        total: sum.total + v.tests.total,
        passed: sum.passed + v.tests.passed,
        failed: sum.failed + v.tests.failed + v.tests.errored,
        skipped: sum.skipped + v.tests.skipped,
        flaky: sum.flaky + v.tests.flaky,
      }),
      { total: 0, passed: 0, failed: 0, skipped: 0, flaky: 0 },
    );
    const unit = verdicts.find((v) => v.kind === "unit") ?? verdicts[0];
    return {
      ...(verdicts.length ? { tests, failures: verdicts.flatMap((v) => v.failing).slice(0, 20) } : {}),
      ...(unit?.coverage ? { coverage: { lines: unit.coverage.lines, delta: null } } : {}),
      ...(extra.gates ? { gates: extra.gates.map((g) => ({ type: g.type, passed: g.passed, message: g.message })) } : {}),
      ...(extra.previousRelease !== undefined ? { previousRelease: extra.previousRelease } : {}),
    };
  }

  async function prepare(
    type: NotificationEventType,
    d: Pick<DeploymentRecord, "id" | "projectId" | "releaseId" | "environmentName" | "status" | "kind" | "reason">,
    extra: {
      actor?: string | null;
      gates?: GateResult[];
      previousRelease?: string | null;
      withEvidence?: boolean;
      approvalExpiresAt?: Date;
    } = {},
  ): Promise<PreparedEvent> {
    const project = await deps.projects.recordById(d.projectId);
    const release = await deps.releases.recordById(d.releaseId);
    const evidence = extra.withEvidence ? await evidenceOf(project.id, release.commitSha, extra) : undefined;
    const event: NotificationEvent = {
      type,
      project: { slug: project.slug, name: project.name },
      environment: d.environmentName,
      release: { version: release.version, commitSha: release.commitSha, branch: release.branch, createdBy: release.createdBy },
      deployment: { id: d.id, status: d.status, kind: d.kind, reason: d.reason },
      ...(extra.actor ? { actor: extra.actor } : {}),
      ...(evidence ? { evidence } : {}),
      links: {
        view: `${deps.publicUrl}/api/v1/deployments/${d.id}`,
        ...(type === "approval_requested" && extra.approvalExpiresAt && approvalLinks
          ? await approvalLinks(d.id, extra.approvalExpiresAt)
          : {}),
      },
      at: deps.clock.now().toISOString(),
    };
    return { projectId: project.id, event };
  }

  async function deliver(tx: Queryable, prepared: PreparedEvent | undefined): Promise<void> {
    if (prepared) await deps.notify(tx, prepared.projectId, prepared.event);
  }

  /**
   * A promotion refused because gates failed. No deployment exists, so nothing else is written: the outbox rows go in
   * a transaction of their own. Never throws: a notification problem must not hide the gate failure from the caller.
   */
  async function gateFailed(input: {
    projectId: string;
    releaseId: string;
    environment: string;
    actor: string | null;
    gates: GateResult[];
  }): Promise<void> {
    try {
      const project = await deps.projects.recordById(input.projectId);
      const release = await deps.releases.recordById(input.releaseId);
      const event: NotificationEvent = {
        type: "gate_failed",
        project: { slug: project.slug, name: project.name },
        environment: input.environment,
        release: { version: release.version, commitSha: release.commitSha, branch: release.branch, createdBy: release.createdBy },
        ...(input.actor ? { actor: input.actor } : {}),
        evidence: await evidenceOf(project.id, release.commitSha, { gates: input.gates }),
        links: {
          view: `${deps.publicUrl}/api/v1/projects/${encodeURIComponent(project.slug)}/releases/${encodeURIComponent(release.version)}`,
        },
        at: deps.clock.now().toISOString(),
      };
      await deps.db.transaction().execute((tx) => deps.notify(tx, project.id, event));
    } catch (error) {
      // The promotion is refused either way: the caller hears of the gates, the log of the lost notice.
      deps.logger?.warn({ err: error, projectId: input.projectId }, "could not queue the gate_failed notification");
    }
  }

  /** The approvals feature is built after this one (it needs deployments): it hands over its link signer here. */
  function setApprovalLinks(sign: (deploymentId: string, expiresAt: Date) => Promise<{ approve: string; reject: string }>): void {
    approvalLinks = sign;
  }

  return { prepare, deliver, gateFailed, setApprovalLinks };
}

export type DeploymentEvents = ReturnType<typeof createDeploymentEvents>;

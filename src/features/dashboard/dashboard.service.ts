import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Deployment, DeploymentStatus, PageOf, Project } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import { type Actor, roleIn } from "../../shared/roles.ts";
import { presentDeployment } from "../deployments/deployments.present.ts";
import type { GatesService } from "../gates/gates.service.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { EnvironmentRecord } from "../projects/projects.types.ts";
import * as store from "./dashboard.store.ts";
import type { DoraFigures, EnvironmentColumn, MatrixCell, ProjectMatrix, ProjectSummary } from "./dashboard.types.ts";
import { doraFigures } from "./dora.ts";
import { createReadiness } from "./readiness.ts";

export interface DashboardDeps {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "environments" | "list">;
  gates: Pick<GatesService, "evaluate">;
}

const DAY_MS = 86_400_000;

function approvalRequired(env: EnvironmentRecord): number {
  return (env.spec.approval?.groups ?? []).reduce((sum, group) => sum + group.required, 0);
}

/** An environment's latest deployment in the API's `Deployment` shape (step only while it matters). */
function presentLast(project: string, env: EnvironmentRecord, d: store.EnvironmentDeployment): Deployment {
  return presentDeployment({
    ...d,
    projectSlug: project,
    environmentName: env.name,
    releaseVersion: d.version,
    kind: d.kind === "rollback" ? "rollback" : "deploy",
    status: d.status as DeploymentStatus,
    environmentSpec: env.spec,
  });
}

export function createDashboardService(deps: DashboardDeps) {
  const { db, projects } = deps;

  /** Per environment: what runs there (`current`), its latest deployment (`last`) and what waits for approval. */
  async function columns(project: { id: string; slug: string }, envs: EnvironmentRecord[]): Promise<EnvironmentColumn[]> {
    const [states, pending] = await Promise.all([
      store.environmentStates(db, project.id),
      store.pendingApprovals(db, project.id),
    ]);
    return envs.map((env) => {
      const current = states.current.find((d) => d.environmentId === env.id);
      const last = states.last.find((d) => d.environmentId === env.id);
      const waiting = pending.find((p) => p.environmentId === env.id);
      const required = approvalRequired(env);
      return {
        name: env.name,
        position: env.position,
        requires: env.requires,
        gates: (env.spec.gates ?? []).map((gate) => gate.type),
        approvalRequired: required,
        current: current
          ? {
              version: current.version,
              since: current.finishedAt ?? current.createdAt,
              deploymentId: current.id,
              by: current.createdBy,
            }
          : null,
        last: last ? presentLast(project.slug, env, last) : null,
        pending: waiting
          ? {
              deploymentId: waiting.id,
              release: waiting.version,
              createdBy: waiting.createdBy,
              createdAt: waiting.createdAt,
              approvals: waiting.approvals,
              required,
            }
          : null,
      };
    });
  }

  /** The environment × release matrix: every environment, one page of releases (newest first) with their latest cells. */
  async function matrix(input: {
    slug: string;
    actor: Actor;
    limit: number;
    cursor: Cursor | undefined;
  }): Promise<ProjectMatrix> {
    const project = await projects.record(input.slug);
    const envs = await projects.environments(project.id);
    const rows = await store.listReleases(db, { projectId: project.id, limit: input.limit + 1, before: input.cursor });
    const page = toPage(rows, input.limit, (r) => ({ at: r.createdAt, id: r.id }));
    const deployments = await store.deploymentsOfReleases(
      db,
      page.items.map((r) => r.id),
    );
    // Newest first, so the first seen per (release, environment) is the cell.
    const latest = new Map<string, store.DeploymentRow>();
    for (const d of deployments) {
      const key = `${d.releaseId} ${d.environmentId}`;
      if (!latest.has(key)) latest.set(key, d);
    }
    return {
      project: project.slug,
      name: project.name,
      role: roleIn(input.actor, project.id),
      environments: await columns(project, envs),
      releases: {
        nextCursor: page.nextCursor,
        items: page.items.map((release) => ({
          version: release.version,
          commitSha: release.commitSha,
          branch: release.branch,
          createdAt: release.createdAt,
          createdBy: release.createdBy,
          cells: envs.map((env): MatrixCell | null => {
            const d = latest.get(`${release.id} ${env.id}`);
            return d
              ? {
                  environment: env.name,
                  deploymentId: d.id,
                  status: d.status as DeploymentStatus,
                  kind: d.kind,
                  at: d.finishedAt ?? d.createdAt,
                  by: d.createdBy,
                }
              : null;
          }),
        })),
      },
    };
  }

  async function dora(input: { slug: string; days: number; environment?: string }): Promise<DoraFigures> {
    const project = await projects.record(input.slug);
    const envs = await projects.environments(project.id);
    const env = input.environment ? envs.find((e) => e.name === input.environment) : envs[envs.length - 1];
    const to = new Date(Math.ceil(deps.clock.now().getTime() / DAY_MS) * DAY_MS);
    const from = new Date(to.getTime() - input.days * DAY_MS);
    const rows = env
      ? await store.finishedInEnvironment(db, { environmentId: env.id, from: from.toISOString(), to: to.toISOString() })
      : [];
    return { environment: env?.name ?? null, ...doraFigures({ rows, from, days: input.days }) };
  }

  /** A page of projects, each with what runs in its environments (for the projects list's status chips). */
  async function summaries(page: { limit: number; cursor: Cursor | undefined }): Promise<PageOf<ProjectSummary>> {
    const list: PageOf<Project> = await projects.list(page);
    const items = await Promise.all(
      list.items.map(async (p): Promise<ProjectSummary> => {
        const record = await projects.record(p.slug);
        const cols = await columns(record, await projects.environments(record.id));
        return {
          slug: p.slug,
          name: p.name,
          repoUrl: p.repoUrl,
          environments: cols.map((c) => ({
            name: c.name,
            version: c.current?.version ?? null,
            status: c.last?.status ?? null,
            at: c.last ? (c.last.finishedAt ?? c.last.createdAt) : null,
          })),
        };
      }),
    );
    return { items, nextCursor: list.nextCursor };
  }

  async function role(slug: string, actor: Actor) {
    const project = await projects.record(slug);
    return { project: project.slug, username: actor.name, role: roleIn(actor, project.id), globalAdmin: actor.globalAdmin };
  }

  return { matrix, dora, summaries, role, readiness: createReadiness(deps) };
}

export type DashboardService = ReturnType<typeof createDashboardService>;

import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Deployment, DeploymentStatus, Environment, PageOf, ProjectStatus, ReleaseDetail } from "../../shared/api.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { EnvironmentRecord } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import { presentRelease } from "../releases/releases.service.ts";
import { isTerminal } from "./deployment.state.ts";
import { formatLogLine } from "./deployment-log.sink.ts";
import { readLogLines } from "./deployment-logs.store.ts";
import { presentDeployment } from "./deployments.present.ts";
import * as store from "./deployments.store.ts";
import type { DeploymentListItem, DeploymentRecord } from "./deployments.types.ts";

const STATUS_RELEASES = 20;
const LOG_PAGE = 1000;

/** Read views over deployments: environments with what runs there, the status matrix, a release's history, logs. */
export function createDeploymentQueries(deps: {
  db: Kysely<Database>;
  projects: ProjectsService;
  releases: ReleasesService;
  followPollMs: number;
}) {
  const { db, projects, releases } = deps;

  async function environmentState(env: EnvironmentRecord) {
    const [current] = await store.listSucceeded(db, env.id, 1);
    const last = await store.latestInEnvironment(db, env.id);
    return { current, last };
  }

  async function environments(slug: string): Promise<{ items: Environment[] }> {
    const project = await projects.record(slug);
    const items = await Promise.all(
      (await projects.environments(project.id)).map(async (env): Promise<Environment> => {
        const { current, last } = await environmentState(env);
        return {
          name: env.name,
          position: env.position,
          requires: env.requires,
          autoDeploy: env.autoDeployBranch ? { branch: env.autoDeployBranch } : null,
          executor: env.spec.steps.map((step) => ({ name: step.name, type: step.type })),
          currentRelease: current
            ? { version: current.releaseVersion, deployedAt: current.finishedAt ?? current.createdAt, deploymentId: current.id }
            : null,
          lastDeployment: last ? presentDeployment(last) : null,
        };
      }),
    );
    return { items };
  }

  async function status(slug: string): Promise<ProjectStatus> {
    const project = await projects.record(slug);
    const envs = await projects.environments(project.id);
    const cells = await Promise.all(
      envs.map(async (env) => {
        const { current, last } = await environmentState(env);
        return {
          environment: env.name,
          current: current
            ? {
                version: current.releaseVersion,
                since: current.finishedAt ?? current.createdAt,
                deploymentId: current.id,
                by: current.createdBy,
              }
            : null,
          last: last ? presentDeployment(last) : null,
        };
      }),
    );
    const recent = (await releases.list(project, { limit: STATUS_RELEASES, cursor: undefined })).items;
    const recentRecords = await Promise.all(recent.map((r) => releases.record(project, r.version)));
    const deployments = await store.listDeployments(db, {
      projectId: project.id,
      releaseIds: recentRecords.map((r) => r.id),
      limit: 2000,
    });
    // Newest first, so the first seen per (release, environment) is the latest.
    const latest = new Map<string, DeploymentListItem>();
    for (const d of deployments)
      if (!latest.has(`${d.releaseId} ${d.environmentId}`)) latest.set(`${d.releaseId} ${d.environmentId}`, d);
    return {
      project: project.slug,
      environments: cells,
      releases: recentRecords.map((release) => ({
        version: release.version,
        createdAt: release.createdAt,
        cells: envs.map((env) => ({ environment: env.name, status: latest.get(`${release.id} ${env.id}`)?.status ?? null })),
      })),
    };
  }

  async function releaseDetail(slug: string, version: string): Promise<ReleaseDetail> {
    const project = await projects.record(slug);
    const release = await releases.record(project, version);
    const envs = await projects.environments(project.id);
    const deployments = await store.listDeployments(db, { releaseIds: [release.id], limit: 1000 });
    return {
      ...presentRelease(release),
      environments: envs.map((env) => ({
        environment: env.name,
        deployments: deployments.filter((d) => d.environmentId === env.id).map(presentDeployment),
      })),
    };
  }

  function omittedNotice(d: DeploymentRecord): string {
    return `… ${d.logOmittedLines} lines (${d.logOmittedBytes} bytes) omitted: the log keeps its first and last part …\n`;
  }

  /** The whole stored log as text; where lines were dropped from the middle, a notice says how many. */
  async function* logText(id: string, options: { follow: boolean; signal?: AbortSignal }): AsyncGenerator<string> {
    let d = await store.findDeployment(db, id);
    if (!d) return;
    let after = 0;
    let noticed = false;
    for (;;) {
      const finished = isTerminal(d.status);
      const lines = await readLogLines(db, id, { afterSeq: after, limit: LOG_PAGE });
      if (lines.length > 0) {
        let chunk = "";
        for (const line of lines) {
          if (line.seq !== after + 1 && after > 0 && !noticed) {
            chunk += omittedNotice(d);
            noticed = true;
          }
          chunk += formatLogLine(line);
          after = line.seq;
        }
        yield chunk;
        if (lines.length === LOG_PAGE) continue;
      }
      if (!options.follow || finished || options.signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, deps.followPollMs));
      d = (await store.findDeployment(db, id)) ?? d;
    }
  }

  async function list(input: {
    slug: string;
    environment?: string;
    status?: DeploymentStatus;
    limit: number;
    cursor: Cursor | undefined;
  }): Promise<PageOf<Deployment>> {
    const project = await projects.record(input.slug);
    const env = input.environment ? await projects.environment(project, input.environment) : undefined;
    const rows = await store.listDeployments(db, {
      projectId: project.id,
      environmentId: env?.id,
      status: input.status,
      limit: input.limit,
      before: input.cursor,
    });
    const page = toPage(rows, input.limit, (d) => ({ at: d.createdAt, id: d.id }));
    return { items: page.items.map(presentDeployment), nextCursor: page.nextCursor };
  }

  return { environments, status, releaseDetail, logText, list };
}

export type DeploymentQueries = ReturnType<typeof createDeploymentQueries>;

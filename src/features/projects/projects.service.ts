import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { ApplyConfigResult, CreateProjectBody, PageOf, Project } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, DomainError, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import { resolveSecret } from "../../shared/secrets.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { CommitStatusConfig } from "../commit-status/commit-status.types.ts";
import type { NotificationChannel } from "../notifications/notifications.types.ts";
import { parseProjectConfig } from "./config.parser.ts";
import * as store from "./projects.store.ts";
import type { EnvironmentRecord, ExecutorConfigValidator, ProjectConfig, ProjectRecord } from "./projects.types.ts";

export interface ProjectsService {
  create(input: CreateProjectBody): Promise<Project>;
  list(page: { limit: number; cursor: Cursor | undefined }): Promise<PageOf<Project>>;
  get(slug: string): Promise<Project>;
  /** The stored project, for other features' services. Throws project_not_found. */
  record(slug: string): Promise<ProjectRecord>;
  recordById(id: string): Promise<ProjectRecord>;
  environments(projectId: string): Promise<EnvironmentRecord[]>;
  /** Throws environment_not_found naming the environments that do exist. */
  environment(project: ProjectRecord, name: string): Promise<EnvironmentRecord>;
  applyConfig(slug: string, text: string, options: { prune: boolean; actor?: string }): Promise<ApplyConfigResult>;
  configSource(slug: string): Promise<string>;
  /** The applied stagegate.yaml's `commitStatus:` block, secrets resolved from the environment. */
  commitStatusConfig(projectId: string): Promise<CommitStatusConfig | null>;
  /** The applied stagegate.yaml's `notifications:` channels, secrets left as references. Reads through `tx` when given. */
  notificationChannels(projectId: string, tx?: Queryable): Promise<NotificationChannel[]>;
  /** Set by features that act on an applied config: `configApplied` runs after its commit; true when it changed something. */
  hooks: { configApplied?: (project: ProjectRecord, config: ProjectConfig, actor: string) => Promise<boolean> };
}

export function createProjectsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  validateExecutor: ExecutorConfigValidator;
  audit?: AuditRecorder;
}): ProjectsService {
  const { db, clock } = deps;
  const hooks: ProjectsService["hooks"] = {};

  async function record(slug: string): Promise<ProjectRecord> {
    const project = await store.findProject(db, slug);
    if (!project) throw notFound("project_not_found", `Project "${slug}" does not exist`, { project: slug });
    return project;
  }

  async function toDto(project: ProjectRecord): Promise<Project> {
    const names = await store.listEnvironmentNames(db, [project.id]);
    return present(project, names.get(project.id) ?? []);
  }

  function present(project: ProjectRecord, environments: string[]): Project {
    return {
      slug: project.slug,
      name: project.name,
      repoUrl: project.repoUrl,
      environments,
      createdAt: project.createdAt,
      updatedAt: project.updatedAt,
    };
  }

  function newProject(slug: string, name: string, repoUrl: string | null): ProjectRecord {
    const at = clock.now();
    return { id: newId("prj", at.getTime()), slug, name, repoUrl, createdAt: at.toISOString(), updatedAt: at.toISOString() };
  }

  async function applyConfig(
    slug: string,
    text: string,
    options: { prune: boolean; actor?: string },
  ): Promise<ApplyConfigResult> {
    const config = parseProjectConfig(text, deps.validateExecutor);
    if (config.project !== undefined && config.project !== slug) {
      throw new DomainError(
        "invalid_config",
        `stagegate.yaml declares project "${config.project}" but was applied to "${slug}"`,
        {
          details: { errors: [{ path: "project", message: "does not match the project in the URL" }] },
        },
      );
    }
    const result = await db.transaction().execute(async (tx) => {
      let project = await store.findProject(tx, slug);
      if (!project) {
        project = newProject(slug, config.name ?? slug, config.repo ?? null);
        await store.insertProject(tx, project);
      }
      const changes = await applyEnvironments(tx, project, config, options.prune);
      const name = config.name ?? project.name;
      const repoUrl = config.repo ?? project.repoUrl;
      const projectChanged = name !== project.name || repoUrl !== project.repoUrl;
      await store.updateProject(tx, project.id, {
        name,
        repoUrl,
        configSource: text,
        configJson: JSON.stringify(config),
        updatedAt:
          projectChanged || changes.some((c) => c.change !== "unchanged") ? clock.now().toISOString() : project.updatedAt,
      });
      if (projectChanged || changes.some((c) => c.change !== "unchanged")) {
        await deps.audit?.append(tx, {
          actor: options.actor ?? "system",
          action: "project.config_applied",
          projectId: project.id,
          subject: { type: "project", id: project.slug },
          data: { changes: changes.filter((c) => c.change !== "unchanged"), prune: options.prune },
        });
      }
      return { project, changes, changed: projectChanged || changes.some((c) => c.change !== "unchanged") };
    });
    const flagsChanged = (await hooks.configApplied?.(result.project, config, options.actor ?? "system")) ?? false;
    return {
      project: await toDto(await record(result.project.slug)),
      changed: result.changed || flagsChanged,
      changes: result.changes,
    };
  }

  async function applyEnvironments(
    tx: Parameters<typeof store.listEnvironments>[0],
    project: ProjectRecord,
    config: ProjectConfig,
    prune: boolean,
  ) {
    const existing = new Map((await store.listEnvironments(tx, project.id)).map((env) => [env.name, env]));
    const at = clock.now().toISOString();
    const changes: ApplyConfigResult["changes"] = [];
    const removed = [...existing.values()].filter((env) => !config.environments.some((wanted) => wanted.name === env.name));
    for (const env of removed) {
      const deployments = await store.countDeployments(tx, env.id);
      const open = await store.countDeployments(tx, env.id, ["queued", "running", "pending_gates", "pending_approval"]);
      if (open > 0)
        throw conflict(
          "environment_in_use",
          `Environment "${env.name}" has a deployment in progress; wait for it or cancel it before removing the environment`,
          { environment: env.name },
        );
      if (deployments > 0 && !prune) {
        throw conflict(
          "environment_in_use",
          `Environment "${env.name}" has ${deployments} deployment(s); apply with --prune (?prune=true) to remove it and its history`,
          {
            environment: env.name,
            deployments,
          },
        );
      }
      await store.deleteEnvironment(tx, env.id);
      changes.push({ environment: env.name, change: "removed" });
    }
    for (const wanted of config.environments) {
      const current = existing.get(wanted.name);
      const next: EnvironmentRecord = { ...wanted, id: current?.id ?? newId("env"), projectId: project.id };
      const same =
        current !== undefined &&
        current.position === next.position &&
        current.requires === next.requires &&
        current.autoDeployBranch === next.autoDeployBranch &&
        JSON.stringify(current.spec) === JSON.stringify(next.spec);
      if (!same) await store.upsertEnvironment(tx, next, at, current !== undefined);
      changes.push({ environment: wanted.name, change: current === undefined ? "added" : same ? "unchanged" : "updated" });
    }
    return changes;
  }

  return {
    record,
    async recordById(id) {
      const project = await store.findProjectById(db, id);
      if (!project) throw notFound("project_not_found", `Project ${id} does not exist`);
      return project;
    },

    async create(input) {
      const project = newProject(input.slug, input.name, input.repoUrl ?? null);
      try {
        await store.insertProject(db, project);
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict("project_exists", `Project "${input.slug}" already exists`, { project: input.slug });
        throw error;
      }
      return present(project, []);
    },

    async list(page) {
      const rows = await store.listProjects(db, { limit: page.limit, after: page.cursor });
      const result = toPage(rows, page.limit, (p) => ({ at: p.slug, id: p.id }));
      const names = await store.listEnvironmentNames(
        db,
        result.items.map((p) => p.id),
      );
      return { items: result.items.map((p) => present(p, names.get(p.id) ?? [])), nextCursor: result.nextCursor };
    },

    async get(slug) {
      return toDto(await record(slug));
    },

    environments: (projectId) => store.listEnvironments(db, projectId),

    async environment(project, name) {
      const environments = await store.listEnvironments(db, project.id);
      const found = environments.find((env) => env.name === name);
      if (!found) {
        const known = environments.map((env) => env.name).join(", ") || "none yet; apply a stagegate.yaml";
        throw notFound(
          "environment_not_found",
          `Project "${project.slug}" has no environment "${name}" (environments: ${known})`,
          { environment: name },
        );
      }
      return found;
    },

    applyConfig,
    hooks,

    async commitStatusConfig(projectId) {
      const json = await store.findConfigJson(db, projectId);
      const config = json ? (JSON.parse(json) as ProjectConfig).commitStatus : undefined;
      return config ? { ...config, token: resolveSecret(config.token) } : null;
    },

    async notificationChannels(projectId, tx) {
      const json = await store.findConfigJson(tx ?? db, projectId);
      return json ? ((JSON.parse(json) as ProjectConfig).notifications ?? []) : [];
    },

    async configSource(slug) {
      const project = await record(slug);
      const source = await store.findConfigSource(db, project.id);
      if (source === null) throw notFound("not_found", `Project "${slug}" has no stagegate.yaml applied yet`);
      return source;
    },
  };
}

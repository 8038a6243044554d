import type { EnvironmentsTable, ProjectsTable, Queryable } from "../../db/schema.ts";
import type { Cursor } from "../../shared/pagination.ts";
import type { EnvironmentRecord, EnvironmentSpec, ProjectRecord } from "./projects.types.ts";

function toProject(row: ProjectsTable): ProjectRecord {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    repoUrl: row.repo_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toEnvironment(row: EnvironmentsTable): EnvironmentRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    position: row.position,
    requires: row.requires,
    autoDeployBranch: row.auto_deploy_branch,
    spec: JSON.parse(row.spec_json) as EnvironmentSpec,
  };
}

export async function insertProject(db: Queryable, project: ProjectRecord): Promise<void> {
  await db
    .insertInto("projects")
    .values({
      id: project.id,
      slug: project.slug,
      name: project.name,
      repo_url: project.repoUrl,
      config_source: null,
      config_json: null,
      created_at: project.createdAt,
      updated_at: project.updatedAt,
    })
    .execute();
}

export async function findProject(db: Queryable, slug: string): Promise<ProjectRecord | undefined> {
  const row = await db.selectFrom("projects").selectAll().where("slug", "=", slug).executeTakeFirst();
  return row ? toProject(row) : undefined;
}

export async function findProjectById(db: Queryable, id: string): Promise<ProjectRecord | undefined> {
  const row = await db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? toProject(row) : undefined;
}

/** Alphabetical by slug, `limit + 1` rows so the caller knows whether another page follows. */
export async function listProjects(db: Queryable, page: { limit: number; after: Cursor | undefined }): Promise<ProjectRecord[]> {
  let query = db
    .selectFrom("projects")
    .selectAll()
    .orderBy("slug")
    .limit(page.limit + 1);
  if (page.after) query = query.where("slug", ">", page.after.at);
  return (await query.execute()).map(toProject);
}

export async function updateProject(
  db: Queryable,
  id: string,
  fields: { name: string; repoUrl: string | null; configSource: string; configJson: string; updatedAt: string },
): Promise<void> {
  await db
    .updateTable("projects")
    .set({
      name: fields.name,
      repo_url: fields.repoUrl,
      config_source: fields.configSource,
      config_json: fields.configJson,
      updated_at: fields.updatedAt,
    })
    .where("id", "=", id)
    .execute();
}

export async function findConfigSource(db: Queryable, projectId: string): Promise<string | null> {
  const row = await db.selectFrom("projects").select("config_source").where("id", "=", projectId).executeTakeFirst();
  return row?.config_source ?? null;
}

export async function listEnvironments(db: Queryable, projectId: string): Promise<EnvironmentRecord[]> {
  const rows = await db.selectFrom("environments").selectAll().where("project_id", "=", projectId).orderBy("position").execute();
  return rows.map(toEnvironment);
}

export async function listEnvironmentNames(db: Queryable, projectIds: string[]): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>();
  if (projectIds.length === 0) return names;
  const rows = await db
    .selectFrom("environments")
    .select(["project_id", "name"])
    .where("project_id", "in", projectIds)
    .orderBy("position")
    .execute();
  for (const row of rows) names.set(row.project_id, [...(names.get(row.project_id) ?? []), row.name]);
  return names;
}

export async function upsertEnvironment(db: Queryable, env: EnvironmentRecord, at: string, exists: boolean): Promise<void> {
  const fields = {
    position: env.position,
    requires: env.requires,
    auto_deploy_branch: env.autoDeployBranch,
    spec_json: JSON.stringify(env.spec),
    updated_at: at,
  };
  if (exists) await db.updateTable("environments").set(fields).where("id", "=", env.id).execute();
  else
    await db
      .insertInto("environments")
      .values({ ...fields, id: env.id, project_id: env.projectId, name: env.name, created_at: at })
      .execute();
}

export async function deleteEnvironment(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom("environments").where("id", "=", id).execute();
}

export async function countDeployments(db: Queryable, environmentId: string, statuses?: string[]): Promise<number> {
  let query = db
    .selectFrom("deployments")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("environment_id", "=", environmentId);
  if (statuses) query = query.where("status", "in", statuses);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function findConfigJson(db: Queryable, projectId: string): Promise<string | null> {
  const row = await db.selectFrom("projects").select("config_json").where("id", "=", projectId).executeTakeFirst();
  return row?.config_json ?? null;
}

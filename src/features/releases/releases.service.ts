import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { EnqueueOptions } from "../../jobs/jobs.types.ts";
import type { CreateReleaseBody, PageOf, Release } from "../../shared/api.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import * as store from "./releases.store.ts";
import { AUTO_DEPLOY_JOB, type AutoDeployPayload, type ReleaseRecord } from "./releases.types.ts";

export interface ReleasesService {
  /** Creates the release, or returns the identical existing one (`created: false`); a different one under the same version is a conflict. */
  create(
    project: ProjectRecord,
    input: CreateReleaseBody,
    createdBy: string | null,
  ): Promise<{ release: Release; created: boolean }>;
  list(project: ProjectRecord, page: { limit: number; cursor: Cursor | undefined }): Promise<PageOf<Release>>;
  record(project: ProjectRecord, version: string): Promise<ReleaseRecord>;
  recordById(id: string): Promise<ReleaseRecord>;
  recordsByIds(ids: string[]): Promise<Map<string, ReleaseRecord>>;
}

export function presentRelease(release: ReleaseRecord): Release {
  return {
    version: release.version,
    commitSha: release.commitSha,
    branch: release.branch,
    artifactUrl: release.artifactUrl,
    artifactDigest: release.artifactDigest,
    notes: release.notes,
    createdBy: release.createdBy,
    createdAt: release.createdAt,
  };
}

const IMMUTABLE_FIELDS = ["commitSha", "branch", "artifactUrl", "artifactDigest", "notes"] as const;

function differences(existing: ReleaseRecord, wanted: ReleaseRecord): string[] {
  return IMMUTABLE_FIELDS.filter((field) => {
    const a = existing[field];
    const b = wanted[field];
    return field === "commitSha" ? a?.toLowerCase() !== b?.toLowerCase() : a !== b;
  });
}

export function createReleasesService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  enqueue: (tx: Queryable, job: EnqueueOptions) => Promise<string>;
  audit?: AuditRecorder;
}): ReleasesService {
  const { db, clock } = deps;

  async function existingOrConflict(project: ProjectRecord, wanted: ReleaseRecord): Promise<Release> {
    const existing = await store.findRelease(db, project.id, wanted.version);
    if (!existing) throw new Error(`release ${wanted.version} vanished after a unique violation`);
    const fields = differences(existing, wanted);
    if (fields.length > 0) {
      throw conflict(
        "release_conflict",
        `Release ${wanted.version} already exists with a different ${fields.join(", ")}; releases are immutable, use a new version`,
        {
          version: wanted.version,
          fields,
        },
      );
    }
    return presentRelease(existing);
  }

  return {
    async create(project, input, createdBy) {
      const at = clock.now();
      const release: ReleaseRecord = {
        id: newId("rel", at.getTime()),
        projectId: project.id,
        version: input.version,
        commitSha: input.commitSha.toLowerCase(),
        branch: input.branch,
        artifactUrl: input.artifactUrl ?? null,
        artifactDigest: input.artifactDigest ?? null,
        notes: input.notes ?? null,
        createdBy,
        createdAt: at.toISOString(),
      };
      if (await store.findRelease(db, project.id, release.version))
        return { release: await existingOrConflict(project, release), created: false };
      try {
        await db.transaction().execute(async (tx) => {
          await store.insertRelease(tx, release);
          const payload: AutoDeployPayload = { releaseId: release.id };
          await deps.enqueue(tx, { type: AUTO_DEPLOY_JOB, payload });
          await deps.audit?.append(tx, {
            actor: createdBy ?? "system",
            action: "release.created",
            projectId: project.id,
            subject: { type: "release", id: release.version },
            data: { commitSha: release.commitSha, branch: release.branch, artifactDigest: release.artifactDigest },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) return { release: await existingOrConflict(project, release), created: false };
        throw error;
      }
      return { release: presentRelease(release), created: true };
    },

    async list(project, page) {
      const rows = await store.listReleases(db, project.id, { limit: page.limit, before: page.cursor });
      const result = toPage(rows, page.limit, (r) => ({ at: r.createdAt, id: r.id }));
      return { items: result.items.map(presentRelease), nextCursor: result.nextCursor };
    },

    async record(project, version) {
      const release = await store.findRelease(db, project.id, version);
      if (!release) throw notFound("release_not_found", `Project "${project.slug}" has no release "${version}"`, { version });
      return release;
    },

    async recordById(id) {
      const release = await store.findReleaseById(db, id);
      if (!release) throw notFound("release_not_found", `Release ${id} does not exist`);
      return release;
    },

    async recordsByIds(ids) {
      const rows = await store.findReleasesByIds(db, [...new Set(ids)]);
      return new Map(rows.map((r) => [r.id, r]));
    },
  };
}

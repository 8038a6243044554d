import type { Kysely } from "kysely";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { invalid } from "../../shared/errors.ts";
import type { FlagManifest } from "../../shared/flags/flags.api.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import type { ReleasesService } from "../releases/releases.service.ts";
import type { FlagsService, StatePatch } from "./flags.service.ts";
import * as store from "./flags-releases.store.ts";

/** What the deployment runner knows about a deployment that just succeeded. */
export interface SucceededDeployment {
  id: string;
  projectId: string;
  environmentId: string;
  releaseId: string;
  kind: string;
}

/**
 * Flags that move with releases. A release carries a manifest (per environment, the flag states it needs); when a
 * deployment of it succeeds, `prepareDeploymentSucceeded` returns the step to run inside the deployment's own
 * transaction: apply the environment's part of the manifest as a new flag-set version. A successful `rollback`
 * deployment instead restores the version from before the release it rolls away from.
 *
 * Two phases because the runner's transaction must only see its own queries (SQLite has one connection): everything
 * that can be read beforehand is read in `prepare…`, and the returned function touches nothing but `tx`.
 */
export function createReleaseFlags(deps: {
  db: Kysely<Database>;
  clock: Clock;
  flags: FlagsService;
  projects: Pick<ProjectsService, "recordById" | "environments" | "environment">;
  releases: Pick<ReleasesService, "record">;
  audit: AuditRecorder;
}) {
  const { db, clock, flags } = deps;

  async function setManifest(
    project: ProjectRecord,
    version: string,
    manifest: FlagManifest,
    actor: string,
  ): Promise<FlagManifest> {
    const release = await deps.releases.record(project, version);
    const envs = await deps.projects.environments(project.id);
    for (const [envName, patches] of Object.entries(manifest.environments)) {
      if (!envs.some((e) => e.name === envName)) {
        throw invalid(`The manifest names environment "${envName}", which project "${project.slug}" does not have`, {
          environment: envName,
        });
      }
      for (const key of Object.keys(patches)) await flags.get(project, key);
    }
    await db.transaction().execute(async (tx) => {
      await store.upsertManifest(tx, {
        releaseId: release.id,
        projectId: project.id,
        manifest,
        createdBy: actor,
        createdAt: clock.now().toISOString(),
      });
      await deps.audit.append(tx, {
        actor,
        action: "flag_manifest.saved",
        projectId: project.id,
        subject: { type: "release", id: version },
        data: { environments: Object.keys(manifest.environments) },
      });
    });
    return manifest;
  }

  async function getManifest(project: ProjectRecord, version: string): Promise<FlagManifest> {
    const release = await deps.releases.record(project, version);
    return ((await store.findManifest(db, release.id)) as FlagManifest | undefined) ?? { environments: {} };
  }

  async function prepareDeploymentSucceeded(d: SucceededDeployment): Promise<((tx: Queryable) => Promise<void>) | undefined> {
    const project = await deps.projects.recordById(d.projectId);
    const env = (await deps.projects.environments(d.projectId)).find((e) => e.id === d.environmentId);
    if (!env) return undefined;
    const record = async (tx: Queryable, versionBefore: number, versionAfter: number | undefined) => {
      if (versionAfter === undefined) return;
      await store.insertApplication(tx, {
        deploymentId: d.id,
        environmentId: env.id,
        releaseId: d.releaseId,
        kind: d.kind,
        versionBefore,
        versionAfter,
        createdAt: clock.now().toISOString(),
      });
    };
    if (d.kind === "rollback") {
      const last = await store.lastApplication(db, env.id);
      // Only undo what the release being rolled away from applied.
      if (!last || last.releaseId === d.releaseId || last.kind === "rollback") return undefined;
      return async (tx) => {
        const before = await flags.currentVersionIn(tx, env.id);
        const after = await flags.restoreIn(tx, {
          project,
          env,
          version: last.versionBefore,
          actor: "system",
          reason: `rollback: restored version ${last.versionBefore} from before the rolled-back release`,
        });
        await record(tx, before, after);
      };
    }
    const manifest = (await store.findManifest(db, d.releaseId)) as FlagManifest | undefined;
    const patches = manifest?.environments[env.name];
    if (!patches || Object.keys(patches).length === 0) return undefined;
    return async (tx) => {
      const before = await flags.currentVersionIn(tx, env.id);
      const after = await flags.applyIn(tx, {
        project,
        env,
        patches: patches as Record<string, StatePatch>,
        actor: "system",
        reason: `release deployed (deployment ${d.id})`,
      });
      await record(tx, before, after);
    };
  }

  return { setManifest, getManifest, prepareDeploymentSucceeded };
}

export type ReleaseFlags = ReturnType<typeof createReleaseFlags>;

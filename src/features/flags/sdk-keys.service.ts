import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { notFound } from "../../shared/errors.ts";
import type { CreatedSdkKey, SdkKeyInfo } from "../../shared/flags/flags.api.ts";
import { hmacSha256Hex, newSecret, safeEqual, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import type { ProjectRecord } from "../projects/projects.types.ts";
import type { SdkKeyRecord, SdkScope } from "./flags.types.ts";
import * as store from "./sdk-keys.store.ts";

const CACHE_MS = 5_000;

/** Why an SDK key was refused: OFREP answers 401 (no or unknown key) or 403 (a revoked key) without a body. */
export type SdkAuthResult = { ok: true; scope: SdkScope } | { ok: false; status: 401 | 403 };

export interface SdkKeysService {
  create(project: ProjectRecord, env: string, name: string, actor: string): Promise<CreatedSdkKey>;
  list(project: ProjectRecord): Promise<SdkKeyInfo[]>;
  revoke(project: ProjectRecord, id: string, actor: string): Promise<void>;
  authenticate(secret: string | undefined): Promise<SdkAuthResult>;
  /** A URL query that lets a header-less EventSource open the change stream: `key`, `exp` (unix s), `sig`. */
  streamQuery(scope: SdkScope, ttlSeconds: number): string;
  verifyStreamQuery(query: { key?: string; exp?: string; sig?: string }): Promise<SdkAuthResult>;
}

export function createSdkKeysService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "environment" | "environments">;
  audit: AuditRecorder;
}): SdkKeysService {
  const { db, clock } = deps;
  // A key seen in the last few seconds is not looked up again; revocation in this process clears the cache.
  const recent = new Map<string, { key: SdkKeyRecord | undefined; until: number }>();

  async function lookup(hash: string): Promise<SdkKeyRecord | undefined> {
    const now = Date.now();
    const hit = recent.get(hash);
    if (hit && hit.until > now) return hit.key;
    const key = await store.findSdkKeyByHash(db, hash);
    if (recent.size >= 10_000) recent.clear();
    recent.set(hash, { key, until: now + CACHE_MS });
    return key;
  }

  function toScope(key: SdkKeyRecord): SdkAuthResult {
    if (key.revokedAt !== null) return { ok: false, status: 403 };
    return {
      ok: true,
      scope: { keyId: key.id, keyHash: key.keyHash, projectId: key.projectId, environmentId: key.environmentId },
    };
  }

  async function info(project: ProjectRecord, key: SdkKeyRecord): Promise<SdkKeyInfo> {
    const envs = await deps.projects.environments(project.id);
    return {
      id: key.id,
      name: key.name,
      environment: envs.find((e) => e.id === key.environmentId)?.name ?? key.environmentId,
      createdAt: key.createdAt,
      createdBy: key.createdBy,
      revokedAt: key.revokedAt,
    };
  }

  return {
    async create(project, envName, name, actor) {
      const env = await deps.projects.environment(project, envName);
      const secret = newSecret("sgf");
      const record: SdkKeyRecord = {
        id: newId("sdk", clock.now().getTime()),
        projectId: project.id,
        environmentId: env.id,
        name,
        keyHash: sha256Hex(secret),
        createdBy: actor,
        createdAt: clock.now().toISOString(),
        revokedAt: null,
      };
      await db.transaction().execute(async (tx) => {
        await store.insertSdkKey(tx, record);
        await deps.audit.append(tx, {
          actor,
          action: "flag_sdk_key.created",
          projectId: project.id,
          subject: { type: "flag_sdk_key", id: record.id },
          data: { name, environment: env.name },
        });
      });
      return { ...(await info(project, record)), key: secret };
    },
    async list(project) {
      const keys = await store.listSdkKeys(db, project.id);
      return Promise.all(keys.map((key) => info(project, key)));
    },
    async revoke(project, id, actor) {
      const key = await store.findSdkKey(db, id);
      if (!key || key.projectId !== project.id) throw notFound("not_found", `SDK key ${id} does not exist in "${project.slug}"`);
      await db.transaction().execute(async (tx) => {
        await store.revokeSdkKey(tx, id, clock.now().toISOString());
        await deps.audit.append(tx, {
          actor,
          action: "flag_sdk_key.revoked",
          projectId: project.id,
          subject: { type: "flag_sdk_key", id },
          data: { name: key.name },
        });
      });
      recent.clear();
    },
    async authenticate(secret) {
      if (secret === undefined || secret.length === 0 || secret.length > 200) return { ok: false, status: 401 };
      const key = await lookup(sha256Hex(secret));
      return key ? toScope(key) : { ok: false, status: 401 };
    },
    streamQuery(scope, ttlSeconds) {
      const exp = Math.floor(clock.now().getTime() / 1000) + ttlSeconds;
      // Signed with the key's hash: stateless across replicas, and revoking the key ends the stream's validity too.
      const sig = hmacSha256Hex(scope.keyHash, `${scope.keyId}.${exp}`);
      return new URLSearchParams({ key: scope.keyId, exp: String(exp), sig }).toString();
    },
    async verifyStreamQuery(query) {
      if (!query.key || !query.exp || !query.sig || !/^\d{1,12}$/.test(query.exp)) return { ok: false, status: 401 };
      if (Number(query.exp) * 1000 < clock.now().getTime()) return { ok: false, status: 401 };
      const key = await store.findSdkKey(db, query.key);
      if (!key || !safeEqual(hmacSha256Hex(key.keyHash, `${key.id}.${query.exp}`), query.sig)) return { ok: false, status: 401 };
      return toScope(key);
    },
  };
}

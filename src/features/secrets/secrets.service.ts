import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { errorMessage, invalid, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { resolveSecrets as resolveEnvReferences } from "../../shared/secrets.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import { type LogSink, TerminalError } from "../deployments/executors/executor.types.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { decryptSecret, encryptSecret, type SecretKeyring } from "./secret.cipher.ts";
import { maskingSink } from "./secret.mask.ts";
import * as store from "./secrets.store.ts";
import type { SecretInfo } from "./secrets.types.ts";

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_SECRET_BYTES = 64 * 1024;
const REFERENCE = /\$\{secret:([A-Za-z_][A-Za-z0-9_]{0,127})\}/g;

export interface SecretsDeps {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record" | "recordById" | "environment">;
  audit?: AuditRecorder;
  /** Loaded on first use, so a server that never uses secrets never creates a key file. */
  keyring: () => SecretKeyring;
}

export interface SecretsService {
  set(input: { project: string; environment?: string; name: string; value: string; actor: string }): Promise<SecretInfo>;
  list(project: string): Promise<SecretInfo[]>;
  remove(input: { project: string; environment?: string; name: string; actor: string }): Promise<void>;
  /**
   * Replaces `${secret:NAME}` (and `${env:NAME}`) in a step's config with the values, and wraps the log so those
   * values never reach it. An environment's own secret wins over the project-wide one.
   */
  resolveStep(input: {
    projectId: string;
    environment: string;
    config: unknown;
    log: LogSink;
  }): Promise<{ config: unknown; log: LogSink }>;
}

function present(meta: store.SecretMeta): SecretInfo {
  return {
    name: meta.name,
    environment: meta.environment === "" ? null : meta.environment,
    version: meta.version,
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    updatedBy: meta.updatedBy,
  };
}

export function createSecretsService(deps: SecretsDeps): SecretsService {
  const { db, clock } = deps;

  async function scopeOf(project: string, environment: string | undefined) {
    const record = await deps.projects.record(project);
    if (environment !== undefined) await deps.projects.environment(record, environment);
    return { projectId: record.id, environment: environment ?? "" };
  }

  function checkName(name: string): void {
    if (!SECRET_NAME.test(name)) {
      throw invalid(`"${name}" is not a secret name: use letters, digits and _ (not first), up to 128 characters`, { name });
    }
  }

  return {
    async set(input) {
      checkName(input.name);
      if (Buffer.byteLength(input.value, "utf8") > MAX_SECRET_BYTES)
        throw invalid(`a secret value may be at most ${MAX_SECRET_BYTES} bytes`);
      if (input.value === "") throw invalid("the secret value is empty");
      const scope = { ...(await scopeOf(input.project, input.environment)), name: input.name };
      const { ciphertext, keyId } = encryptSecret(deps.keyring(), scope, input.value);
      const at = clock.now().toISOString();
      const saved = await db.transaction().execute(async (tx) => {
        const existing = await store.findSecret(tx, scope);
        const version = (existing?.version ?? 0) + 1;
        if (existing) {
          await store.updateSecret(tx, existing.id, {
            ciphertext,
            key_id: keyId,
            version,
            updated_at: at,
            updated_by: input.actor,
          });
        } else {
          await store.insertSecret(tx, {
            id: newId("sec"),
            project_id: scope.projectId,
            environment: scope.environment,
            name: scope.name,
            ciphertext,
            key_id: keyId,
            version,
            created_at: at,
            updated_at: at,
            updated_by: input.actor,
          });
        }
        // Never the value, nor anything derived from it.
        await deps.audit?.append(tx, {
          actor: input.actor,
          action: existing ? "secret.updated" : "secret.created",
          projectId: scope.projectId,
          subject: { type: "secret", id: scope.environment ? `${scope.environment}/${scope.name}` : scope.name },
          data: { name: scope.name, environment: scope.environment || null, version },
        });
        return store.findSecret(tx, scope);
      });
      if (!saved) throw new Error(`secret ${scope.name} vanished while being saved`);
      return present(saved);
    },

    async list(project) {
      const record = await deps.projects.record(project);
      return (await store.listSecrets(db, record.id)).map(present);
    },

    async remove(input) {
      checkName(input.name);
      const scope = { ...(await scopeOf(input.project, input.environment)), name: input.name };
      await db.transaction().execute(async (tx) => {
        const existing = await store.findSecret(tx, scope);
        if (!existing) {
          const where = scope.environment ? ` for environment "${scope.environment}"` : "";
          throw notFound("not_found", `Project "${input.project}" has no secret "${input.name}"${where}`, {
            name: input.name,
            environment: scope.environment || null,
          });
        }
        await store.deleteSecret(tx, existing.id);
        await deps.audit?.append(tx, {
          actor: input.actor,
          action: "secret.deleted",
          projectId: scope.projectId,
          subject: { type: "secret", id: scope.environment ? `${scope.environment}/${scope.name}` : scope.name },
          data: { name: scope.name, environment: scope.environment || null, version: existing.version },
        });
      });
    },

    async resolveStep(input) {
      const config = resolveEnvReferences(input.config);
      const names = [...new Set(referencesIn(config))];
      if (names.length === 0) return { config, log: input.log };
      const rows = await store.secretsFor(db, { projectId: input.projectId, environment: input.environment, names });
      const values = new Map<string, string>();
      const keyring = deps.keyring();
      for (const name of names) {
        const row = rows.find((r) => r.name === name && r.environment === input.environment) ?? rows.find((r) => r.name === name);
        if (!row) {
          const project = await deps.projects.recordById(input.projectId);
          throw new TerminalError(
            `the step's config uses \${secret:${name}}, which is not set for project "${project.slug}" ` +
              `(environment "${input.environment}"); set it with: stagegate secret set -p ${project.slug} ${name}`,
          );
        }
        try {
          values.set(name, decryptSecret(keyring, row, row.ciphertext));
        } catch (error) {
          throw new TerminalError(errorMessage(error), { cause: error });
        }
      }
      return {
        config: substitute(config, values),
        log: maskingSink(input.log, [...values.values()]),
      };
    },
  };
}

function referencesIn(value: unknown): string[] {
  if (typeof value === "string") return [...value.matchAll(REFERENCE)].map((match) => match[1] ?? "");
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(referencesIn);
  return [];
}

function substitute(value: unknown, values: Map<string, string>): unknown {
  if (typeof value === "string") return value.replace(REFERENCE, (match, name: string) => values.get(name) ?? match);
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]));
  }
  return value;
}

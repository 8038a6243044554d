import type { FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { DomainError } from "../shared/errors.ts";
import { sha256Hex } from "../shared/hashing.ts";
import { findResponse, saveResponse } from "./idempotency.store.ts";

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Honours `Idempotency-Key` on a create: the first response for a key is stored (per token and route) and replayed for
 * retries with the same body; the same key with a different body is refused with 422.
 */
export async function idempotent<T>(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<{ statusCode: number; body: T }>,
): Promise<T> {
  const header = request.headers["idempotency-key"];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined) {
    const result = await run();
    reply.code(result.statusCode);
    return result.body;
  }
  if (!KEY_PATTERN.test(key))
    throw new DomainError("invalid_request", "Idempotency-Key must be 1-200 characters of letters, digits, . _ : -");
  const actor = request.actor;
  // Per caller: a token, or a person's browser session (whose tokenId is null).
  const who = actor ? `${actor.kind}:${actor.id}:${actor.tokenId ?? "session"}` : "anonymous";
  const scope = `${who} ${request.routeOptions.method} ${request.routeOptions.url}`;
  const fingerprint = sha256Hex(JSON.stringify([request.params, request.body ?? null]));
  const replay = async (stored: { fingerprint: string; statusCode: number; body: unknown }) => {
    if (stored.fingerprint !== fingerprint) {
      throw new DomainError(
        "idempotency_key_reuse",
        "This Idempotency-Key was already used with a different request; use a new key",
        { details: { key } },
      );
    }
    reply.code(stored.statusCode).header("idempotent-replayed", "true");
    return stored.body as T;
  };
  const existing = await findResponse(db, scope, key);
  if (existing) return replay(existing);
  const result = await run();
  const saved = await saveResponse(db, {
    scope,
    key,
    fingerprint,
    statusCode: result.statusCode,
    body: result.body,
    at: new Date().toISOString(),
  });
  if (!saved) {
    const winner = await findResponse(db, scope, key);
    if (winner) return replay(winner);
  }
  reply.code(result.statusCode);
  return result.body;
}

import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { newSecret, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import { countTokens, findTokenByHash, insertToken, touchToken } from "./tokens.store.ts";
import type { Actor, ApiToken } from "./tokens.types.ts";

const TOUCH_EVERY_MS = 60_000;
const CACHE_MS = 5_000;

export interface TokensService {
  create(input: {
    name: string;
    expiresInDays?: number;
    createdBy: string | null;
    secret?: string;
  }): Promise<ApiToken & { token: string }>;
  authenticate(secret: string | undefined): Promise<Actor>;
  /** Creates the first admin token when there is none; returns its secret (shown once) or undefined. */
  bootstrapAdmin(secret?: string): Promise<string | undefined>;
}

export function createTokensService(deps: { db: Kysely<Database>; clock: Clock }): TokensService {
  const { db, clock } = deps;
  // Last-used time is advisory: write it at most once a minute per token, not on every request.
  const lastTouched = new Map<string, number>();
  // A token seen in the last few seconds is not looked up again: one query less on every request. Revocation
  // (with roles, later) must clear this cache; other replicas notice within CACHE_MS.
  const recent = new Map<string, { token: Awaited<ReturnType<typeof findTokenByHash>>; until: number }>();
  async function lookup(hash: string, now: number) {
    const cached = recent.get(hash);
    if (cached && cached.until > now) return cached.token;
    const token = await findTokenByHash(db, hash);
    if (recent.size >= 1000) recent.clear();
    recent.set(hash, { token, until: now + CACHE_MS });
    return token;
  }

  async function create(input: { name: string; expiresInDays?: number; createdBy: string | null; secret?: string }) {
    const now = clock.now();
    const token = input.secret ?? newSecret("sg");
    const record: ApiToken = {
      id: newId("tok", now.getTime()),
      name: input.name,
      role: "admin",
      createdBy: input.createdBy,
      createdAt: now.toISOString(),
      expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null,
    };
    await insertToken(db, { ...record, tokenHash: sha256Hex(token) });
    return { ...record, token };
  }

  return {
    create,

    async authenticate(secret) {
      if (!secret) throw new DomainError("unauthorized", "Send an API token: Authorization: Bearer <token>");
      const now = clock.now();
      const found = await lookup(sha256Hex(secret), now.getTime());
      if (!found || found.revokedAt) throw new DomainError("unauthorized", "The API token is not valid (unknown or revoked)");
      if (found.expiresAt && found.expiresAt <= now.toISOString()) {
        throw new DomainError("unauthorized", `The API token expired at ${found.expiresAt}; create a new one`);
      }
      const touched = lastTouched.get(found.id) ?? 0;
      if (now.getTime() - touched > TOUCH_EVERY_MS) {
        lastTouched.set(found.id, now.getTime());
        await touchToken(db, found.id, now.toISOString());
      }
      return { tokenId: found.id, name: found.name, role: found.role };
    },

    async bootstrapAdmin(secret) {
      if ((await countTokens(db)) > 0) return undefined;
      const created = await create({ name: "admin (bootstrap)", createdBy: null, ...(secret ? { secret } : {}) });
      return created.token;
    },
  };
}

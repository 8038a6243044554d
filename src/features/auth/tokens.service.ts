import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { PageOf } from "../../shared/api.ts";
import type { CreatedToken, CreateTokenBody, TokenInfo } from "../../shared/auth.api.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError, invalid, notFound } from "../../shared/errors.ts";
import { newSecret, sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import { type Actor, type Role, roleRank } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { personalActor, serviceActor } from "./token.actor.ts";
import * as store from "./tokens.store.ts";
import type { ApiToken } from "./tokens.types.ts";
import type { UsersService } from "./users.service.ts";
import { findUserById } from "./users.store.ts";

const TOUCH_EVERY_MS = 60_000;
const CACHE_MS = 5_000;

export interface TokensService {
  /** A token for the caller (personal) or, by a global admin, a service token; the secret is in the result only. */
  create(input: CreateTokenBody, actor: Actor): Promise<CreatedToken>;
  /** The caller's own tokens; every token for a global admin. Never the secrets. */
  list(page: { limit: number; cursor: Cursor | undefined }, actor: Actor): Promise<PageOf<TokenInfo>>;
  /** By its owner or a global admin; revoking twice is fine. */
  revoke(id: string, actor: Actor): Promise<void>;
  authenticate(secret: string | undefined): Promise<Actor>;
  /** Creates the first admin token when there is none; returns its secret (shown once) or undefined. */
  bootstrapAdmin(secret?: string): Promise<string | undefined>;
  /** Drops cached identities: roles or tokens changed. */
  forgetCached(): void;
}

function unauthorized(message: string): DomainError {
  return new DomainError("unauthorized", message);
}

export function createTokensService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  users: Pick<UsersService, "actorForUser">;
  projects: Pick<ProjectsService, "record" | "recordById">;
  audit?: AuditRecorder;
}): TokensService {
  const { db, clock } = deps;
  // Last-used time is advisory: write it at most once a minute per token, not on every request.
  const lastTouched = new Map<string, number>();
  // A token seen in the last few seconds is not looked up again: one query less on every request. Revocation and role
  // changes clear this cache in this process; other replicas notice within CACHE_MS.
  const recent = new Map<string, { token: ApiToken | undefined; actor: Actor | undefined; until: number }>();

  async function lookup(hash: string, now: number) {
    const cached = recent.get(hash);
    if (cached && cached.until > now) return cached;
    const entry = { token: await store.findTokenByHash(db, hash), actor: undefined, until: now + CACHE_MS };
    if (recent.size >= 1000) recent.clear();
    recent.set(hash, entry);
    return entry;
  }

  async function projectIds(slugs: string[] | undefined): Promise<string[] | null> {
    if (slugs === undefined) return null;
    const ids: string[] = [];
    for (const slug of new Set(slugs)) ids.push((await deps.projects.record(slug)).id);
    return ids;
  }

  /**
   * A token made with a personal token may not do more than that token: same role or lower (its role when none is
   * asked for), same projects or fewer.
   */
  async function withinCallerToken(actor: Actor, asked: { role: Role | undefined; scope: string[] | null }) {
    if (actor.via !== "token" || actor.tokenId === null) return { role: asked.role ?? "admin", scope: asked.scope };
    const caller = await store.findTokenById(db, actor.tokenId);
    if (!caller) throw unauthorized("The API token used for this request no longer exists");
    const role = asked.role ?? caller.role;
    if (roleRank(role) > roleRank(caller.role)) {
      throw new DomainError("forbidden", `A token made with this token may have role ${caller.role} at most, not ${role}`);
    }
    const allowed = caller.projectIds;
    if (allowed === null) return { role, scope: asked.scope };
    if (asked.scope === null) return { role, scope: allowed };
    if (asked.scope.some((id) => !allowed.includes(id))) {
      throw new DomainError("forbidden", "A token made with this token may only cover that token's projects");
    }
    return { role, scope: asked.scope };
  }

  async function insert(token: ApiToken, secret: string): Promise<CreatedToken> {
    await db.transaction().execute(async (tx) => {
      await store.insertToken(tx, { ...token, tokenHash: sha256Hex(secret) });
      await deps.audit?.append(tx, {
        actor: token.createdBy ?? "system",
        action: "token.created",
        subject: { type: "token", id: token.id },
        data: {
          name: token.name,
          kind: token.kind,
          role: token.role,
          projects: token.projectIds,
          globalAdmin: token.globalAdmin,
          expiresAt: token.expiresAt,
        },
      });
    });
    return {
      id: token.id,
      name: token.name,
      kind: token.kind,
      role: token.role,
      projects: token.projectIds === null ? null : await slugsOf(token.projectIds),
      globalAdmin: token.globalAdmin,
      expiresAt: token.expiresAt,
      createdAt: token.createdAt,
      token: secret,
    };
  }

  function newToken(
    fields: Pick<ApiToken, "name" | "kind" | "role" | "userId" | "projectIds" | "globalAdmin" | "createdBy">,
    days?: number,
  ) {
    const now = clock.now();
    const token: ApiToken = {
      ...fields,
      id: newId("tok", now.getTime()),
      createdAt: now.toISOString(),
      expiresAt: days ? new Date(now.getTime() + days * 86_400_000).toISOString() : null,
      revokedAt: null,
      lastUsedAt: null,
    };
    return token;
  }

  async function slugsOf(ids: string[]): Promise<string[]> {
    const slugs: string[] = [];
    for (const id of ids) {
      try {
        slugs.push((await deps.projects.recordById(id)).slug);
      } catch (error) {
        // A deleted project: the token no longer reaches it, so it is not listed.
        if (!(error instanceof DomainError && error.code === "project_not_found")) throw error;
      }
    }
    return slugs;
  }

  async function present(token: ApiToken): Promise<TokenInfo> {
    const owner = token.userId === null ? null : ((await findUserById(db, token.userId))?.username ?? null);
    return {
      id: token.id,
      name: token.name,
      kind: token.kind,
      role: token.role,
      projects: token.projectIds === null ? null : await slugsOf(token.projectIds),
      globalAdmin: token.globalAdmin,
      owner,
      createdBy: token.createdBy,
      createdAt: token.createdAt,
      expiresAt: token.expiresAt,
      lastUsedAt: token.lastUsedAt,
      revokedAt: token.revokedAt,
    };
  }

  async function toActor(token: ApiToken): Promise<Actor> {
    if (token.kind === "service") return serviceActor(token);
    if (token.userId === null) throw unauthorized(`The personal API token "${token.name}" has no user; create a new one`);
    return personalActor(token, await deps.users.actorForUser(token.userId, "token"));
  }

  return {
    async create(input, actor) {
      const kind = input.kind ?? (actor.kind === "user" ? "personal" : "service");
      const requested = await projectIds(input.projects);
      if (kind === "service") {
        const role = input.role ?? "admin";
        if (!actor.globalAdmin) {
          throw new DomainError(
            "forbidden",
            "Only a global admin may create service tokens; create a personal token (kind: personal)",
          );
        }
        if (input.globalAdmin && (role !== "admin" || requested !== null)) {
          throw invalid("A global admin token has role admin and no project list", { field: "globalAdmin" });
        }
        const token = newToken(
          {
            name: input.name,
            kind,
            role,
            userId: null,
            projectIds: requested,
            globalAdmin: input.globalAdmin ?? false,
            createdBy: actor.name,
          },
          input.expiresInDays,
        );
        return insert(token, newSecret("sg"));
      }
      if (actor.kind !== "user") {
        throw invalid("A personal token belongs to a user: sign in to create one, or ask for kind service", { field: "kind" });
      }
      if (input.globalAdmin)
        throw invalid("globalAdmin is for service tokens; a personal token has its user's rights", { field: "globalAdmin" });
      const { role, scope } = await withinCallerToken(actor, { role: input.role, scope: requested });
      const token = newToken(
        { name: input.name, kind, role, userId: actor.id, projectIds: scope, globalAdmin: false, createdBy: actor.name },
        input.expiresInDays,
      );
      return insert(token, newSecret("sg"));
    },

    async list(page, actor) {
      if (!actor.globalAdmin && actor.kind !== "user") {
        throw new DomainError("forbidden", "Only a global admin may list service tokens");
      }
      const rows = await store.listTokens(db, {
        limit: page.limit,
        after: page.cursor,
        ...(actor.globalAdmin ? {} : { userId: actor.id }),
      });
      const { items, nextCursor } = toPage(rows, page.limit, (token) => ({ at: token.createdAt, id: token.id }));
      return { items: await Promise.all(items.map(present)), nextCursor };
    },

    async revoke(id, actor) {
      const token = await store.findTokenById(db, id);
      const mine = token !== undefined && actor.kind === "user" && token.userId === actor.id;
      if (!token || !(mine || actor.globalAdmin)) throw notFound("token_not_found", `There is no token ${id} of yours`, { id });
      if (token.revokedAt === null) {
        await db.transaction().execute(async (tx) => {
          await store.revokeToken(tx, id, clock.now().toISOString());
          await deps.audit?.append(tx, {
            actor: actor.name,
            action: "token.revoked",
            subject: { type: "token", id },
            data: { name: token.name, kind: token.kind },
          });
        });
      }
      recent.clear();
    },

    async authenticate(secret) {
      if (!secret) throw unauthorized("Send an API token (Authorization: Bearer <token>) or sign in");
      const now = clock.now();
      const entry = await lookup(sha256Hex(secret), now.getTime());
      const token = entry.token;
      if (!token) throw unauthorized("The API token is not valid: no such token");
      if (token.revokedAt)
        throw unauthorized(`The API token "${token.name}" was revoked at ${token.revokedAt}; create a new one`);
      if (token.expiresAt && token.expiresAt <= now.toISOString()) {
        throw unauthorized(`The API token "${token.name}" expired at ${token.expiresAt}; create a new one`);
      }
      entry.actor ??= await toActor(token);
      const touched = lastTouched.get(token.id) ?? 0;
      if (now.getTime() - touched > TOUCH_EVERY_MS) {
        lastTouched.set(token.id, now.getTime());
        await store.touchToken(db, token.id, now.toISOString());
      }
      return entry.actor;
    },

    async bootstrapAdmin(secret) {
      if ((await store.countTokens(db)) > 0) return undefined;
      const token = newToken({
        name: "admin (bootstrap)",
        kind: "service",
        role: "admin",
        userId: null,
        projectIds: null,
        globalAdmin: true,
        createdBy: null,
      });
      return (await insert(token, secret ?? newSecret("sg"))).token;
    },

    forgetCached() {
      recent.clear();
    },
  };
}

import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { PageOf } from "../../shared/api.ts";
import type { CreateUserBody, Member, SetMemberBody, User } from "../../shared/auth.api.ts";
import type { Clock } from "../../shared/clock.ts";
import { conflict, DomainError, invalid, notFound } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { type Cursor, toPage } from "../../shared/pagination.ts";
import type { Actor, Role } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { DEFAULT_SCRYPT, hashPassword, needsRehash, type ScryptParams, verifyPassword } from "./password.hasher.ts";
import { deleteSessionsOfUser } from "./sessions.store.ts";
import * as store from "./users.store.ts";
import type { UserRecord } from "./users.types.ts";

export const PASSWORD_MIN_LENGTH = 12;

export interface UsersService {
  /** Global admins only (or `actor` null: the server itself, at bootstrap). */
  createUser(input: CreateUserBody, actor: Actor | null): Promise<User>;
  listUsers(page: { limit: number; cursor: Cursor | undefined }, actor: Actor): Promise<PageOf<User>>;
  /** The user themselves or a global admin. */
  setPassword(input: { username: string; password: string }, actor: Actor): Promise<void>;
  /** Adds the user to the project or changes their role there (audited as `role.granted` / `role.changed`). */
  setMember(slug: string, input: SetMemberBody, actor?: Actor | null): Promise<Member>;
  removeMember(slug: string, username: string, actor?: Actor | null): Promise<void>;
  /**
   * Global admins: a disabled user can no longer sign in, their sessions end at once and their personal tokens stop
   * working (they come back on `enable`, sessions do not). Nobody disables themselves.
   */
  setDisabled(input: { username: string; disabled: boolean }, actor: Actor): Promise<User>;
  listMembers(slug: string): Promise<{ items: Member[] }>;
  /** Who the user is on every project, as their memberships say; `unauthorized` when the user is gone or disabled. */
  actorForUser(userId: string, via: Actor["via"]): Promise<Actor>;
  /** The same for a user already loaded (see `activeUser`). */
  actorOf(user: UserRecord, via: Actor["via"]): Promise<Actor>;
  /** The user behind an id, enabled; `unauthorized` otherwise. */
  activeUser(userId: string): Promise<UserRecord>;
  /** The enabled user whose password this is, or undefined; takes as long for an unknown user as for a wrong password. */
  checkPassword(username: string, password: string): Promise<UserRecord | undefined>;
  /** Creates `admin` (global admin) with `password` when there is no user yet; true when it did. */
  bootstrapAdmin(password: string | undefined): Promise<boolean>;
}

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function presentUser(user: UserRecord): User {
  return {
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    globalAdmin: user.globalAdmin,
    disabled: user.disabled,
    createdAt: user.createdAt,
  };
}

function requireGlobalAdmin(actor: Actor | null, what: string): void {
  if (actor !== null && !actor.globalAdmin) {
    throw new DomainError("forbidden", `Only a global admin may ${what}; you are signed in as "${actor.name}"`);
  }
}

function checkPasswordRules(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw invalid(`The password must have at least ${PASSWORD_MIN_LENGTH} characters`, { field: "password" });
  }
}

export function createUsersService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record">;
  /** Called when roles change, so cached token identities are rebuilt. */
  onRolesChanged: () => void;
  scrypt?: ScryptParams;
  audit?: AuditRecorder;
}): UsersService {
  const { db, clock } = deps;
  const scrypt = deps.scrypt ?? DEFAULT_SCRYPT;
  // Compared against when the username is unknown, so a wrong username costs as much time as a wrong password.
  let decoy: Promise<string> | undefined;

  async function audit(tx: Queryable, event: Parameters<AuditRecorder["append"]>[1]): Promise<void> {
    await deps.audit?.append(tx, event);
  }

  async function userNamed(username: string): Promise<UserRecord> {
    const user = await store.findUserByUsername(db, normalizeUsername(username));
    if (!user) throw notFound("user_not_found", `There is no user "${username}"`, { username });
    return user;
  }

  async function activeUser(userId: string): Promise<UserRecord> {
    const user = await store.findUserById(db, userId);
    if (!user) throw new DomainError("unauthorized", "The account no longer exists; sign in again");
    if (user.disabled) throw new DomainError("unauthorized", `The account "${user.username}" is disabled; ask an admin`);
    return user;
  }

  async function actorOf(user: UserRecord, via: Actor["via"]): Promise<Actor> {
    const projectRoles: Record<string, Role> = {};
    for (const membership of await store.membershipsOfUser(db, user.id)) projectRoles[membership.projectId] = membership.role;
    return {
      kind: "user",
      id: user.id,
      name: user.username,
      tokenId: null,
      via,
      globalAdmin: user.globalAdmin,
      projectRoles,
      allProjects: null,
      groups: user.groups,
    };
  }

  async function createUser(input: CreateUserBody, actor: Actor | null): Promise<User> {
    requireGlobalAdmin(actor, "create users");
    if (input.password !== undefined) checkPasswordRules(input.password);
    const now = clock.now();
    const user: UserRecord = {
      id: newId("usr", now.getTime()),
      username: normalizeUsername(input.username),
      displayName: input.displayName ?? null,
      email: input.email ?? null,
      passwordHash: input.password === undefined ? null : await hashPassword(input.password, scrypt),
      globalAdmin: input.globalAdmin ?? false,
      disabled: false,
      createdAt: now.toISOString(),
      oidc: null,
      groups: [],
    };
    try {
      await db.transaction().execute(async (tx) => {
        await store.insertUser(tx, user);
        await audit(tx, {
          actor: actor?.name ?? "system",
          action: "user.created",
          subject: { type: "user", id: user.username },
          data: { globalAdmin: user.globalAdmin, password: user.passwordHash !== null },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError("user_exists", `A user "${user.username}" already exists`, {
          details: { username: user.username },
        });
      }
      throw error;
    }
    return presentUser(user);
  }

  return {
    createUser,
    activeUser,

    async listUsers(page, actor) {
      requireGlobalAdmin(actor, "list users");
      const rows = await store.listUsers(db, { limit: page.limit, after: page.cursor });
      const { items, nextCursor } = toPage(rows, page.limit, (user) => ({ at: user.username, id: user.id }));
      return { items: items.map(presentUser), nextCursor };
    },

    async setPassword(input, actor) {
      const user = await userNamed(input.username);
      if (!(actor.kind === "user" && actor.id === user.id)) requireGlobalAdmin(actor, "set another user's password");
      checkPasswordRules(input.password);
      const hash = await hashPassword(input.password, scrypt);
      await db.transaction().execute(async (tx) => {
        await store.updatePasswordHash(tx, user.id, hash);
        await audit(tx, { actor: actor.name, action: "user.password_changed", subject: { type: "user", id: user.username } });
      });
    },

    async setMember(slug, input, actor = null) {
      const project = await deps.projects.record(slug);
      const user = await userNamed(input.username);
      const createdAt = clock.now().toISOString();
      await db.transaction().execute(async (tx) => {
        const before = (await store.membershipsOfUser(tx, user.id)).find((m) => m.projectId === project.id)?.role;
        if (before === input.role) return;
        await store.upsertMembership(tx, { projectId: project.id, userId: user.id, role: input.role, createdAt });
        await audit(tx, {
          actor: actor?.name ?? "system",
          action: before === undefined ? "role.granted" : "role.changed",
          projectId: project.id,
          subject: { type: "user", id: user.username },
          data: { project: project.slug, role: input.role, ...(before === undefined ? {} : { from: before }) },
        });
      });
      deps.onRolesChanged();
      const member = (await store.membersOfProject(db, project.id)).find((m) => m.username === user.username);
      return member ?? { username: user.username, displayName: user.displayName, role: input.role, createdAt };
    },

    async removeMember(slug, username, actor = null) {
      const project = await deps.projects.record(slug);
      const user = await userNamed(username);
      const removed = await db.transaction().execute(async (tx) => {
        const before = (await store.membershipsOfUser(tx, user.id)).find((m) => m.projectId === project.id)?.role;
        if (!(await store.deleteMembership(tx, project.id, user.id))) return false;
        await audit(tx, {
          actor: actor?.name ?? "system",
          action: "role.removed",
          projectId: project.id,
          subject: { type: "user", id: user.username },
          data: { project: project.slug, from: before ?? null },
        });
        return true;
      });
      if (!removed) {
        throw notFound("user_not_found", `"${user.username}" is not a member of project "${slug}"`, { username, project: slug });
      }
      deps.onRolesChanged();
    },

    async setDisabled(input, actor) {
      requireGlobalAdmin(actor, input.disabled ? "disable users" : "enable users");
      const user = await userNamed(input.username);
      if (input.disabled && actor.kind === "user" && actor.id === user.id) {
        throw conflict("invalid_state", "You cannot disable your own account; ask another global admin", {
          username: user.username,
        });
      }
      if (user.disabled !== input.disabled) {
        await db.transaction().execute(async (tx) => {
          await store.setDisabled(tx, user.id, input.disabled);
          const sessions = input.disabled ? await deleteSessionsOfUser(tx, user.id) : 0;
          await audit(tx, {
            actor: actor.name,
            action: input.disabled ? "user.disabled" : "user.enabled",
            subject: { type: "user", id: user.username },
            data: input.disabled ? { sessionsEnded: sessions } : {},
          });
        });
        // Personal tokens rebuild their identity, and a disabled user's no longer authenticate.
        deps.onRolesChanged();
      }
      return presentUser({ ...user, disabled: input.disabled });
    },

    async listMembers(slug) {
      const project = await deps.projects.record(slug);
      return { items: await store.membersOfProject(db, project.id) };
    },

    actorOf,

    async actorForUser(userId, via) {
      return actorOf(await activeUser(userId), via);
    },

    async checkPassword(username, password) {
      const user = await store.findUserByUsername(db, normalizeUsername(username));
      if (!user?.passwordHash) {
        decoy ??= hashPassword("decoy password, never matches", scrypt);
        await verifyPassword(password, await decoy);
        return undefined;
      }
      if (!(await verifyPassword(password, user.passwordHash)) || user.disabled) return undefined;
      // Stored with older, cheaper parameters: upgrade while the plain password is at hand.
      if (needsRehash(user.passwordHash, scrypt))
        await store.updatePasswordHash(db, user.id, await hashPassword(password, scrypt));
      return user;
    },

    async bootstrapAdmin(password) {
      if (password === undefined || (await store.countUsers(db)) > 0) return false;
      await createUser({ username: "admin", password, globalAdmin: true, displayName: "Administrator" }, null);
      return true;
    },
  };
}

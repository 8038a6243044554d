import type { Kysely } from "kysely";
import { isUniqueViolation } from "../../db/connect.ts";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { sha256Hex } from "../../shared/hashing.ts";
import { newId } from "../../shared/ids.ts";
import type { Role } from "../../shared/roles.ts";
import type { AuditRecorder } from "../audit/audit.recorder.ts";
import type { ProjectsService } from "../projects/projects.service.ts";
import { type GroupRoles, managedByMapping, rolesForGroups } from "./oidc.settings.ts";
import { normalizeUsername } from "./users.service.ts";
import * as store from "./users.store.ts";
import type { UserRecord } from "./users.types.ts";

/** What the identity provider said about the person signing in (ID token and userinfo claims, merged). */
export interface OidcProfile {
  issuer: string;
  subject: string;
  preferredUsername: string | null;
  displayName: string | null;
  email: string | null;
  groups: string[];
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$/;

/** preferred_username, else email, else the subject; made to fit the username rules (a hash when nothing fits). */
export function usernameFor(profile: OidcProfile): string {
  for (const candidate of [profile.preferredUsername, profile.email, profile.subject]) {
    if (!candidate) continue;
    const cleaned = candidate
      .replace(/[^A-Za-z0-9._@+-]/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "")
      .slice(0, 100);
    if (USERNAME.test(cleaned)) return normalizeUsername(cleaned);
  }
  return `oidc-${sha256Hex(profile.subject).slice(0, 16)}`;
}

/**
 * Creates or updates the user behind an OIDC sign-in, all in one transaction with its audit events:
 * - found by identity (issuer + subject); else a user created beforehand by an admin *without a password* and with the
 *   same username is linked; a username held by a local (password) or other OIDC account is refused, so an identity
 *   provider can never take over a local account such as `admin`;
 * - memberships of the projects `OIDC_GROUP_ROLES` names follow the groups on every sign-in (granted, changed or
 *   removed); memberships elsewhere are left to the admins. Global admin follows the groups when the mapping names it.
 */
export function createOidcProvisioner(deps: {
  db: Kysely<Database>;
  clock: Clock;
  projects: Pick<ProjectsService, "record">;
  groupRoles: GroupRoles;
  audit?: AuditRecorder;
  onRolesChanged: () => void;
}) {
  const { db, clock } = deps;
  const managed = managedByMapping(deps.groupRoles);

  /** Slug → project id of the managed projects that exist (a slug of a project not created yet is skipped). */
  async function managedProjects(): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const slug of managed.projects) {
      const project = await deps.projects.record(slug).catch((error: unknown) => {
        if (error instanceof DomainError && error.code === "project_not_found") return undefined;
        throw error;
      });
      if (project) ids.set(slug, project.id);
    }
    return ids;
  }

  async function findOrCreate(tx: Queryable, profile: OidcProfile): Promise<UserRecord> {
    const identity = { issuer: profile.issuer, subject: profile.subject };
    const known = await store.findUserByOidcIdentity(tx, identity);
    if (known) return known;
    const username = usernameFor(profile);
    const existing = await store.findUserByUsername(tx, username);
    if (existing) {
      if (existing.oidc === null && existing.passwordHash === null) {
        await deps.audit?.append(tx, {
          actor: "oidc",
          action: "user.linked",
          subject: { type: "user", id: username },
          data: { issuer: profile.issuer, subject: profile.subject },
        });
        return existing;
      }
      throw new DomainError(
        "unauthorized",
        `The username "${username}" belongs to another account; ask an admin to create "${username}" without a password to sign in by OIDC`,
      );
    }
    const now = clock.now();
    const user: UserRecord = {
      id: newId("usr", now.getTime()),
      username,
      displayName: profile.displayName,
      email: profile.email,
      passwordHash: null,
      globalAdmin: false,
      disabled: false,
      createdAt: now.toISOString(),
      oidc: identity,
      groups: profile.groups,
    };
    await store.insertUser(tx, user);
    await deps.audit?.append(tx, {
      actor: "oidc",
      action: "user.created",
      subject: { type: "user", id: username },
      data: { via: "oidc", issuer: profile.issuer, subject: profile.subject },
    });
    return user;
  }

  async function syncRoles(tx: Queryable, user: UserRecord, profile: OidcProfile, projectIds: Map<string, string>) {
    const wanted = rolesForGroups(deps.groupRoles, profile.groups);
    const current = new Map((await store.membershipsOfUser(tx, user.id)).map((m) => [m.projectId, m.role]));
    const at = clock.now().toISOString();
    let changed = false;
    for (const [slug, projectId] of projectIds) {
      const before = current.get(projectId);
      const after: Role | undefined = wanted.projects.get(slug);
      if (before === after) continue;
      changed = true;
      if (after === undefined) await store.deleteMembership(tx, projectId, user.id);
      else await store.upsertMembership(tx, { projectId, userId: user.id, role: after, createdAt: at });
      await deps.audit?.append(tx, {
        actor: "oidc",
        action: after === undefined ? "role.removed" : before === undefined ? "role.granted" : "role.changed",
        projectId,
        subject: { type: "user", id: user.username },
        data: {
          project: slug,
          ...(after === undefined ? {} : { role: after }),
          ...(before === undefined ? {} : { from: before }),
          groups: profile.groups,
        },
      });
    }
    const globalAdmin = managed.globalAdmin ? wanted.globalAdmin : user.globalAdmin;
    if (globalAdmin !== user.globalAdmin) {
      changed = true;
      await deps.audit?.append(tx, {
        actor: "oidc",
        action: globalAdmin ? "role.granted" : "role.removed",
        subject: { type: "user", id: user.username },
        data: { role: "global_admin", groups: profile.groups },
      });
    }
    return { globalAdmin, changed };
  }

  /** The user for this sign-in, created or updated; `unauthorized` when disabled or the username is taken. */
  async function provision(profile: OidcProfile): Promise<UserRecord> {
    const projectIds = await managedProjects();
    const run = () =>
      db.transaction().execute(async (tx) => {
        const user = await findOrCreate(tx, profile);
        if (user.disabled) throw new DomainError("unauthorized", `The account "${user.username}" is disabled; ask an admin`);
        const { globalAdmin, changed } = await syncRoles(tx, user, profile, projectIds);
        await store.updateOidcProfile(tx, user.id, {
          oidc: { issuer: profile.issuer, subject: profile.subject },
          displayName: profile.displayName ?? user.displayName,
          email: profile.email ?? user.email,
          groups: profile.groups,
          globalAdmin,
        });
        return { id: user.id, changed };
      });
    let result: { id: string; changed: boolean };
    try {
      result = await run();
    } catch (error) {
      // Two first sign-ins of the same person at once: the second finds the user the first created.
      if (!isUniqueViolation(error)) throw error;
      result = await run();
    }
    if (result.changed) deps.onRolesChanged();
    const user = await store.findUserById(db, result.id);
    if (!user) throw new Error(`user ${result.id} vanished while signing in`);
    return user;
  }

  return { provision };
}

export type OidcProvisioner = ReturnType<typeof createOidcProvisioner>;

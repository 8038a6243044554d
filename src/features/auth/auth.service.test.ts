import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import type { Db } from "../../db/connect.ts";
import type { Clock } from "../../shared/clock.ts";
import { DomainError } from "../../shared/errors.ts";
import { type Actor, roleIn } from "../../shared/roles.ts";
import { validateExecutorConfig } from "../deployments/executors/registry.ts";
import { createProjectsService } from "../projects/projects.service.ts";
import { createAuthFeature } from "./auth.feature.ts";
import { hashPassword, needsRehash, verifyPassword } from "./password.hasher.ts";
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS, SESSION_TTL_MS } from "./sessions.service.ts";

const CHEAP = { log2N: 10, r: 8, p: 1 };
const PASSWORD = "correct horse battery";

/** The time of `now`, moved by tests. */
function movableClock(start = Date.parse("2026-03-01T09:00:00.000Z")): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => new Date(now), advance: (ms) => (now += ms) };
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

describe("password hashing", () => {
  it("verifies the right password and refuses a wrong one, with salt and parameters in the hash", async () => {
    const hash = await hashPassword(PASSWORD, CHEAP);
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await hashPassword(PASSWORD, CHEAP)).not.toBe(hash);
  });

  it("never matches a malformed hash and asks to rehash one made with weaker parameters", async () => {
    for (const bad of ["", "scrypt$10$8$1$abc", "bcrypt$10$8$1$a$b", "scrypt$99$8$1$AAAA$AAAA", "scrypt$x$8$1$AAAA$AAAA"]) {
      expect(await verifyPassword(PASSWORD, bad)).toBe(false);
    }
    const weak = await hashPassword(PASSWORD, CHEAP);
    expect(needsRehash(weak, { log2N: 15, r: 8, p: 3 })).toBe(true);
    expect(needsRehash(weak, CHEAP)).toBe(false);
  });

  it("uses the default parameters when none are given", async () => {
    const hash = await hashPassword(PASSWORD);
    expect(hash.startsWith("scrypt$15$8$3$")).toBe(true);
    expect(await verifyPassword(PASSWORD, hash)).toBe(true);
  });
});

describe.each(testDialects())("users, sessions and tokens on %s", (dialect) => {
  let db: Db;
  const clock = movableClock();
  let auth: ReturnType<typeof createAuthFeature>;
  let shop: string;
  let ops: string;
  let admin: Actor;

  beforeAll(async () => {
    db = await testDb(dialect);
    const projects = createProjectsService({ db: db.kysely, clock, validateExecutor: validateExecutorConfig });
    shop = (await projects.record((await projects.create({ slug: "shop", name: "Shop" })).slug)).id;
    ops = (await projects.record((await projects.create({ slug: "ops", name: "Ops" })).slug)).id;
    auth = createAuthFeature({ db: db.kysely, clock, projects, publicUrl: "http://localhost", scrypt: CHEAP });
    const secret = await auth.service.bootstrapAdmin();
    admin = await auth.service.authenticate(secret);
  });
  afterAll(() => db.close());

  it("bootstraps one global admin service token, only on an empty database", async () => {
    expect(admin).toMatchObject({ kind: "service", via: "token", globalAdmin: true, allProjects: "admin" });
    expect(admin.tokenId).toBe(admin.id);
    expect(await auth.service.bootstrapAdmin()).toBeUndefined();
  });

  it("creates the admin user from STAGEGATE_ADMIN_PASSWORD once, when there are no users", async () => {
    expect(await auth.users.bootstrapAdmin(undefined)).toBe(false);
    expect(await auth.users.bootstrapAdmin(PASSWORD)).toBe(true);
    expect(await auth.users.bootstrapAdmin("another password 123")).toBe(false);
    const { info } = await auth.sessions.login({ username: "Admin", password: PASSWORD });
    expect(info.user).toEqual({ username: "admin", displayName: "Administrator", globalAdmin: true });
  });

  it("lets only global admins create and list users", async () => {
    await auth.users.createUser({ username: "Dana", password: PASSWORD }, admin);
    const dana = await sessionActor("dana");
    expect((await rejection(auth.users.createUser({ username: "eve" }, dana))).code).toBe("forbidden");
    expect((await rejection(auth.users.listUsers({ limit: 10, cursor: undefined }, dana))).code).toBe("forbidden");
    expect((await rejection(auth.users.createUser({ username: "dana" }, admin))).code).toBe("user_exists");
    expect((await rejection(auth.users.createUser({ username: "short", password: "1234567" }, admin))).code).toBe(
      "invalid_request",
    );
    const page = await auth.users.listUsers({ limit: 10, cursor: undefined }, admin);
    expect(page.items.map((u) => u.username)).toEqual(["admin", "dana"]);
  });

  it("builds a user's Actor from their memberships", async () => {
    await auth.users.createUser({ username: "carol", password: PASSWORD }, admin);
    await auth.users.setMember("shop", { username: "carol", role: "developer" });
    await auth.users.setMember("ops", { username: "carol", role: "viewer" });
    const session = await auth.sessions.authenticate(
      (await auth.sessions.login({ username: "carol", password: PASSWORD })).secret,
    );
    expect(session.actor).toMatchObject({
      kind: "user",
      name: "carol",
      via: "session",
      tokenId: null,
      globalAdmin: false,
      projectRoles: { [shop]: "developer", [ops]: "viewer" },
      allProjects: null,
    });
    expect((await auth.users.listMembers("shop")).items).toEqual([
      expect.objectContaining({ username: "carol", role: "developer" }),
    ]);
  });

  it("caps a personal token by its user's roles, now and after the user's roles change", async () => {
    const carol = await auth.users.actorForUser((await sessionActor("carol")).id, "session");
    const capped = await auth.service.create({ name: "carol ci", role: "viewer" }, carol);
    expect(capped).toMatchObject({ kind: "personal", role: "viewer", projects: null, globalAdmin: false });
    const asViewer = await auth.service.authenticate(capped.token);
    expect(asViewer).toMatchObject({ kind: "user", id: carol.id, name: "carol", tokenId: capped.id, via: "token" });
    expect(asViewer.projectRoles).toEqual({ [shop]: "viewer", [ops]: "viewer" });

    const uncapped = await auth.service.create({ name: "carol all", role: "admin" }, carol);
    expect((await auth.service.authenticate(uncapped.token)).projectRoles).toEqual({ [shop]: "developer", [ops]: "viewer" });
    await auth.users.setMember("shop", { username: "carol", role: "approver" });
    expect(roleIn(await auth.service.authenticate(uncapped.token), shop)).toBe("approver");
    await auth.users.removeMember("shop", "carol");
    expect(roleIn(await auth.service.authenticate(uncapped.token), shop)).toBeNull();
    await auth.users.setMember("shop", { username: "carol", role: "developer" });
  });

  it("gives a project-scoped token no role in other projects", async () => {
    const carol = await sessionActor("carol");
    const personal = await auth.service.authenticate(
      (await auth.service.create({ name: "shop only", projects: ["shop"] }, carol)).token,
    );
    expect(roleIn(personal, shop)).toBe("developer");
    expect(roleIn(personal, ops)).toBeNull();

    const service = await auth.service.create({ name: "deployer", kind: "service", role: "developer", projects: ["ops"] }, admin);
    expect(service).toMatchObject({ kind: "service", role: "developer", projects: ["ops"], globalAdmin: false });
    const actor = await auth.service.authenticate(service.token);
    expect(actor).toMatchObject({ kind: "service", name: "deployer", globalAdmin: false, allProjects: null });
    expect(roleIn(actor, ops)).toBe("developer");
    expect(roleIn(actor, shop)).toBeNull();
    expect(roleIn(actor, "prj_unknown")).toBeNull();

    const everywhere = await auth.service.authenticate(
      (await auth.service.create({ name: "reader", kind: "service", role: "viewer" }, admin)).token,
    );
    expect(everywhere).toMatchObject({ globalAdmin: false, allProjects: "viewer", projectRoles: {} });
    expect(roleIn(everywhere, "prj_any")).toBe("viewer");
  });

  it("gives a global admin's personal token global rights only when it is an unscoped admin token", async () => {
    const root = await sessionActor("admin");
    const full = await auth.service.authenticate((await auth.service.create({ name: "all" }, root)).token);
    expect(full).toMatchObject({ kind: "user", name: "admin", globalAdmin: true, via: "token" });
    const narrow = await auth.service.authenticate((await auth.service.create({ name: "dev", role: "developer" }, root)).token);
    expect(narrow).toMatchObject({ globalAdmin: false, allProjects: "developer" });
    const scoped = await auth.service.authenticate((await auth.service.create({ name: "ops", projects: ["ops"] }, root)).token);
    expect([scoped.globalAdmin, roleIn(scoped, ops), roleIn(scoped, shop)]).toEqual([false, "admin", null]);
  });

  it("keeps service tokens and global rights for global admins, and a token's children within it", async () => {
    const carol = await sessionActor("carol");
    expect((await rejection(auth.service.create({ name: "svc", kind: "service" }, carol))).code).toBe("forbidden");
    expect((await rejection(auth.service.create({ name: "x", globalAdmin: true }, carol))).code).toBe("invalid_request");
    expect((await rejection(auth.service.create({ name: "x", kind: "personal" }, admin))).code).toBe("invalid_request");
    expect(
      (await rejection(auth.service.create({ name: "x", kind: "service", role: "viewer", globalAdmin: true }, admin))).code,
    ).toBe("invalid_request");
    expect((await rejection(auth.service.create({ name: "x", projects: ["nope"] }, carol))).code).toBe("project_not_found");

    const viewerToken = await auth.service.create({ name: "narrow", role: "viewer", projects: ["shop"] }, carol);
    const viaToken = await auth.service.authenticate(viewerToken.token);
    expect((await rejection(auth.service.create({ name: "wider", role: "developer" }, viaToken))).code).toBe("forbidden");
    expect((await rejection(auth.service.create({ name: "elsewhere", projects: ["ops"] }, viaToken))).message).toContain(
      "projects",
    );
    const child = await auth.service.create({ name: "child" }, viaToken);
    expect([child.role, child.projects]).toEqual(["viewer", ["shop"]]);
  });

  it("refuses revoked and expired tokens with a message saying which", async () => {
    const carol = await sessionActor("carol");
    const revoked = await auth.service.create({ name: "to revoke" }, carol);
    await auth.service.authenticate(revoked.token);
    await auth.service.revoke(revoked.id, carol);
    await auth.service.revoke(revoked.id, carol);
    expect((await rejection(auth.service.authenticate(revoked.token))).message).toMatch(/"to revoke" was revoked at/);

    const expiring = await auth.service.create({ name: "short lived", expiresInDays: 1 }, carol);
    await auth.service.authenticate(expiring.token);
    clock.advance(86_400_000 + 1);
    const expired = await rejection(auth.service.authenticate(expiring.token));
    expect(expired.code).toBe("unauthorized");
    expect(expired.message).toMatch(/"short lived" expired at/);
    expect((await rejection(auth.service.authenticate("sg_unknown"))).code).toBe("unauthorized");
    expect((await rejection(auth.service.revoke(expiring.id, await sessionActor("dana")))).code).toBe("token_not_found");
  });

  it("lists your own tokens, every token for a global admin, never a secret", async () => {
    const carol = await sessionActor("carol");
    const mine = await auth.service.list({ limit: 200, cursor: undefined }, carol);
    expect(mine.items.length).toBeGreaterThan(3);
    expect(mine.items.every((token) => token.owner === "carol" && token.kind === "personal")).toBe(true);
    const all = await auth.service.list({ limit: 200, cursor: undefined }, admin);
    expect(all.items.some((token) => token.kind === "service" && token.globalAdmin)).toBe(true);
    expect(all.items.length).toBeGreaterThan(mine.items.length);
    for (const token of all.items) expect(Object.keys(token)).not.toContain("token");
    const first = await auth.service.list({ limit: 2, cursor: undefined }, admin);
    expect(first.nextCursor).not.toBeNull();
  });

  it("slides a session's expiry while it is used and ends it 12 hours after the last use", async () => {
    const { secret } = await auth.sessions.login({ username: "carol", password: PASSWORD });
    clock.advance(SESSION_TTL_MS - 60_000);
    const used = await auth.sessions.authenticate(secret);
    expect(used.refreshed).toBe(true);
    clock.advance(SESSION_TTL_MS - 60_000);
    expect((await auth.sessions.authenticate(secret)).actor.name).toBe("carol");
    clock.advance(SESSION_TTL_MS + 1);
    expect((await rejection(auth.sessions.authenticate(secret))).message).toContain("sign in again");
  });

  it("says the same for an unknown user and a wrong password, and stops guessing after too many failures", async () => {
    const unknown = await rejection(auth.sessions.login({ username: "nobody", password: PASSWORD }));
    const wrong = await rejection(auth.sessions.login({ username: "dana", password: "wrong password!" }));
    expect([unknown.code, unknown.message]).toEqual(["unauthorized", "Wrong username or password"]);
    expect([wrong.code, wrong.message]).toEqual([unknown.code, unknown.message]);
    for (let i = 1; i < LOGIN_MAX_FAILURES; i++)
      await rejection(auth.sessions.login({ username: "dana", password: `guess ${i}` }));
    const locked = await rejection(auth.sessions.login({ username: "DANA", password: PASSWORD }));
    expect(locked.code).toBe("rate_limited");
    expect(locked.details).toEqual({ retryAfterSeconds: LOGIN_WINDOW_MS / 1000 });
    clock.advance(LOGIN_WINDOW_MS + 1);
    expect((await auth.sessions.login({ username: "dana", password: PASSWORD })).info.user.username).toBe("dana");
  });

  async function sessionActor(username: string): Promise<Actor> {
    return (await auth.sessions.authenticate((await auth.sessions.login({ username, password: PASSWORD })).secret)).actor;
  }
});

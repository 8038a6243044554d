import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelineYaml, startTestApp, type TestApp } from "../../../test/helpers/app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import { run } from "../../cli/main.ts";
import type { AuditEvent } from "../../shared/audit.api.ts";
import type { CreatedToken, SessionInfo, User } from "../../shared/auth.api.ts";

const PASSWORD = "correct horse battery";

describe.each(testDialects())(
  "token, role, user and sign-in changes on %s",
  (dialect) => {
    let t: TestApp;
    const anonymous = (options: InjectOptions) => t.app.http.inject(options);

    async function login(username: string, password = PASSWORD) {
      const res = await anonymous({ method: "POST", url: "/api/v1/session", payload: { username, password } });
      const cookie = res.cookies.find((c) => c.name === "sg_session")?.value ?? "";
      const csrf = res.statusCode === 201 ? res.json<SessionInfo>().csrfToken : "";
      const as = (options: InjectOptions) =>
        anonymous({ ...options, headers: { cookie: `sg_session=${cookie}`, "x-csrf-token": csrf, ...options.headers } });
      return { res, as };
    }

    /** The events since `after` (a seq), oldest first, as `action subject` plus the actor. */
    async function eventsAfter(after: number): Promise<AuditEvent[]> {
      const res = await t.request({ method: "GET", url: "/api/v1/audit?limit=200" });
      expect(res.statusCode, res.body).toBe(200);
      return res
        .json<{ items: AuditEvent[] }>()
        .items.filter((e) => e.seq > after)
        .reverse();
    }
    async function lastSeq(): Promise<number> {
      const res = await t.request({ method: "GET", url: "/api/v1/audit?limit=1" });
      return res.json<{ items: AuditEvent[] }>().items[0]?.seq ?? 0;
    }
    const brief = (events: AuditEvent[]) => events.map((e) => `${e.actor} ${e.action} ${e.subject.type}:${e.subject.id}`);

    beforeAll(async () => {
      t = await startTestApp(dialect);
      const applied = await t.request({
        method: "PUT",
        url: "/api/v1/projects/shop/config",
        payload: pipelineYaml(),
        headers: { "content-type": "application/yaml" },
      });
      expect(applied.statusCode, applied.body).toBeLessThan(300);
    });
    afterAll(() => t.close());

    it("audits users created, password sign-ins that fail or succeed, and role grants, changes and removals", async () => {
      const from = await lastSeq();
      expect(
        (await t.request({ method: "POST", url: "/api/v1/users", payload: { username: "carol", password: PASSWORD } }))
          .statusCode,
      ).toBe(201);
      expect((await login("carol", "wrong password!!")).res.statusCode).toBe(401);
      expect((await login("carol")).res.statusCode).toBe(201);
      for (const role of ["viewer", "approver"]) {
        const res = await t.request({
          method: "PUT",
          url: "/api/v1/projects/shop/members",
          payload: { username: "carol", role },
        });
        expect(res.statusCode, res.body).toBe(200);
      }
      expect((await t.request({ method: "DELETE", url: "/api/v1/projects/shop/members/carol" })).statusCode).toBe(204);

      const events = await eventsAfter(from);
      expect(brief(events)).toEqual([
        "admin (bootstrap) user.created user:carol",
        "carol login.failed user:carol",
        "carol login.succeeded user:carol",
        "admin (bootstrap) role.granted user:carol",
        "admin (bootstrap) role.changed user:carol",
        "admin (bootstrap) role.removed user:carol",
      ]);
      expect(events[2]?.data).toMatchObject({ method: "password" });
      expect(events[4]?.data).toEqual({ project: "shop", role: "approver", from: "viewer" });
      // Role events belong to the project, so its audit view shows them.
      expect(events.slice(3).every((e) => e.projectId !== null)).toBe(true);
    });

    it("audits tokens created and revoked, by whoever did it", async () => {
      const { as } = await login("carol");
      const from = await lastSeq();
      const created = await as({ method: "POST", url: "/api/v1/tokens", payload: { name: "laptop", role: "viewer" } });
      expect(created.statusCode, created.body).toBe(201);
      const token = created.json<CreatedToken>();
      expect((await as({ method: "DELETE", url: `/api/v1/tokens/${token.id}` })).statusCode).toBe(204);
      // Revoking twice is fine, and records nothing new.
      expect((await as({ method: "DELETE", url: `/api/v1/tokens/${token.id}` })).statusCode).toBe(204);
      const events = await eventsAfter(from);
      expect(brief(events)).toEqual([`carol token.created token:${token.id}`, `carol token.revoked token:${token.id}`]);
      expect(events[0]?.data).toMatchObject({ name: "laptop", kind: "personal", role: "viewer" });
      expect(JSON.stringify(events)).not.toContain(token.token);
    });

    it("disables a user: sessions and personal tokens stop at once, sign-in is refused; enable brings tokens back", async () => {
      await t.request({ method: "POST", url: "/api/v1/users", payload: { username: "dave", password: PASSWORD } });
      await t.request({ method: "PUT", url: "/api/v1/projects/shop/members", payload: { username: "dave", role: "developer" } });
      const { as } = await login("dave");
      const minted = await as({ method: "POST", url: "/api/v1/tokens", payload: { name: "ci" } });
      const token = minted.json<CreatedToken>().token;
      const withToken = () =>
        anonymous({ method: "GET", url: "/api/v1/projects/shop", headers: { authorization: `Bearer ${token}` } });
      expect((await withToken()).statusCode).toBe(200);

      const from = await lastSeq();
      const disabled = await t.request({ method: "POST", url: "/api/v1/users/dave/disable" });
      expect(disabled.statusCode, disabled.body).toBe(200);
      expect(disabled.json<User>()).toMatchObject({ username: "dave", disabled: true });
      expect((await as({ method: "GET", url: "/api/v1/projects/shop" })).statusCode).toBe(401);
      const refusedToken = await withToken();
      expect(refusedToken.statusCode).toBe(401);
      expect(refusedToken.json().error.message).toContain("disabled");
      expect((await login("dave")).res.statusCode).toBe(401);

      expect((await t.request({ method: "POST", url: "/api/v1/users/dave/enable" })).statusCode).toBe(200);
      expect((await withToken()).statusCode).toBe(200);
      // The old session stays ended: enabling gives back sign-in, not the sessions a disable cut off.
      expect((await as({ method: "GET", url: "/api/v1/projects/shop" })).statusCode).toBe(401);
      expect((await login("dave")).res.statusCode).toBe(201);
      expect(brief(await eventsAfter(from)).filter((line) => !line.includes("login."))).toEqual([
        "admin (bootstrap) user.disabled user:dave",
        "admin (bootstrap) user.enabled user:dave",
      ]);
    });

    it("lets only global admins disable users, and nobody disable themselves", async () => {
      await t.request({
        method: "POST",
        url: "/api/v1/users",
        payload: { username: "root", password: PASSWORD, globalAdmin: true },
      });
      const carol = await login("carol");
      const notAdmin = await carol.as({ method: "POST", url: "/api/v1/users/dave/disable" });
      expect(notAdmin.statusCode).toBe(403);
      const root = await login("root");
      const self = await root.as({ method: "POST", url: "/api/v1/users/root/disable" });
      expect(self.statusCode).toBe(409);
      expect(self.json().error.code).toBe("invalid_state");
      const missing = await root.as({ method: "POST", url: "/api/v1/users/nobody/disable" });
      expect(missing.json().error.code).toBe("user_not_found");
    });

    it("disables and enables from the CLI", async () => {
      await t.request({ method: "POST", url: "/api/v1/users", payload: { username: "erin", password: PASSWORD } });
      const server = await t.app.http.listen({ port: 0, host: "127.0.0.1" });
      const cli = async (...args: string[]) => {
        let stdout = "";
        let stderr = "";
        const code = await run(["node", "stagegate", "--server", server, "--token", t.token, ...args], {
          stdout: { write: (text: string) => (stdout += text) },
          stderr: { write: (text: string) => (stderr += text) },
        });
        return { code, stdout, stderr };
      };
      const off = await cli("user", "disable", "erin");
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toMatch(/^Disabled:\s+yes$/m);
      expect((await login("erin")).res.statusCode).toBe(401);
      const on = await cli("-o", "json", "user", "enable", "erin");
      expect(on.code, on.stderr).toBe(0);
      expect(JSON.parse(on.stdout)).toMatchObject({ username: "erin", disabled: false });
      expect((await login("erin")).res.statusCode).toBe(201);
    });

    it("keeps the chain verifiable after all of it", async () => {
      const res = await t.request({ method: "GET", url: "/api/v1/audit/verify" });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ ok: true });
    });
    // Every user costs a full-strength scrypt hash: minutes on a busy two-core machine, seconds otherwise.
  },
  90_000,
);

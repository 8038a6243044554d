import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type AuditTestApp, auditTable, startAuditApp } from "../../../test/helpers/audit-app.ts";
import { testDialects } from "../../../test/helpers/db.ts";
import type { ErrorBody, PageOf } from "../../shared/api.ts";
import type { AuditEvent, AuditVerifyResult } from "../../shared/audit.api.ts";
import { verifyLines } from "../../shared/audit-verify.ts";
import type { AuditAppend } from "./audit.types.ts";

for (const dialect of testDialects()) {
  describe(`audit HTTP API on ${dialect}`, () => {
    let t: AuditTestApp;
    let shopId: string;

    const get = (url: string) => t.http.inject({ method: "GET", url: `/api/v1${url}` });
    const append = (event: AuditAppend) => t.db.kysely.transaction().execute((tx) => t.audit.append(tx, event));
    const seqs = (page: PageOf<AuditEvent>) => page.items.map((event) => event.seq);

    beforeAll(async () => {
      t = await startAuditApp(dialect);
      await t.projects.create({ slug: "shop", name: "Shop" });
      shopId = (await t.projects.record("shop")).id;
    });
    afterAll(async () => {
      await t.close();
    });
    beforeEach(async () => {
      await auditTable(t.db).deleteFrom("audit_events").execute();
      const deployment = (id: string) => ({ type: "deployment", id });
      await append({ actor: "ci", action: "deployment.promoted", projectId: shopId, subject: deployment("dep_1") });
      await append({ actor: "ci", action: "deployment.promoted", projectId: "prj_other", subject: deployment("dep_2") });
      await append({ actor: "alice", action: "deployment.cancelled", projectId: shopId, subject: deployment("dep_1") });
      await append({
        actor: "alice",
        action: "token.created",
        subject: { type: "token", id: "tok:with:colons" },
        data: { n: 1, scopes: ["read", { project: "shop" }] },
      });
    });

    it("lists events newest first and pages with the cursor", async () => {
      const first = await get("/audit?limit=3");
      expect(first.statusCode, first.body).toBe(200);
      const page = first.json<PageOf<AuditEvent>>();
      expect(seqs(page)).toEqual([4, 3, 2]);
      expect(page.items[0]).toMatchObject({
        actor: "alice",
        action: "token.created",
        projectId: null,
        data: { n: 1, scopes: ["read", { project: "shop" }] },
      });

      const second = (await get(`/audit?limit=3&cursor=${page.nextCursor}`)).json<PageOf<AuditEvent>>();
      expect(second).toMatchObject({ nextCursor: null });
      expect(seqs(second)).toEqual([1]);
    });

    it("filters by project slug, subject type[:id], actor and action", async () => {
      const list = async (query: string) => seqs((await get(`/audit?${query}`)).json<PageOf<AuditEvent>>());

      expect(await list("project=shop")).toEqual([3, 1]);
      expect(await list("subject=deployment:dep_1")).toEqual([3, 1]);
      expect(await list("subject=deployment")).toEqual([3, 2, 1]);
      expect(await list(`subject=${encodeURIComponent("token:tok:with:colons")}`)).toEqual([4]);
      expect(await list("actor=alice&action=deployment.cancelled")).toEqual([3]);
    });

    it("answers 404 for an unknown project and 400 for a bad cursor or subject", async () => {
      const unknown = await get("/audit?project=nope");
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json<ErrorBody>().error.code).toBe("project_not_found");

      const cursor = await get("/audit?cursor=abc");
      expect(cursor.statusCode).toBe(400);
      expect(cursor.json<ErrorBody>().error).toMatchObject({ code: "invalid_request", details: { field: "cursor" } });

      const subject = await get("/audit?subject=Deployment:1");
      expect(subject.statusCode).toBe(400);
      expect(subject.json<ErrorBody>().error.message).toMatch(/subject/);
    });

    it("verifies the chain, and names the seq someone edited in the database", async () => {
      expect((await get("/audit/verify")).json<AuditVerifyResult>()).toMatchObject({ ok: true, count: 4 });

      await auditTable(t.db).updateTable("audit_events").set({ actor: "mallory" }).where("seq", "=", 2).execute();
      const broken = await get("/audit/verify");

      expect(broken.statusCode).toBe(200);
      expect(broken.json<AuditVerifyResult>()).toMatchObject({ ok: false, count: 1, brokenSeq: 2, reason: "hash_mismatch" });
    });

    it("exports NDJSON, oldest first, that verifies offline to the server's last hash", async () => {
      const response = await get("/audit/export");

      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^application\/x-ndjson/);
      const lines = response.body.split("\n").filter((line) => line !== "");
      expect(lines.map((line) => (JSON.parse(line) as AuditEvent).seq)).toEqual([1, 2, 3, 4]);
      expect(await verifyLines(lines)).toEqual((await get("/audit/verify")).json<AuditVerifyResult>());
    });

    it("exports only a project's events when asked", async () => {
      const response = await get("/audit/export?project=shop");

      const lines = response.body.split("\n").filter((line) => line !== "");
      expect(lines.map((line) => (JSON.parse(line) as AuditEvent).seq)).toEqual([1, 3]);
    });
  });
}

import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditTable } from "../../../test/helpers/audit-app.ts";
import { testDb, testDialects } from "../../../test/helpers/db.ts";
import type { Db } from "../../db/connect.ts";
import { auditHash, GENESIS_HASH, verifyLines } from "../../shared/audit-verify.ts";
import { systemClock } from "../../shared/clock.ts";
import { type AuditService, createAuditService } from "./audit.service.ts";
import type { AuditAppend } from "./audit.types.ts";

const promoted = (n: number, extra: Partial<AuditAppend> = {}): AuditAppend => ({
  actor: "ci",
  action: "deployment.promoted",
  projectId: "prj_shop",
  subject: { type: "deployment", id: `dep_${n}` },
  data: { n, environment: "live" },
  ...extra,
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

for (const dialect of testDialects()) {
  describe(`audit log on ${dialect}`, () => {
    let db: Db;
    let audit: AuditService;

    /** Appends events one transaction each, the way features do. */
    async function appendAll(events: AuditAppend[], service = audit): Promise<void> {
      for (const event of events) await db.kysely.transaction().execute((tx) => service.append(tx, event));
    }

    async function tamper(seq: number, set: { data_json?: string; hash?: string }): Promise<void> {
      await auditTable(db).updateTable("audit_events").set(set).where("seq", "=", seq).execute();
    }

    beforeAll(async () => {
      db = await testDb(dialect);
      audit = createAuditService({ db: db.kysely, clock: systemClock, dialect: db.capabilities.dialect });
    });
    afterAll(async () => {
      await db.close();
    });
    beforeEach(async () => {
      await auditTable(db).deleteFrom("audit_events").execute();
    });

    describe("append and list", () => {
      it("chains events from the genesis hash, seq 1, 2, 3", async () => {
        const first = await db.kysely.transaction().execute((tx) => audit.append(tx, promoted(1)));
        const second = await db.kysely.transaction().execute((tx) => audit.append(tx, promoted(2)));

        expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, projectId: "prj_shop", data: { n: 1 } });
        expect(first.hash).toBe(auditHash(first));
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
        expect(second.id).toMatch(/^aud_/);
      });

      it("lists what was appended, newest first, exactly as append returned it", async () => {
        const appended = [];
        for (const n of [1, 2, 3]) appended.push(await db.kysely.transaction().execute((tx) => audit.append(tx, promoted(n))));

        const page = await audit.list({ limit: 10 });

        expect(page).toEqual({ items: appended.reverse(), nextCursor: null });
      });

      it("pages newest first with a keyset cursor until nextCursor is null", async () => {
        await appendAll([1, 2, 3, 4, 5].map((n) => promoted(n)));

        const first = await audit.list({ limit: 2 });
        const second = await audit.list({ limit: 2, before: Number(first.nextCursor) });
        const third = await audit.list({ limit: 2, before: Number(second.nextCursor) });

        expect([first, second, third].map((page) => page.items.map((event) => event.seq))).toEqual([[5, 4], [3, 2], [1]]);
        expect(first.nextCursor).toBe("4");
        expect(third.nextCursor).toBeNull();
      });

      it("filters by project, subject, actor and action, each alone and combined", async () => {
        await appendAll([
          promoted(1),
          promoted(2, { projectId: "prj_other" }),
          promoted(3, { actor: "alice", action: "approval.granted", subject: { type: "approval", id: "apr_1" } }),
          promoted(4, { projectId: null, actor: "system", action: "token.created", subject: { type: "token", id: "tok_1" } }),
          promoted(5, { actor: "alice" }),
        ]);
        const seqs = async (filter: Parameters<AuditService["list"]>[0]) =>
          (await audit.list(filter)).items.map((event) => event.seq);

        expect(await seqs({ limit: 10, projectId: "prj_shop" })).toEqual([5, 3, 1]);
        expect(await seqs({ limit: 10, subjectType: "deployment" })).toEqual([5, 2, 1]);
        expect(await seqs({ limit: 10, subjectType: "deployment", subjectId: "dep_2" })).toEqual([2]);
        expect(await seqs({ limit: 10, actor: "alice" })).toEqual([5, 3]);
        expect(await seqs({ limit: 10, action: "token.created" })).toEqual([4]);
        expect(await seqs({ limit: 10, actor: "alice", subjectType: "approval", projectId: "prj_shop" })).toEqual([3]);
        expect(await seqs({ limit: 1, projectId: "prj_shop", before: 5 })).toEqual([3]);
      });

      it("commits with the caller's transaction: a rolled-back change leaves no event and no gap", async () => {
        await appendAll([promoted(1)]);
        const failing = db.kysely.transaction().execute(async (tx) => {
          await audit.append(tx, promoted(2));
          throw new Error("the state change failed after its audit event");
        });
        await expect(failing).rejects.toThrow("the state change failed");
        await appendAll([promoted(3)]);

        const page = await audit.list({ limit: 10 });
        expect(page.items.map((event) => [event.seq, event.data.n])).toEqual([
          [2, 3],
          [1, 1],
        ]);
        expect(await audit.verify()).toMatchObject({ ok: true, count: 2 });
      });

      it("opens a transaction of its own when given the database instead of one", async () => {
        const event = await audit.append(db.kysely, promoted(1));

        expect(event.seq).toBe(1);
        expect(await audit.verify()).toMatchObject({ ok: true, count: 1, lastHash: event.hash });
      });

      it("stores data as canonical JSON: the returned event is what a later read returns", async () => {
        const event = await audit.append(db.kysely, {
          ...promoted(1),
          data: { z: 1, a: { y: [3, 1], b: null }, at: new Date("2026-01-02T03:04:05.000Z"), skipped: undefined },
        });

        expect(event.data).toEqual({ a: { b: null, y: [3, 1] }, at: "2026-01-02T03:04:05.000Z", z: 1 });
        expect((await audit.list({ limit: 1 })).items[0]).toEqual(event);
        const row = await auditTable(db).selectFrom("audit_events").select("data_json").executeTakeFirstOrThrow();
        expect(row.data_json).toBe('{"a":{"b":null,"y":[3,1]},"at":"2026-01-02T03:04:05.000Z","z":1}');
      });

      it("fails the caller's transaction on an event that could not be verified later", async () => {
        await expect(audit.append(db.kysely, { ...promoted(1), action: "Promoted!" })).rejects.toThrow(/action must look like/);
        await expect(audit.append(db.kysely, { ...promoted(1), actor: "" })).rejects.toThrow(/actor must be/);
        await expect(audit.append(db.kysely, { ...promoted(1), subject: { type: "a:b", id: "x" } })).rejects.toThrow(
          /subject.type/,
        );
        await expect(audit.append(db.kysely, { ...promoted(1), data: { ratio: Number.NaN } })).rejects.toThrow(/no JSON form/);

        expect((await audit.list({ limit: 10 })).items).toEqual([]);
      });
    });

    describe("verify", () => {
      it("reports an empty log as intact, ending at the genesis hash", async () => {
        expect(await audit.verify()).toEqual({ ok: true, count: 0, lastHash: GENESIS_HASH });
      });

      it("walks a chain longer than one page", async () => {
        const paged = createAuditService({ db: db.kysely, clock: systemClock, dialect: db.capabilities.dialect, pageSize: 3 });
        await appendAll(
          [1, 2, 3, 4, 5, 6, 7].map((n) => promoted(n)),
          paged,
        );
        const newest = (await paged.list({ limit: 1 })).items[0];

        expect(await paged.verify()).toEqual({ ok: true, count: 7, lastHash: newest?.hash });
      });

      it("reports the seq whose data_json was edited in the database", async () => {
        await appendAll([1, 2, 3, 4, 5].map((n) => promoted(n)));
        await tamper(3, { data_json: '{"environment":"quant","n":3}' });

        expect(await audit.verify()).toMatchObject({ ok: false, count: 2, brokenSeq: 3, reason: "hash_mismatch" });
      });

      it("accepts data_json rewritten with another key order: the content, not the bytes, is hashed", async () => {
        await appendAll([1, 2].map((n) => promoted(n)));
        await tamper(1, { data_json: '{ "n": 1, "environment": "live" }' });

        expect(await audit.verify()).toMatchObject({ ok: true, count: 2 });
      });

      it("reports a deleted event as a gap at the missing seq", async () => {
        await appendAll([1, 2, 3, 4, 5].map((n) => promoted(n)));
        await auditTable(db).deleteFrom("audit_events").where("seq", "=", 4).execute();

        expect(await audit.verify()).toMatchObject({ ok: false, count: 3, brokenSeq: 4, reason: "seq_gap" });
      });

      it("reports the next event when a tampered event's own hash was recomputed", async () => {
        await appendAll([1, 2, 3, 4, 5].map((n) => promoted(n)));
        const [third] = (await audit.list({ limit: 1, before: 4 })).items;
        if (!third) throw new Error("seq 3 missing");
        const forged = { ...third, data: { ...third.data, environment: "quant" } };
        await tamper(3, { data_json: JSON.stringify(forged.data), hash: auditHash(forged) });

        expect(await audit.verify()).toMatchObject({ ok: false, count: 3, brokenSeq: 4, reason: "prev_hash_mismatch" });
      });

      it("reports data_json that is no longer JSON as malformed instead of failing", async () => {
        await appendAll([1, 2, 3].map((n) => promoted(n)));
        await tamper(2, { data_json: "{not json" });

        expect(await audit.verify()).toMatchObject({ ok: false, count: 1, brokenSeq: 2, reason: "malformed" });
      });
    });

    describe("concurrency", () => {
      it("gives 50 concurrent transactions seq 1..50 in one unforked chain", async () => {
        await Promise.all(
          Array.from({ length: 50 }, (_, index) =>
            db.kysely.transaction().execute(async (tx) => {
              // Work before the append, as a real state change has, widens the window for a race.
              await sql`select count(*) from audit_events`.execute(tx);
              return audit.append(tx, promoted(index + 1));
            }),
          ),
        );

        const seqs = (await audit.list({ limit: 100 })).items.map((event) => event.seq);
        expect(seqs).toEqual(Array.from({ length: 50 }, (_, index) => 50 - index));
        expect(await audit.verify()).toMatchObject({ ok: true, count: 50 });
      });
    });

    describe("export", () => {
      it("streams NDJSON oldest first that verifies offline to the same last hash", async () => {
        const paged = createAuditService({ db: db.kysely, clock: systemClock, dialect: db.capabilities.dialect, pageSize: 2 });
        await appendAll([1, 2, 3, 4, 5].map((n) => promoted(n)));

        const lines = await collect(paged.exportNdjson());

        expect(lines.every((line) => line.endsWith("\n"))).toBe(true);
        expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
        expect(await verifyLines(lines)).toEqual(await audit.verify());
      });

      it("exports only matching events when filtered", async () => {
        await appendAll([promoted(1), promoted(2, { actor: "alice" }), promoted(3)]);

        const lines = await collect(audit.exportNdjson({ actor: "alice" }));

        expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([2]);
      });

      it("stops at the newest event of when it began, however many are appended meanwhile", async () => {
        const paged = createAuditService({ db: db.kysely, clock: systemClock, dialect: db.capabilities.dialect, pageSize: 1 });
        await appendAll([1, 2, 3].map((n) => promoted(n)));

        const lines: string[] = [];
        for await (const line of paged.exportNdjson()) {
          lines.push(line);
          if (lines.length === 1) await appendAll([promoted(4)]);
        }

        expect(lines).toHaveLength(3);
      });

      it("exports a tampered row as it is, so the offline check finds it too", async () => {
        await appendAll([1, 2, 3].map((n) => promoted(n)));
        await tamper(2, { data_json: '{"environment":"quant","n":2}' });

        const offline = await verifyLines(await collect(audit.exportNdjson()));

        expect(offline).toEqual(await audit.verify());
        expect(offline).toMatchObject({ ok: false, brokenSeq: 2, reason: "hash_mismatch" });
      });
    });
  });
}

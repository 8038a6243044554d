import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDb, testDialects } from "../../test/helpers/db.ts";
import type { Db } from "../db/connect.ts";
import { claimJob, completeJob, enqueueJob, heartbeatJob, pokeJob, releaseExpiredLeases, rescheduleJob } from "./jobs.store.ts";

describe.each(testDialects())("job queue store on %s", (dialect) => {
  let db: Db;
  const t0 = new Date("2026-01-01T00:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const claim = (owner: string, now: Date) => claimJob(db.kysely, { owner, leaseMs: 1000, now, capabilities: db.capabilities });

  beforeAll(async () => {
    db = await testDb(dialect);
  });
  afterAll(() => db.close());

  it("hands each due job to exactly one of many concurrent claimers", async () => {
    for (let i = 0; i < 20; i++) await enqueueJob(db.kysely, { type: "t", payload: { i } }, t0);
    const claimed = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(`w${i % 4}`, at(1))));
    const ids = claimed.filter((job) => job !== undefined).map((job) => job.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    for (const job of claimed) if (job) await db.kysely.deleteFrom("jobs").where("id", "=", job.id).execute();
  });

  it("does not hand out a job before its time", async () => {
    await enqueueJob(db.kysely, { type: "later", payload: null, runAt: at(5000) }, t0);
    expect(await claim("w", at(4999))).toBeUndefined();
    const job = await claim("w", at(5000));
    expect(job?.type).toBe("later");
    if (job) await completeJob(db.kysely, job.id, "w");
  });

  it("returns a job whose lease expired and refuses the old owner's heartbeat", async () => {
    await enqueueJob(db.kysely, { type: "lease", payload: null }, t0);
    const job = await claim("dead", at(0));
    expect(job).toBeDefined();
    expect(await releaseExpiredLeases(db.kysely, at(999))).toBe(0);
    expect(await releaseExpiredLeases(db.kysely, at(1001))).toBe(1);
    const again = await claim("alive", at(1002));
    expect(again?.id).toBe(job?.id);
    expect(await heartbeatJob(db.kysely, job?.id ?? "", "dead", at(3000))).toBe(false);
    expect(await heartbeatJob(db.kysely, job?.id ?? "", "alive", at(3000))).toBe(true);
    await completeJob(db.kysely, job?.id ?? "", "alive");
  });

  it("keeps an expired lease the releasing process says it is still running", async () => {
    await enqueueJob(db.kysely, { type: "stalled", payload: null }, t0);
    const job = await claim("slow", at(0));
    expect(job).toBeDefined();
    expect(await releaseExpiredLeases(db.kysely, at(1001), [job?.id ?? ""])).toBe(0);
    expect(await heartbeatJob(db.kysely, job?.id ?? "", "slow", at(3000))).toBe(true);
    expect(await releaseExpiredLeases(db.kysely, at(5000), ["some-other-job"])).toBe(1);
    const again = await claim("other", at(5001));
    expect(again?.id).toBe(job?.id);
    await completeJob(db.kysely, job?.id ?? "", "other");
  });

  it("runs a job poked while it was running again at once instead of later", async () => {
    await enqueueJob(db.kysely, { type: "poke", key: "deployment:1", payload: null }, t0);
    const job = await claim("w", at(0));
    await pokeJob(db.kysely, "deployment:1", at(10));
    await rescheduleJob(db.kysely, { id: job?.id ?? "", owner: "w", runAt: at(60_000), now: at(20), countAttempt: false });
    expect((await claim("w", at(30)))?.id).toBe(job?.id);
    await rescheduleJob(db.kysely, { id: job?.id ?? "", owner: "w", runAt: at(60_000), now: at(40), countAttempt: true });
    expect(await claim("w", at(50))).toBeUndefined();
    await pokeJob(db.kysely, "deployment:1", at(60));
    const woken = await claim("w", at(61));
    expect(woken).toMatchObject({ id: job?.id, attempts: 1 });
  });
});

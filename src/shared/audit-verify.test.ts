import { describe, expect, it } from "vitest";
import type { AuditEvent } from "./audit.api.ts";
import { AuditChainVerifier, auditHash, GENESIS_HASH, type UnhashedAuditEvent, verifyLines } from "./audit-verify.ts";

/** The published vectors of docs/audit.md: any implementation of the chain must reproduce these hashes. */
const FIRST: UnhashedAuditEvent = {
  seq: 1,
  id: "aud_01jd7x3k2m0000000000000000",
  at: "2026-11-25T10:00:00.000Z",
  actor: "ci",
  action: "deployment.promoted",
  projectId: "prj_shop",
  subject: { type: "deployment", id: "dep_1" },
  data: { environment: "live", version: "1.4.0", gates: { passed: true, coverage: 81.5 } },
  prevHash: GENESIS_HASH,
};
const FIRST_HASH = "a752fac79476b0222ae1a9e362cbbec60112148aee5ca151b90437cfbd507044";
const SECOND: UnhashedAuditEvent = {
  seq: 2,
  id: "aud_01jd7x3k2n0000000000000000",
  at: "2026-11-25T10:05:00.000Z",
  actor: "alice",
  action: "approval.granted",
  projectId: null,
  subject: { type: "approval", id: "apr_1" },
  data: { note: 'héllo \u2028 "quoted"', big: 1e21, small: 1e-7, neg0: -0 },
  prevHash: FIRST_HASH,
};
const SECOND_HASH = "12a5bc9d13ee829aaab104e621eaf5651b39507d83f5388ddd9d69abac55f4e9";

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const unhashed = { ...FIRST, seq, id: `aud_${seq}`, data: { n: seq }, prevHash };
    const event = { ...unhashed, hash: auditHash(unhashed) };
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}

const lines = (events: unknown[]) => events.map((event) => JSON.stringify(event));

describe("auditHash", () => {
  it("reproduces the published vectors", () => {
    expect(auditHash(FIRST)).toBe(FIRST_HASH);
    expect(auditHash(SECOND)).toBe(SECOND_HASH);
  });

  it("ignores properties outside the event's fields, and the order of keys in data", () => {
    const reordered = { ...FIRST, data: { gates: { coverage: 81.5, passed: true }, version: "1.4.0", environment: "live" } };
    expect(auditHash({ ...reordered, extra: "x" } as UnhashedAuditEvent)).toBe(FIRST_HASH);
  });
});

describe("verifyLines", () => {
  it("accepts an intact export and returns its length and last hash", async () => {
    const events = chain(5);

    expect(await verifyLines(lines(events))).toEqual({ ok: true, count: 5, lastHash: events[4]?.hash });
  });

  it("accepts an empty export, blank lines and CRLF endings", async () => {
    expect(await verifyLines([])).toEqual({ ok: true, count: 0, lastHash: GENESIS_HASH });
    expect(await verifyLines(["", ...lines(chain(2)).map((line) => `${line}\r`), "  "])).toMatchObject({ ok: true, count: 2 });
  });

  it("reads an async iterable lazily and stops at the break", async () => {
    let read = 0;
    const events = chain(6);
    events[1] = { ...events[1], data: { n: 99 } } as AuditEvent;
    async function* source() {
      for (const line of lines(events)) {
        read += 1;
        yield line;
      }
    }

    expect(await verifyLines(source())).toMatchObject({ ok: false, brokenSeq: 2, reason: "hash_mismatch", count: 1 });
    expect(read).toBe(2);
  });

  it("reports an edited event at its own seq", async () => {
    const events = chain(4);
    events[2] = { ...events[2], actor: "mallory" } as AuditEvent;

    expect(await verifyLines(lines(events))).toMatchObject({ ok: false, count: 2, brokenSeq: 3, reason: "hash_mismatch" });
  });

  it("reports an edited event whose hash was recomputed at the next seq", async () => {
    const events = chain(4);
    const forged = { ...(events[1] as AuditEvent), data: { n: 42 } };
    events[1] = { ...forged, hash: auditHash(forged) };

    expect(await verifyLines(lines(events))).toMatchObject({ ok: false, count: 2, brokenSeq: 3, reason: "prev_hash_mismatch" });
  });

  it("reports a removed, a repeated or a swapped line as a gap at the expected seq", async () => {
    const events = chain(4);

    expect(await verifyLines(lines([events[0], events[2], events[3]]))).toMatchObject({ brokenSeq: 2, reason: "seq_gap" });
    expect(await verifyLines(lines([events[0], events[0]]))).toMatchObject({ brokenSeq: 2, reason: "seq_gap" });
    expect(await verifyLines(lines([events[1], events[0]]))).toMatchObject({ brokenSeq: 1, reason: "seq_gap" });
  });

  it("requires the chain to start at the genesis hash", async () => {
    const [first] = chain(1);
    const rooted = { ...(first as AuditEvent), prevHash: "f".repeat(64) };

    expect(await verifyLines(lines([{ ...rooted, hash: auditHash(rooted) }]))).toMatchObject({
      ok: false,
      brokenSeq: 1,
      reason: "prev_hash_mismatch",
    });
  });

  it("reports a line that is not JSON or not an event as malformed, naming what is wrong", async () => {
    const events = chain(2);

    expect(await verifyLines([...lines(events), "{oops"])).toMatchObject({
      ok: false,
      count: 2,
      brokenSeq: 3,
      reason: "malformed",
      message: expect.stringContaining("line 3 is not JSON"),
    });
    expect(await verifyLines(lines([{ ...events[0], data: "text" }]))).toMatchObject({
      brokenSeq: 1,
      reason: "malformed",
      message: expect.stringContaining("data is not a JSON object"),
    });
    expect(await verifyLines(lines([{ ...events[0], hash: "XYZ" }]))).toMatchObject({ brokenSeq: 1, reason: "malformed" });
  });
});

describe("AuditChainVerifier", () => {
  it("keeps reporting the first break once the chain is broken", () => {
    const verifier = new AuditChainVerifier();
    const [first, second, third] = chain(3);

    expect(verifier.push(first)).toBe(true);
    expect(verifier.push({ ...second, hash: "0".repeat(64) })).toBe(false);
    expect(verifier.push(third)).toBe(false);
    expect(verifier.result()).toMatchObject({ ok: false, brokenSeq: 2, count: 1 });
  });
});

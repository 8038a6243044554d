import type { AuditBreakReason, AuditEvent, AuditVerifyResult } from "./audit.api.ts";
import { canonicalJson } from "./canonical-json.ts";
import { errorMessage } from "./errors.ts";
import { sha256Hex } from "./hashing.ts";

/**
 * The audit chain's rules, pure and shared: the server hashes with them, and anyone holding an export can check it
 * offline with `verifyLines` (the CLI's `audit verify --file`). docs/audit.md describes the same rules in bytes.
 */

/** The `prevHash` of the first event. */
export const GENESIS_HASH = "0".repeat(64);

export type UnhashedAuditEvent = Omit<AuditEvent, "hash">;

/**
 * `sha256hex(prevHash + "\n" + canonicalJson(event without hash))`, over UTF-8. The hashed object is built field by
 * field, so a caller's extra properties can never slip into (or out of) the hash.
 */
export function auditHash(event: UnhashedAuditEvent): string {
  const content = {
    seq: event.seq,
    id: event.id,
    at: event.at,
    actor: event.actor,
    action: event.action,
    projectId: event.projectId,
    subject: { type: event.subject.type, id: event.subject.id },
    data: event.data,
    prevHash: event.prevHash,
  };
  return sha256Hex(`${event.prevHash}\n${canonicalJson(content)}`);
}

const HASH = /^[0-9a-f]{64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the shape of a parsed event; returns what is wrong, or undefined. */
function shapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "not a JSON object";
  const { seq, subject } = value;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return "seq is not a positive integer";
  for (const field of ["id", "at", "actor", "action"] as const) {
    if (typeof value[field] !== "string") return `${field} is not a string`;
  }
  if (value.projectId !== null && typeof value.projectId !== "string") return "projectId is neither a string nor null";
  if (!isRecord(subject) || typeof subject.type !== "string" || typeof subject.id !== "string") {
    return "subject is not {type, id}";
  }
  if (!isRecord(value.data)) return "data is not a JSON object";
  for (const field of ["prevHash", "hash"] as const) {
    const hash = value[field];
    if (typeof hash !== "string" || !HASH.test(hash)) return `${field} is not 64 lowercase hex digits`;
  }
  return undefined;
}

type Failure = Extract<AuditVerifyResult, { ok: false }>;

/**
 * Walks a chain one event at a time, oldest first, from seq 1: constant memory however long the chain is. After the
 * first break it ignores further events; `result()` reports that break.
 */
export class AuditChainVerifier {
  #count = 0;
  #lastSeq = 0;
  #lastHash = GENESIS_HASH;
  #failure: Failure | undefined;

  /** Checks the next event (anything: its shape is checked too). Returns false once the chain is broken. */
  push(candidate: unknown): boolean {
    if (this.#failure) return false;
    const expected = this.#lastSeq + 1;
    const problem = shapeProblem(candidate);
    if (problem !== undefined) {
      const seq = isRecord(candidate) && typeof candidate.seq === "number" ? candidate.seq : expected;
      return this.#fail(Number.isSafeInteger(seq) ? seq : expected, "malformed", `not an audit event: ${problem}`);
    }
    const event = candidate as AuditEvent;
    if (event.seq !== expected) {
      const what = event.seq < expected ? `seq ${event.seq} again or out of order` : `seq ${event.seq}`;
      return this.#fail(expected, "seq_gap", `seq gap: expected seq ${expected}, found ${what}`);
    }
    if (event.prevHash !== this.#lastHash) {
      return this.#fail(
        event.seq,
        "prev_hash_mismatch",
        `prevHash mismatch: the event links to ${event.prevHash.slice(0, 12)}…, but seq ${this.#lastSeq} hashes to ${this.#lastHash.slice(0, 12)}…`,
      );
    }
    const actual = auditHash(event);
    if (actual !== event.hash) {
      return this.#fail(
        event.seq,
        "hash_mismatch",
        `hash mismatch: the event's content hashes to ${actual.slice(0, 12)}…, not to its recorded ${event.hash.slice(0, 12)}…`,
      );
    }
    this.#count += 1;
    this.#lastSeq = event.seq;
    this.#lastHash = event.hash;
    return true;
  }

  /** Records a `malformed` break at the next seq, for input that could not even be parsed. */
  reject(message: string): false {
    return this.#failure ? false : this.#fail(this.#lastSeq + 1, "malformed", message);
  }

  result(): AuditVerifyResult {
    return this.#failure ?? { ok: true, count: this.#count, lastHash: this.#lastHash };
  }

  #fail(brokenSeq: number, reason: AuditBreakReason, message: string): false {
    this.#failure = { ok: false, count: this.#count, brokenSeq, reason, message };
    return false;
  }
}

/**
 * Verifies an NDJSON export (one event per line, oldest first, the whole chain from seq 1). Blank lines and `\r\n`
 * endings are tolerated; a line that is not JSON is a `malformed` break. Reads `lines` lazily and stops at the break.
 */
export async function verifyLines(lines: Iterable<string> | AsyncIterable<string>): Promise<AuditVerifyResult> {
  const verifier = new AuditChainVerifier();
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    const text = line.trim();
    if (text === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      verifier.reject(`line ${lineNumber} is not JSON: ${errorMessage(error)}`);
      break;
    }
    if (!verifier.push(parsed)) break;
  }
  return verifier.result();
}

import { type Static, Type } from "typebox";
import { Nullable, PageQuery, Slug } from "./api.ts";

/** Bodies of the audit API: the hash-chained event log, its verification and its NDJSON export. */

const Hash = Type.String({ pattern: "^[0-9a-f]{64}$", description: "SHA-256, lowercase hex" });

export const AuditSubject = Type.Object({ type: Type.String(), id: Type.String() });
export type AuditSubject = Static<typeof AuditSubject>;

/**
 * One event exactly as it is hashed (plus its `hash`): the export writes these objects one per line, and
 * `verifyLines` recomputes each hash from the other fields (docs/audit.md).
 */
export const AuditEvent = Type.Object({
  seq: Type.Integer({ minimum: 1, description: "position in the chain: 1, 2, 3, … without gaps" }),
  id: Type.String(),
  at: Type.String({ format: "date-time" }),
  actor: Type.String({ description: "token name, user, or `system` for jobs" }),
  action: Type.String({ description: "what happened, e.g. `deployment.promoted`" }),
  projectId: Nullable(Type.String()),
  subject: AuditSubject,
  data: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Hash,
  hash: Hash,
});
export type AuditEvent = Static<typeof AuditEvent>;

export const AuditBreakReason = Type.Union([
  Type.Literal("seq_gap"),
  Type.Literal("prev_hash_mismatch"),
  Type.Literal("hash_mismatch"),
  Type.Literal("malformed"),
]);
export type AuditBreakReason = Static<typeof AuditBreakReason>;

export const AuditVerifyResult = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    count: Type.Integer({ description: "events checked" }),
    lastHash: Type.String({ description: "hash of the newest event (64 zeros for an empty log): keep it to detect truncation" }),
  }),
  Type.Object({
    ok: Type.Literal(false),
    count: Type.Integer({ description: "events that checked out before the break" }),
    brokenSeq: Type.Integer({ description: "the first seq that does not check out (for a gap: the missing one)" }),
    reason: AuditBreakReason,
    message: Type.String(),
  }),
]);
export type AuditVerifyResult = Static<typeof AuditVerifyResult>;

const AuditFilterQuery = Type.Object({
  project: Type.Optional(Slug),
  subject: Type.Optional(
    Type.String({
      pattern: "^[a-z][a-z0-9_-]{0,63}(:.{1,200})?$",
      description: "`type` or `type:id`, e.g. `deployment:dep_01jd…`",
    }),
  ),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const AuditListQuery = Type.Intersect([PageQuery, AuditFilterQuery]);
export type AuditListQuery = Static<typeof AuditListQuery>;

export const AuditExportQuery = AuditFilterQuery;
export type AuditExportQuery = Static<typeof AuditExportQuery>;

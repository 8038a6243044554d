export type { AuditEvent, AuditVerifyResult } from "../../shared/audit.api.ts";

/** What a feature records: called inside the transaction of the state change it describes. */
export interface AuditAppend {
  /** Token or user name; `system` for jobs. */
  actor: string;
  /** `<noun>.<past-tense verb>`, e.g. `deployment.promoted`, `approval.granted`. */
  action: string;
  projectId?: string | null;
  /** What the event is about; `type` is a lowercase word, `id` its id (`{ type: "deployment", id: "dep_…" }`). */
  subject: { type: string; id: string };
  /** Anything JSON can carry (no NaN, Infinity, BigInt or cycles); stored and hashed as canonical JSON. */
  data?: Record<string, unknown>;
}

/** Equality filters of list and export; every one has an index ending in seq. */
export interface AuditFilter {
  projectId?: string;
  subjectType?: string;
  subjectId?: string;
  actor?: string;
  action?: string;
}

/** A stored event as the store hands it over: `dataJson` unparsed, so a tampered row can still be reported. */
export interface AuditRecord {
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  projectId: string | null;
  subjectType: string;
  subjectId: string;
  dataJson: string;
  prevHash: string;
  hash: string;
}

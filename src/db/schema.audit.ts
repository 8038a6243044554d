/**
 * The audit log's table (migration 0004_audit). Kept apart from `schema.ts` like `schema.commit-status.ts`, so the
 * feature lands without touching the shared file; `Database & AuditDatabase` is the full shape once both are migrated.
 */
export interface AuditEventsTable {
  /** 1, 2, 3, … assigned by the appending transaction (never by the database), so the chain has no gaps. */
  seq: number;
  id: string;
  at: string;
  actor: string;
  action: string;
  /** No foreign key: deleting a project must never delete (and so break) the chain. */
  project_id: string | null;
  subject_type: string;
  subject_id: string;
  /** Canonical JSON of the event's data (shared/canonical-json.ts). */
  data_json: string;
  prev_hash: string;
  hash: string;
}

export interface AuditDatabase {
  audit_events: AuditEventsTable;
}

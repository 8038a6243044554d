/**
 * Tables of the commit-status feature (migration 0003_commit_status). Kept apart from `schema.ts` so the feature can land
 * without touching the shared file; `Database & CommitStatusDatabase` is the full shape once both are migrated.
 */
export interface CommitStatusDeliveriesTable {
  id: string;
  project_id: string;
  run_id: string;
  provider: string;
  sha: string;
  /** What was (or will be) posted: success | failure | error | pending, in GitHub's words. */
  state: string;
  /** pending (queued or retrying) | delivered | failed (gave up or refused). */
  status: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface CommitStatusDatabase {
  commit_status_deliveries: CommitStatusDeliveriesTable;
}

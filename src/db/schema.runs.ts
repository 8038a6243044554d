import { type Generated, type RawBuilder, sql } from "kysely";

/** A pipeline run: one execution of a job (every deployment makes one). Timestamps ISO text like every other table. */
export interface RunsTable {
  id: string;
  project_id: string;
  name: string;
  environment: string | null;
  release_version: string | null;
  commit_sha: string | null;
  /** Set when a deployment made the run; unique, so a deployment has at most one run. */
  deployment_id: string | null;
  external_id: string | null;
  attributes_json: string | null;
  /** running | succeeded | failed | unknown */
  status: string;
  ingest_token_hash: string;
  created_by: string | null;
  created_at: string;
  ended_at: string | null;
  updated_at: string;
  /** When retention deleted the run's log records and metric samples (the run, its counts and alerts stay). */
  purged_at: string | null;
  /** The run's key in `run_logs.run_key` (0022_run_logs_key): unique, given on insert. */
  log_key: Generated<number>;
}

/**
 * One log record. `ts` is epoch milliseconds (integers sort and bucket fast on both dialects); `id` breaks ties.
 * `run_key` is the run's `log_key`, not its id: an integer in every record and index instead of 30 characters.
 */
export interface RunLogsTable {
  id: Generated<number>;
  run_key: number;
  ts: number;
  node: string;
  level: string;
  severity: number;
  msg: string;
  attrs_json: string | null;
  trace_id: string | null;
  span_id: string | null;
  /** Bit 1: timestamp clamped; bit 2: message or attributes truncated. */
  flags: number;
}

/**
 * The run's `log_key` as a scalar subquery, for `run_logs.run_key` (`where("run_key", "=", runKeyOf(id))`): one statement,
 * and both databases evaluate it once and then use the index. NULL, so nothing matches, for a run that does not exist.
 */
export function runKeyOf(runId: string): RawBuilder<number> {
  return sql<number>`(select log_key from runs where id = ${runId})`;
}

/** Per node of a run: first/last record time and record counts by level, kept up to date at ingest. */
export interface RunNodesTable {
  run_id: string;
  node: string;
  first_ts: number;
  last_ts: number;
  /** Wall-clock time (ms) the node last sent anything: a node that stops reporting is flagged from this. */
  last_seen_at: number;
  records: number;
  debug: number;
  info: number;
  warn: number;
  error: number;
  fatal: number;
  /** Estimated stored size of the node's log records (message + attributes + a fixed overhead each), for retention. */
  bytes: Generated<number>;
}

/** Error and fatal records grouped by fingerprint (message with numbers, ids, paths and hex normalised). */
export interface RunErrorGroupsTable {
  run_id: string;
  fingerprint: string;
  template: string;
  count: number;
  first_ts: number;
  last_ts: number;
  example_msg: string;
  example_stack: string | null;
  example_node: string;
}

export interface RunErrorNodesTable {
  run_id: string;
  fingerprint: string;
  node: string;
}

/** One metric sample. `gpu` is "" for host metrics; `labels_json` holds the remaining labels ("" for none). */
export interface RunMetricsTable {
  run_id: string;
  name: string;
  node: string;
  gpu: string;
  labels_json: string;
  ts: number;
  value: number;
}

export interface RunAlertsTable {
  id: string;
  run_id: string;
  rule: string;
  severity: string;
  /** firing | resolved */
  state: string;
  message: string;
  value: number | null;
  fired_at: string;
  resolved_at: string | null;
  notified: number;
}

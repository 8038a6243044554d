/**
 * The name search index of test cases (migration 0014_perf): every 400 consecutive cases of a stored file as one row of
 * lower-cased `classname\tname` lines, so a substring search scans a few hundred short texts instead of every case row.
 */
export interface TestCaseNamesTable {
  file_id: string;
  /** `seq` of the chunk's first case; line i of `names` is case `first_seq + i`. */
  first_seq: number;
  last_seq: number;
  names: string;
}

/**
 * Every stored case's test key of a completed run, in key order (migration 0020_reports_perf): written once when the run
 * completes, sorted, so it is an append instead of 200k random inserts into a `(test_key, …)` index of every run ever
 * stored. Serves the per-test history (a probe per recent run), new failures / fixed / flaky probes and added/removed
 * (a merge of two runs' keys in order).
 */
export interface TestCaseKeysTable {
  run_id: string;
  test_key: string;
  file_id: string;
  seq: number;
  status: string;
}

// The table joins the Database interface here, next to its definition (schema.ts imports this file).
declare module "./schema.ts" {
  interface Database {
    test_case_keys: TestCaseKeysTable;
  }
}

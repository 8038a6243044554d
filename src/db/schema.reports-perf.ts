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

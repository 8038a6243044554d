/** One analysed Spark event log attached to a run, under a name unique within the run (a PUT replaces it). */
export interface SparkAnalysesTable {
  id: string;
  run_id: string;
  name: string;
  /** The analysis without its findings (application, counts, totals, stages, executors, failures, source), as JSON. */
  summary_json: string;
  /** The findings, most severe first, as JSON. */
  findings_json: string;
  /** Number of critical findings, so the run page and gates can ask without parsing JSON. */
  critical: number;
  /** 1 when the log covers a finished application, 0 otherwise (an integer: the same value on both dialects). */
  complete: number;
  created_at: string;
}

export interface SparkDatabase {
  spark_analyses: SparkAnalysesTable;
}

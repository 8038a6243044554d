import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type {
  Severity,
  SparkAnalysis,
  ExecutorSummary as SparkExecutor,
  Finding as SparkFinding,
  StageSummary as SparkStage,
} from "../../../src/shared/spark.api.ts";
import { api, path, withQuery } from "./client.ts";
import type { PageOf } from "./types.ts";

export type { Severity, SparkAnalysis, SparkExecutor, SparkFinding, SparkStage };

// ── types (the JSON of src/features/runs and src/features/spark routes) ──────────────────────────────────────────────
export type RunStatus = "running" | "succeeded" | "failed" | "unknown";

export interface Run {
  id: string;
  project: string;
  name: string;
  environment: string | null;
  releaseVersion: string | null;
  commitSha: string | null;
  deploymentId: string | null;
  externalId: string | null;
  attributes: Record<string, string>;
  status: RunStatus;
  createdBy: string | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number;
}

export interface RunAlert {
  id: string;
  rule: string;
  severity: string;
  state: "firing" | "resolved";
  message: string;
  value: number | null;
  firedAt: string;
  resolvedAt: string | null;
}

export interface RunFigures {
  runId: string;
  status: string;
  durationMs: number;
  errors: number;
  gpuUtilizationAvg: number | null;
  gpuMemoryPeakMib: number | null;
  hostMemoryPeakPct: number | null;
}

export interface RunNode {
  node: string;
  firstRecordAt: string;
  lastRecordAt: string;
  lastSeenAt: string;
  records: number;
  levels: Record<string, number>;
}

export interface RunError {
  fingerprint: string;
  template: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  nodes: string[];
  example: { message: string; stack: string | null; node: string };
}

export interface RunFinding {
  source: string;
  subject: string;
  code: string;
  severity: Severity;
  title: string;
  advice: string;
}

export interface RunSummary {
  run: Run;
  records: number;
  nodes: RunNode[];
  topErrors: RunError[];
  metrics: { name: string; node: string; gpu: string; min: number; avg: number; max: number; samples: number }[];
  alerts: RunAlert[];
  findings: { critical: number; warning: number; info: number; top: RunFinding[] };
  comparison: {
    current: RunFigures;
    previousRun: RunFigures | null;
    previousEnvironment: (RunFigures & { environment: string | null }) | null;
  };
}

export interface LogRecord {
  id: number;
  ts: string;
  node: string;
  level: string;
  msg: string;
  attributes: Record<string, unknown> | null;
  clamped: boolean;
  truncated: boolean;
}

export interface MetricSeries {
  node: string;
  gpu: string;
  labels: Record<string, string>;
  points: { ts: string; min: number; avg: number; max: number; count: number }[];
}

export interface MetricAnswer {
  name: string;
  from: string;
  to: string;
  stepMs: number;
  series: MetricSeries[];
}

export interface SparkListItem {
  runId: string;
  name: string;
  complete: boolean;
  critical: number;
  createdAt: string;
  findings: SparkFinding[];
}

export interface SparkComparison {
  previousRunId: string;
  durationMs: { base: number | null; current: number | null; deltaMs: number | null; ratio: number | null };
  slowerStages: { stageName: string; occurrence: number; baseMs: number; currentMs: number; ratio: number }[];
  newFindings: SparkFinding[];
  resolvedFindings: SparkFinding[];
}

export interface SparkView {
  runId: string;
  name: string;
  createdAt: string;
  analysis: SparkAnalysis;
  comparison: SparkComparison | null;
}

// ── hooks ─────────────────────────────────────────────────────────────────────────────────────────────────────────
const liveEvery = (status: RunStatus | undefined) => (status === "running" ? 5000 : false);

export function useRuns(
  slug: string,
  filter: { cursor?: string | undefined; environment?: string | undefined; status?: string | undefined },
) {
  return useQuery({
    queryKey: ["runs", slug, filter],
    queryFn: () => api<PageOf<Run>>(path`/projects/${slug}/runs`, { query: { limit: 30, ...filter } }),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}

export function useRunSummary(id: string) {
  return useQuery({
    queryKey: ["run-summary", id],
    queryFn: () => api<RunSummary>(path`/runs/${id}/summary`),
    refetchInterval: (query) => liveEvery(query.state.data?.run.status),
  });
}

export function useRunMetric(id: string, name: string, live: boolean) {
  return useQuery({
    queryKey: ["run-metric", id, name],
    queryFn: () => api<MetricAnswer>(path`/runs/${id}/metrics`, { query: { name, buckets: 120 } }),
    refetchInterval: live ? 10_000 : false,
  });
}

export function useSparkList(id: string) {
  return useQuery({ queryKey: ["spark", id], queryFn: () => api<{ items: SparkListItem[] }>(path`/runs/${id}/spark`) });
}

export function useSparkView(id: string, name: string | undefined) {
  return useQuery({
    queryKey: ["spark", id, name],
    queryFn: () => api<SparkView>(path`/runs/${id}/spark/${name ?? ""}`),
    enabled: Boolean(name),
  });
}

/** The run a deployment created (named `deploy:<environment>`), if any. */
export function useDeploymentRun(d: { id: string; project: string; environment: string; status: string }) {
  return useQuery({
    queryKey: ["deployment-run", d.id, d.status],
    queryFn: async () => {
      const page = await api<PageOf<Run>>(path`/projects/${d.project}/runs`, {
        query: { name: `deploy:${d.environment}`, environment: d.environment, limit: 100 },
      });
      return page.items.find((r) => r.deploymentId === d.id) ?? null;
    },
  });
}

export interface LogFilter {
  nodes: string[];
  level: string;
  q: string;
}

const PAGE = 1000;

function logQuery(filter: LogFilter) {
  return { node: filter.nodes.join(","), level: filter.level, q: filter.q };
}

const cursorAfter = (r: LogRecord) =>
  btoa(`${Date.parse(r.ts)}:${r.id}`)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/**
 * The merged log of a run: the last 1,000 matching records, older pages on demand, and (while `live`) new records as
 * they arrive over the SSE tail, starting right after the last one loaded.
 */
export function useRunLog(id: string, filter: LogFilter, live: boolean) {
  const [state, setState] = useState<{
    records: LogRecord[];
    older: string | null;
    loading: boolean;
    error: string | null;
  }>({ records: [], older: null, loading: true, error: null });
  const key = JSON.stringify(filter);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the filter, serialised
  useEffect(() => {
    const abort = new AbortController();
    let source: EventSource | null = null;
    let frame = 0;
    setState({ records: [], older: null, loading: true, error: null });
    void (async () => {
      try {
        const page = await api<{ items: LogRecord[]; nextCursor: string | null }>(path`/runs/${id}/logs`, {
          query: { ...logQuery(filter), order: "desc", limit: PAGE },
          signal: abort.signal,
        });
        const records = [...page.items].reverse();
        setState({ records, older: page.nextCursor, loading: false, error: null });
        if (!live || abort.signal.aborted) return;
        const last = records[records.length - 1];
        const url = withQuery(`/api/v1/runs/${encodeURIComponent(id)}/logs/tail`, {
          ...logQuery(filter),
          ...(last ? { cursor: cursorAfter(last) } : {}),
        });
        source = new EventSource(url, { withCredentials: true });
        let arrived: LogRecord[] = [];
        source.addEventListener("record", (event) => {
          arrived.push(JSON.parse((event as MessageEvent<string>).data) as LogRecord);
          frame ||= requestAnimationFrame(() => {
            frame = 0;
            const batch = arrived;
            arrived = [];
            setState((s) => ({ ...s, records: s.records.concat(batch) }));
          });
        });
        source.addEventListener("end", () => source?.close());
        // EventSource would reconnect from the first cursor and repeat records: stop and say so instead.
        source.onerror = () => {
          if (source?.readyState === EventSource.CLOSED || abort.signal.aborted) return;
          source?.close();
          setState((s) => ({ ...s, error: "The live tail lost its connection. Reload to resume." }));
        };
      } catch (error) {
        if (abort.signal.aborted) return;
        setState((s) => ({ ...s, loading: false, error: error instanceof Error ? error.message : String(error) }));
      }
    })();
    return () => {
      abort.abort();
      source?.close();
      cancelAnimationFrame(frame);
    };
  }, [id, key, live]);

  const loadOlder = async () => {
    if (!state.older) return;
    const page = await api<{ items: LogRecord[]; nextCursor: string | null }>(path`/runs/${id}/logs`, {
      query: { ...logQuery(filter), order: "desc", limit: PAGE, cursor: state.older },
    });
    setState((s) => ({ ...s, records: [...page.items].reverse().concat(s.records), older: page.nextCursor }));
  };

  return { ...state, loadOlder };
}

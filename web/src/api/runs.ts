import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { LogRecord, MetricAnswer, Run, RunStatus, RunSummary } from "../../../src/shared/runs.api.ts";
import type { SparkAnalysis, Finding as SparkFinding } from "../../../src/shared/spark.api.ts";
import { api, path, withQuery } from "./client.ts";
import type { PageOf } from "./types.ts";

export type {
  Alert as RunAlert,
  LogRecord,
  MetricAnswer,
  MetricSeries,
  Run,
  RunError,
  RunFigures,
  RunFinding,
  RunNode,
  RunStatus,
  RunSummary,
} from "../../../src/shared/runs.api.ts";
export type {
  ExecutorSummary as SparkExecutor,
  Finding as SparkFinding,
  Severity,
  SparkAnalysis,
  StageSummary as SparkStage,
} from "../../../src/shared/spark.api.ts";

import { errorMessage } from "../../../src/shared/errors.ts";

// ── types (the JSON of src/features/spark routes; runs: src/shared/runs.api.ts) ────────────────────────────────────
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
        setState((s) => ({ ...s, loading: false, error: errorMessage(error) }));
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

import type { PageOf } from "../shared/api.ts";
import type { Alert, RunStatus, RunSummary } from "../shared/runs.api.ts";
import { readLines } from "./lines.ts";
import { ApiTransport, path } from "./transport.ts";

/** How a run may end (`POST /runs/{id}/end`), and every status a run has. */
export const RUN_END_STATUSES = ["succeeded", "failed", "unknown"] as const satisfies readonly RunStatus[];
export type RunEndStatus = (typeof RUN_END_STATUSES)[number];
export const RUN_STATUSES = ["running", ...RUN_END_STATUSES] as const satisfies readonly RunStatus[];

/** Shapes of the runs API (the server's route schemas in features/runs are the contract). */
export interface RunDto {
  id: string;
  project: string;
  name: string;
  environment: string | null;
  releaseVersion: string | null;
  commitSha?: string | null;
  deploymentId?: string | null;
  externalId?: string | null;
  attributes?: Record<string, string>;
  status: RunStatus;
  createdBy?: string | null;
  createdAt: string;
  endedAt: string | null;
  durationMs: number;
  /** When retention deleted the run's log records and metric samples. */
  purgedAt?: string | null;
  ingestToken?: string;
}

export interface LogRecordDto {
  id: number;
  ts: string;
  node: string;
  level: string;
  msg: string;
  attributes: Record<string, unknown> | null;
}

export interface LogQuery {
  node?: string;
  level?: string;
  q?: string;
  /** ISO-8601 or epoch ms; `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
  order?: "asc" | "desc";
  limit?: number;
  cursor?: string;
}

export interface RunListQuery {
  name?: string;
  environment?: string;
  status?: RunStatus;
  limit?: number;
  cursor?: string;
}

export interface IngestAnswer {
  accepted: number;
  rejected: number;
  errors: { line: number; reason: string }[];
}

/**
 * The pipeline-runs API: create and end runs, send NDJSON logs and metric scrapes (with the run's ingest token or an API
 * token), query and live-tail the merged log of every node.
 */
export class RunsClient extends ApiTransport {
  createRun(
    project: string,
    body: {
      name: string;
      environment?: string;
      releaseVersion?: string;
      externalId?: string;
      attributes?: Record<string, string>;
    },
  ): Promise<RunDto> {
    return this.json(path`/api/v1/projects/${project}/runs`, { method: "POST", json: body });
  }

  getRun(id: string): Promise<RunDto> {
    return this.json(path`/api/v1/runs/${id}`);
  }

  /** One page of a project's runs, newest first; follow `nextCursor` (or use `paginate`) for the rest. */
  listRuns(project: string, query: RunListQuery = {}): Promise<PageOf<RunDto>> {
    return this.json(path`/api/v1/projects/${project}/runs`, { query: { ...query } });
  }

  /** Ends a running run; the run's own ingest token may do this (a job ends its run), as may an API token. */
  endRun(id: string, status: RunEndStatus): Promise<RunDto> {
    return this.json(path`/api/v1/runs/${id}/end`, { method: "POST", json: { status } });
  }

  /** The run page: duration, nodes, top errors, metrics, alerts, findings and comparisons. */
  summary(id: string): Promise<RunSummary> {
    return this.json(path`/api/v1/runs/${id}/summary`);
  }

  async alerts(id: string): Promise<Alert[]> {
    return (await this.json<{ items: Alert[] }>(path`/api/v1/runs/${id}/alerts`)).items;
  }

  logs(id: string, query: LogQuery): Promise<{ items: LogRecordDto[]; nextCursor: string | null }> {
    return this.json(path`/api/v1/runs/${id}/logs`, { query: { ...query } });
  }

  /** Records as the server streams them (SSE `record` events) until the run ends or `signal` aborts. */
  async *tail(id: string, query: LogQuery & { follow: boolean }, signal?: AbortSignal): AsyncGenerator<LogRecordDto> {
    const { response } = await this.send(path`/api/v1/runs/${id}/logs/tail`, {
      query: { ...query },
      accept: "text/event-stream",
      ...(signal ? { signal } : {}),
    });
    if (!response.body) return;
    let event = "";
    try {
      for await (const line of readLines(response.body)) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ") && event === "record") yield JSON.parse(line.slice(6)) as LogRecordDto;
        else if (line === "" && event === "end") return;
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  pushMetrics(id: string, format: "prometheus" | "nvidia-smi", body: string, query: { node?: string; intervalMs?: number }) {
    return this.json<IngestAnswer>(path`/api/v1/runs/${id}/metrics/${format}`, {
      method: "POST",
      query: { ...query },
      text: { body, contentType: format === "prometheus" ? "text/plain" : "text/csv" },
    });
  }

  pushLogs(id: string, ndjson: string, node?: string) {
    return this.json<IngestAnswer>(path`/api/v1/runs/${id}/logs`, {
      method: "POST",
      query: { node },
      text: { body: ndjson, contentType: "application/x-ndjson" },
    });
  }
}

import { readLines } from "./lines.ts";
import { ApiTransport, path } from "./transport.ts";

/** Shapes of the runs API (the server's route schemas in features/runs are the contract). */
export interface RunDto {
  id: string;
  project: string;
  name: string;
  environment: string | null;
  releaseVersion: string | null;
  status: string;
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
  order?: "asc" | "desc";
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

  endRun(id: string, status: "succeeded" | "failed" | "unknown"): Promise<RunDto> {
    return this.json(path`/api/v1/runs/${id}/end`, { method: "POST", json: { status } });
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

import { pipeline, Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { PageOf } from "../shared/api.ts";
import type { CreateReportRunBody, ReportFile, ReportRun, ReportRunDetail, TestCounts } from "../shared/reports.api.ts";
import type { PageRequest } from "./paginate.ts";
import { ApiTransport, path } from "./transport.ts";

/** Per kind of tests, a commit's verdict merged over its completed runs (retries, shards): what gates judge. */
export interface CommitKindReport {
  kind: string;
  /** Completed runs of this kind, newest first. */
  runs: string[];
  tests: TestCounts;
  /** Tests that failed and never passed on this commit. */
  failing: string[];
  /** Tests that both failed and passed on this commit, or that the tool marked flaky. */
  flaky: string[];
  coverage: { lines: number | null; branches: number | null; runId: string } | null;
  patchCoverage: { pct: number | null; runId: string } | null;
}

export interface CommitReport {
  commitSha: string;
  runs: ReportRun[];
  kinds: CommitKindReport[];
}

export interface ReportRunQuery extends PageRequest {
  branch?: string;
  kind?: string;
  commit?: string;
}

export interface UploadReportOptions {
  /** Compress on the fly (node:zlib) and send `Content-Encoding: gzip`; the server inflates while it parses. */
  gzip?: boolean;
  /** `auto` (default: the server tells from the content), `junit`, `lcov`, `cobertura`, `jacoco`, … */
  format?: string;
  /** Called with the bytes of `source` consumed so far (before compression), as they are sent. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** The reports API: open a run for a commit, stream its files in, complete it, read reports back. */
export class ReportsClient extends ApiTransport {
  async createReportRun(slug: string, body: CreateReportRunBody): Promise<ReportRun> {
    return this.json(path`/api/v1/projects/${slug}/report-runs`, { method: "POST", json: body });
  }

  /**
   * Streams one report file into an open run. The file is never held in memory: chunks are read, compressed and
   * sent as the connection takes them. A file of the same `name` in the run is replaced. Throws `ApiError` 422
   * (`invalid_report`, `unknown_report_format`: the message names the line and column) or 413 (`payload_too_large`).
   */
  async uploadReportFile(
    runId: string,
    name: string,
    source: ByteSource,
    options: UploadReportOptions = {},
  ): Promise<ReportFile> {
    const state: SourceState = { answered: false };
    const counted = countBytes(source, { ...(options.onProgress ? { onProgress: options.onProgress } : {}), state });
    const body = options.gzip ? gzipped(counted) : counted;
    try {
      return await this.json<ReportFile>(path`/api/v1/report-runs/${runId}/files/${name}`, {
        method: "PUT",
        query: { format: options.format ?? "auto" },
        stream: {
          body: ReadableStream.from(body),
          contentType: "application/octet-stream",
          ...(options.gzip ? { contentEncoding: "gzip" } : {}),
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // fetch reports a failing body as a failed request; the cause is the file, not the server.
      throw "error" in state ? state.error : error;
    } finally {
      state.answered = true;
    }
  }

  /** Closes a run: the server computes totals, merged coverage and patch coverage. Completing again recomputes. */
  async completeReportRun(runId: string): Promise<ReportRun> {
    return this.json(path`/api/v1/report-runs/${runId}/complete`, { method: "POST" });
  }

  /** A run with its failures, flaky and slowest tests, and the comparison with its base run. */
  async getReportRun(runId: string): Promise<ReportRunDetail> {
    return this.json(path`/api/v1/report-runs/${runId}`);
  }

  /** Per kind, the verdict over all completed runs of a commit: what promotion gates judge. */
  async commitReport(slug: string, commitSha: string): Promise<CommitReport> {
    return this.json(path`/api/v1/projects/${slug}/commits/${commitSha}/report`);
  }

  /** Runs of a project, newest first. */
  async listReportRuns(slug: string, query: ReportRunQuery = {}): Promise<PageOf<ReportRun>> {
    return this.json(path`/api/v1/projects/${slug}/report-runs`, { query: { ...query } });
  }
}

interface SourceState {
  /** The server has answered: a rejection (422 at line 3) can come long before the end of a large file. */
  answered: boolean;
  /** Reading the source failed. */
  error?: unknown;
}

async function* countBytes(
  source: ByteSource,
  options: { onProgress?: (bytes: number) => void; state: SourceState },
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  try {
    for await (const chunk of source) {
      // fetch keeps sending the body after an early answer; ending it here stops reading a file nobody wants.
      if (options.state.answered) return;
      bytes += chunk.byteLength;
      options.onProgress?.(bytes);
      yield chunk;
    }
  } catch (error) {
    options.state.error = error;
    throw error;
  }
}

function gzipped(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  // pipeline() destroys every stream on a failure, so an error reading the source surfaces when the gzip output is read.
  return pipeline(Readable.from(source), createGzip(), () => undefined);
}

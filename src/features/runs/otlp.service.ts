import { errorMessage } from "../../shared/errors.ts";
import { type IngestCredentials, mayWrite } from "./ingest.auth.ts";
import type { RecordParts } from "./logs.normalize.ts";
import { type LogsService, MAX_BATCH_RECORDS } from "./logs.service.ts";
import type { MetricsService } from "./metrics.service.ts";
import { logsFromOtlp, metricsFromOtlp, type ResourceBatch } from "./otlp.convert.ts";
import type { RunsService } from "./runs.service.ts";
import type { MetricPoint, RunRecord } from "./runs.types.ts";

export interface OtlpOutcome {
  /** Records (or data points) not stored, and why: the OTLP partial-success answer. */
  rejected: number;
  errorMessage: string;
}

/**
 * OTLP export requests: each resource's records go to the run named by its `stagegate.run.id` attribute, else to the
 * ingest token's run. Resources without a usable run are rejected (counted), the rest stored: partial success.
 */
export function createOtlpService(deps: {
  runs: Pick<RunsService, "getRun">;
  logs: Pick<LogsService, "ingestParsed">;
  metrics: Pick<MetricsService, "ingestPoints">;
  now: () => number;
}) {
  async function routeBatches<T>(
    batches: ResourceBatch<T>[],
    credentials: IngestCredentials,
    store: (run: RunRecord, items: T[]) => Promise<number>,
  ): Promise<OtlpOutcome> {
    let rejected = 0;
    const reasons = new Set<string>();
    for (const batch of batches) {
      if (batch.items.length === 0) continue;
      const runId = batch.runId ?? (credentials.kind === "run" ? credentials.run.id : undefined);
      if (!runId) {
        rejected += batch.items.length;
        reasons.add("a resource has no stagegate.run.id attribute and the token is not a run's ingest token");
        continue;
      }
      const run = await deps.runs.getRun(runId).catch(() => undefined);
      const refused = run ? mayWrite(credentials, run) : `run ${runId} does not exist`;
      if (!run || refused) {
        rejected += batch.items.length;
        reasons.add(refused ?? `run ${runId} does not exist`);
        continue;
      }
      try {
        rejected += batch.items.length - (await store(run, batch.items));
      } catch (error) {
        rejected += batch.items.length;
        reasons.add(errorMessage(error));
      }
    }
    return { rejected, errorMessage: [...reasons].join("; ") };
  }

  async function storeLogs(run: RunRecord, items: RecordParts[]): Promise<number> {
    let stored = 0;
    for (let i = 0; i < items.length; i += MAX_BATCH_RECORDS) {
      stored += (await deps.logs.ingestParsed(run, items.slice(i, i + MAX_BATCH_RECORDS), "default")).accepted;
    }
    return stored;
  }

  return {
    async exportLogs(body: unknown, credentials: IngestCredentials): Promise<OtlpOutcome> {
      const { batches, invalid } = logsFromOtlp(body);
      const outcome = await routeBatches(batches, credentials, storeLogs);
      return invalid
        ? { rejected: outcome.rejected + invalid, errorMessage: `${invalid} malformed entries; ${outcome.errorMessage}` }
        : outcome;
    },
    async exportMetrics(body: unknown, credentials: IngestCredentials): Promise<OtlpOutcome> {
      const { batches, invalid } = metricsFromOtlp(body, deps.now());
      const outcome = await routeBatches<MetricPoint>(batches, credentials, (run, items) =>
        deps.metrics.ingestPoints(run, items),
      );
      return invalid
        ? { rejected: outcome.rejected + invalid, errorMessage: `${invalid} malformed entries; ${outcome.errorMessage}` }
        : outcome;
    },
  };
}

export type OtlpService = ReturnType<typeof createOtlpService>;

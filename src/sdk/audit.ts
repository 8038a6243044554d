import type { PageOf } from "../shared/api.ts";
import type { AuditEvent, AuditVerifyResult } from "../shared/audit.api.ts";
import { networkError } from "./errors.ts";
import { readLines } from "./lines.ts";
import type { PageRequest } from "./paginate.ts";
import { ReportsClient } from "./reports.ts";

export interface AuditFilterQuery {
  /** Project slug. */
  project?: string;
  /** `type` or `type:id`, e.g. `deployment:dep_01jd…`. */
  subject?: string;
  actor?: string;
  action?: string;
}

export interface AuditQuery extends AuditFilterQuery, PageRequest {}

/** The audit API: the hash-chained event log, its server-side verification and its NDJSON export. */
export class AuditClient extends ReportsClient {
  /** Events, newest first. */
  async listAudit(query: AuditQuery = {}): Promise<PageOf<AuditEvent>> {
    return this.json("/api/v1/audit", { query: { ...query } });
  }

  /** The server recomputes the whole chain; `ok: false` names the first seq that does not check out. */
  async verifyAudit(): Promise<AuditVerifyResult> {
    return this.json("/api/v1/audit/verify");
  }

  /**
   * The log as NDJSON lines (without their `\n`), oldest first, streamed. Unfiltered, the lines verify offline with
   * `verifyLines` from `shared/audit-verify.ts`.
   */
  async *exportAudit(filter: AuditFilterQuery = {}, options: { signal?: AbortSignal } = {}): AsyncGenerator<string> {
    const { response, url } = await this.send("/api/v1/audit/export", {
      query: { ...filter },
      accept: "application/x-ndjson",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.body) return;
    try {
      yield* readLines(response.body);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw networkError(`${url} (the connection dropped during the export)`, error);
    }
  }
}

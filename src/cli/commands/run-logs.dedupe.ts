import { paginate } from "../../sdk/paginate.ts";
import type { RunsClient } from "../../sdk/runs.ts";
import type { ImportedRecord } from "./run-logs.parser.ts";

const UID = "log.record.uid";
const PAGE = 5000;

function after(ts: string): string {
  return new Date(Date.parse(ts) + 1).toISOString();
}

function uidOf(attributes: Record<string, unknown> | null): string | undefined {
  const uid = attributes?.[UID];
  return typeof uid === "string" ? uid : undefined;
}

/**
 * The ids of a file's records the run already holds, so that importing the same logs twice does not double them. One
 * query for the file's first record; only when an earlier import sent it are the node's records over the file's time
 * span read back (a live cluster's growing log imported again sends just what is new). Records the server clamped
 * (older than 30 days on arrival) are stored at another time and are not recognised.
 */
export async function storedUids(
  api: Pick<RunsClient, "logs">,
  runId: string,
  node: string,
  records: readonly ImportedRecord[],
): Promise<Set<string>> {
  const first = records[0];
  if (!first?.ts) return new Set();
  const probe = await api.logs(runId, { node, from: first.ts, to: after(first.ts), limit: PAGE });
  if (!probe.items.some((r) => uidOf(r.attributes) === first[UID])) return new Set();
  // A loop, not Math.min(...times): a file of a million records would overflow the call stack.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    const time = r.ts ? Date.parse(r.ts) : Number.NaN;
    if (Number.isNaN(time)) continue;
    if (time < min) min = time;
    if (time > max) max = time;
  }
  const from = new Date(min).toISOString();
  const to = new Date(max + 1).toISOString();
  const uids = new Set<string>();
  const stored = paginate((page) => api.logs(runId, { node, from, to, order: "asc", ...page }), { pageSize: PAGE });
  for await (const r of stored) {
    const uid = uidOf(r.attributes);
    if (uid) uids.add(uid);
  }
  return uids;
}

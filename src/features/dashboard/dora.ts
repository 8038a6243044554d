import type { FinishedDeployment } from "./dashboard.store.ts";

/**
 * DORA's four keys over one environment (https://dora.dev/guides/dora-metrics-four-keys/), from what stagegate records:
 * - deployment frequency: succeeded deploys per day;
 * - lead time for changes: release created → succeeded here (the release is cut from the commit, so it stands in for it);
 * - change failure rate: failed or errored deploys, plus rollbacks (a change that had to be undone), over finished ones;
 * - time to restore: a failure (or a rollback) → the next succeeded deploy.
 */
export function doraFigures(input: { rows: FinishedDeployment[]; from: Date; days: number }) {
  const { rows, from, days } = input;
  const DAY = 86_400_000;
  const series = Array.from({ length: days }, (_, i) => ({
    day: new Date(from.getTime() + i * DAY).toISOString().slice(0, 10),
    deployments: 0,
    failures: 0,
    leads: [] as number[],
  }));
  const leads: number[] = [];
  const restores: number[] = [];
  let failed = 0;
  let openIncident: number | null = null;
  for (const row of rows) {
    const finished = Date.parse(row.finishedAt);
    const bucket = series[Math.floor((finished - from.getTime()) / DAY)];
    const failure = row.status !== "succeeded" || row.kind === "rollback";
    if (failure) {
      failed += 1;
      if (bucket) bucket.failures += 1;
      openIncident ??= row.status === "succeeded" ? Date.parse(row.createdAt) : finished;
    }
    if (row.status === "succeeded") {
      if (openIncident !== null) {
        restores.push(finished - openIncident);
        openIncident = null;
      }
      if (row.kind === "deploy") {
        const lead = finished - Date.parse(row.releaseCreatedAt);
        leads.push(lead);
        if (bucket) {
          bucket.deployments += 1;
          bucket.leads.push(lead);
        }
      }
    }
  }
  return {
    days,
    from: from.toISOString(),
    to: new Date(from.getTime() + days * DAY).toISOString(),
    deploymentFrequency: { deployments: leads.length, perDay: leads.length / days },
    leadTime: { medianMs: median(leads) },
    changeFailureRate: { failed, finished: rows.length, rate: rows.length === 0 ? null : failed / rows.length },
    timeToRestore: { incidents: restores.length, medianMs: median(restores) },
    series: series.map((s) => ({ day: s.day, deployments: s.deployments, failures: s.failures, leadTimeMs: median(s.leads) })),
  };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? null) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

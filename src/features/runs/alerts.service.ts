import type { Kysely } from "kysely";
import { Value } from "typebox/value";
import type { Database, Queryable } from "../../db/schema.ts";
import type { Clock } from "../../shared/clock.ts";
import { newId } from "../../shared/ids.ts";
import * as store from "./alerts.store.ts";
import { type Alert, type AlertRule, AlertRulesSchema, DEFAULT_ALERT_RULES, durationMs } from "./alerts.types.ts";
import { listNodes } from "./logs.store.ts";
import type { RunRecord } from "./runs.types.ts";

export interface AlertNotice {
  run: RunRecord;
  alert: Alert;
  change: "fired" | "resolved";
}

interface Verdict {
  firing: boolean;
  value: number | null;
  message: string;
}

const OPS: Record<"<" | ">" | "<=" | ">=", (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  ">": (a, b) => a > b,
  "<=": (a, b) => a <= b,
  ">=": (a, b) => a >= b,
};
/** A metric window counts only when samples cover most of it: 3 idle samples are not "idle for 10 minutes". */
const MIN_COVERAGE = 0.8;

function p95(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
}

/** Evaluates a run's alert rules (stagegate.yaml `alerts:`, else the defaults) and records firing / resolved. */
export function createAlertsService(deps: {
  db: Kysely<Database>;
  clock: Clock;
  /** Prepares the notice outside the transaction; the step it returns queues it inside the one that records the change. */
  notify?: (notice: AlertNotice) => Promise<((tx: Queryable) => Promise<void>) | undefined>;
}) {
  const { db, clock } = deps;
  // A notification problem never stops an alert from being recorded.
  const prepare = (notice: AlertNotice) => deps.notify?.(notice).catch(() => undefined);

  async function rulesFor(run: RunRecord): Promise<AlertRule[]> {
    const configured = await store.configuredAlertRules(db, run.projectId);
    const rules = configured !== undefined && Value.Check(AlertRulesSchema, configured) ? configured : DEFAULT_ALERT_RULES;
    return rules.filter((r) => !r.environments || (run.environment !== null && r.environments.includes(run.environment)));
  }

  async function judge(run: RunRecord, rule: AlertRule, now: number): Promise<Verdict> {
    switch (rule.type) {
      case undefined:
      case "metric": {
        const window = durationMs(rule.window, 5 * 60_000);
        const end = await store.lastMetricTs(db, run.id, rule.metric);
        if (end === undefined) return { firing: false, value: null, message: `no ${rule.metric} samples` };
        const series = await store.windowStats(db, { runId: run.id, name: rule.metric, from: end - window, to: end });
        const aggregate = rule.aggregate ?? "avg";
        const breaching = series.filter(
          (s) => s.last - s.first >= window * MIN_COVERAGE && OPS[rule.op](s[aggregate], rule.threshold),
        );
        const where = breaching.map((s) => `${s.node}${s.gpu ? `/gpu ${s.gpu}` : ""} (${s[aggregate].toFixed(1)})`);
        const worst = breaching.map((s) => s[aggregate]).sort((a, b) => (rule.op.startsWith("<") ? a - b : b - a))[0];
        return {
          firing: breaching.length > 0,
          value: worst ?? null,
          message: `${rule.metric} ${aggregate} ${rule.op} ${rule.threshold} over ${rule.window ?? "5m"}${where.length ? ` on ${where.join(", ")}` : ""}`,
        };
      }
      case "error_rate": {
        const window = durationMs(rule.window, 5 * 60_000);
        const errors = await store.countErrors(db, run.id, now - window, now + 1);
        return {
          firing: errors >= rule.threshold,
          value: errors,
          message: `${errors} error records in the last ${rule.window ?? "5m"} (threshold ${rule.threshold})`,
        };
      }
      case "node_silent": {
        if (run.status !== "running") return { firing: false, value: null, message: "run ended" };
        const after = durationMs(rule.after, 5 * 60_000);
        const silent = (await listNodes(db, run.id)).filter((n) => now - Number(n.last_seen_at) > after);
        return {
          firing: silent.length > 0,
          value: silent.length,
          message: `nothing (logs or metrics) for ${rule.after} from ${silent.map((n) => n.node).join(", ") || "any node"}`,
        };
      }
      case "duration_p95": {
        const durations = await store.recentDurations(db, {
          projectId: run.projectId,
          name: run.name,
          environment: run.environment,
          before: run.createdAt,
          limit: rule.runs ?? 20,
        });
        const limit = durations.length >= 3 ? p95(durations) : undefined;
        const elapsed = (run.endedAt ? Date.parse(run.endedAt) : now) - Date.parse(run.createdAt);
        if (limit === undefined) return { firing: false, value: elapsed, message: "fewer than 3 earlier runs to compare with" };
        return {
          firing: elapsed > limit,
          value: elapsed,
          message: `ran ${Math.round(elapsed / 1000)}s, longer than the p95 of earlier runs (${Math.round(limit / 1000)}s)`,
        };
      }
    }
  }

  async function evaluate(run: RunRecord): Promise<Alert[]> {
    const now = clock.now().getTime();
    const at = new Date(now).toISOString();
    for (const rule of await rulesFor(run)) {
      const verdict = await judge(run, rule, now);
      const open = await store.firingAlert(db, run.id, rule.name);
      if (verdict.firing && !open) {
        const alert: Alert = {
          id: newId("alr", now),
          rule: rule.name,
          severity: rule.severity ?? "warning",
          state: "firing",
          message: verdict.message,
          value: verdict.value,
          firedAt: at,
          resolvedAt: null,
        };
        const deliver = await prepare({ run, alert, change: "fired" });
        await db.transaction().execute(async (tx) => {
          await store.insertAlert(tx, run.id, alert);
          await deliver?.(tx);
        });
      } else if (verdict.firing && open) {
        await store.updateFiring(db, open.id, { message: verdict.message, value: verdict.value });
      } else if (!verdict.firing && open) {
        const deliver = await prepare({ run, alert: { ...open, state: "resolved", resolvedAt: at }, change: "resolved" });
        await db.transaction().execute(async (tx) => {
          if (await store.resolveAlert(tx, open.id, at)) await deliver?.(tx);
        });
      }
    }
    return store.listAlerts(db, run.id);
  }

  return { evaluate, list: (runId: string) => store.listAlerts(db, runId), rulesFor };
}

export type AlertsService = ReturnType<typeof createAlertsService>;

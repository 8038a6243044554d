import type { RunFigures, RunFinding, RunFindings, RunSummary } from "../../shared/runs.api.ts";
import type { AlertsService } from "./alerts.service.ts";
import type { LogsService } from "./logs.service.ts";
import { CANONICAL } from "./metrics.canonical.ts";
import type { MetricsService } from "./metrics.service.ts";
import type { RunsService } from "./runs.service.ts";
import type { RunRecord } from "./runs.types.ts";

const SUMMARY_METRICS = Object.values(CANONICAL);

/** Registered by a feature built after runs (Spark): the findings it has about a run. */
export type RunFindingsSource = (run: RunRecord) => Promise<RunFinding[]>;

const TOP_FINDINGS = 5;
const SEVERITY_ORDER: Record<RunFinding["severity"], number> = { critical: 0, warning: 1, info: 2 };

/** Counts by severity and the most severe few, over every registered source. */
export function summariseFindings(findings: RunFinding[]): RunFindings {
  const count = (severity: RunFinding["severity"]) => findings.filter((f) => f.severity === severity).length;
  return {
    critical: count("critical"),
    warning: count("warning"),
    info: count("info"),
    top: [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]).slice(0, TOP_FINDINGS),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The run page: everything the CLI and dashboard show about one run, in one answer. */
export function createRunSummary(deps: {
  runs: RunsService;
  logs: LogsService;
  metrics: MetricsService;
  alerts: AlertsService;
  environmentsOf: (projectId: string) => Promise<{ name: string; position: number }[]>;
  /** Read at each summary, so sources registered after creation count. */
  findingSources?: ReadonlyArray<RunFindingsSource>;
}) {
  async function figures(run: RunRecord): Promise<RunFigures> {
    const [nodes, stats] = await Promise.all([
      deps.logs.nodes(run.id),
      deps.metrics.summary(run.id, { names: [CANONICAL.gpuUtil, CANONICAL.gpuMemUsed, CANONICAL.hostMemUtil] }),
    ]);
    const of = (name: string) => stats.filter((s) => s.name === name);
    const util = of(CANONICAL.gpuUtil);
    const weighted = util.reduce((sum, s) => sum + s.avg * s.n, 0);
    const samples = util.reduce((sum, s) => sum + s.n, 0);
    const peak = (name: string) => (of(name).length ? Math.max(...of(name).map((s) => s.max)) : null);
    const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
    return {
      runId: run.id,
      status: run.status,
      durationMs: Math.max(0, end - Date.parse(run.createdAt)),
      errors: nodes.reduce((sum, n) => sum + Number(n.error) + Number(n.fatal), 0),
      gpuUtilizationAvg: samples ? weighted / samples : null,
      gpuMemoryPeakMib: peak(CANONICAL.gpuMemUsed),
      hostMemoryPeakPct: peak(CANONICAL.hostMemUtil),
    };
  }

  /** The same release's latest run in the environment before this one in the lifecycle. */
  async function previousEnvironmentRun(run: RunRecord): Promise<RunRecord | undefined> {
    if (!run.releaseVersion || !run.environment) return undefined;
    const envs = await deps.environmentsOf(run.projectId);
    const here = envs.find((e) => e.name === run.environment);
    const before = here ? envs.filter((e) => e.position < here.position).sort((a, b) => b.position - a.position)[0] : undefined;
    if (!before) return undefined;
    const candidates = await deps.runs.runsOfRelease(run.projectId, run.releaseVersion);
    return candidates.find(
      (r) => r.environment === before.name && r.name.replace(before.name, "") === run.name.replace(run.environment ?? "", ""),
    );
  }

  return async function summary(id: string): Promise<RunSummary> {
    const run = await deps.runs.getRun(id);
    const [present, nodes, errors, stats, alerts, previous, previousEnv, findings] = await Promise.all([
      deps.runs.present(run),
      deps.logs.nodes(run.id),
      deps.logs.topErrors(run.id, 10),
      deps.metrics.summary(run.id, { names: SUMMARY_METRICS }),
      deps.alerts.list(run.id),
      deps.runs.previousRun(run),
      previousEnvironmentRun(run),
      Promise.all((deps.findingSources ?? []).map((source) => source(run))),
    ]);
    return {
      run: present,
      records: nodes.reduce((sum, n) => sum + Number(n.records), 0),
      nodes: nodes.map((n) => ({
        node: n.node,
        firstRecordAt: iso(Number(n.first_ts)),
        lastRecordAt: iso(Number(n.last_ts)),
        lastSeenAt: iso(Number(n.last_seen_at)),
        records: Number(n.records),
        levels: {
          debug: Number(n.debug),
          info: Number(n.info),
          warn: Number(n.warn),
          error: Number(n.error),
          fatal: Number(n.fatal),
        },
      })),
      topErrors: errors.map((e) => ({
        fingerprint: e.fingerprint,
        template: e.template,
        count: Number(e.count),
        firstSeen: iso(Number(e.first_ts)),
        lastSeen: iso(Number(e.last_ts)),
        nodes: e.nodes,
        example: { message: e.example_msg, stack: e.example_stack, node: e.example_node },
      })),
      metrics: stats.map((s) => ({ name: s.name, node: s.node, gpu: s.gpu, min: s.min, avg: s.avg, max: s.max, samples: s.n })),
      alerts,
      findings: summariseFindings(findings.flat()),
      comparison: {
        current: await figures(run),
        previousRun: previous ? await figures(previous) : null,
        previousEnvironment: previousEnv ? { ...(await figures(previousEnv)), environment: previousEnv.environment } : null,
      },
    };
  };
}

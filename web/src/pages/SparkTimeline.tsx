import type { SparkAnalysis } from "../api/runs.ts";
import { formatDuration } from "../components/Time.tsx";
import { Timeline, type TimelineRow } from "../components/Timeline.tsx";

/** The application's time span: start to end, else the first and last instants the log mentions. */
function span(a: SparkAnalysis): { from: number; to: number } | null {
  const times = [
    a.app.startTime,
    a.app.endTime,
    ...a.jobs.flatMap((j) => [j.submittedAt, j.completedAt]),
    ...a.stages.flatMap((s) => [s.submittedAt, s.completedAt]),
    ...a.executors.flatMap((e) => [e.addedAt, e.removedAt]),
  ].filter((t): t is number => typeof t === "number" && t > 0);
  if (times.length === 0) return null;
  return { from: a.app.startTime ?? Math.min(...times), to: a.app.endTime ?? Math.max(...times) };
}

export function StageTimeline({ analysis: a }: { analysis: SparkAnalysis }) {
  const range = span(a);
  const jobs: TimelineRow[] = a.jobs
    .filter((j) => j.submittedAt !== null)
    .map((j) => {
      const end = j.completedAt ?? range?.to ?? 0;
      const failed = j.result !== null && j.result !== "JobSucceeded";
      return {
        key: `job-${j.jobId}`,
        label: `job ${j.jobId}`,
        start: j.submittedAt ?? 0,
        end,
        tone: failed ? "bad" : j.completedAt === null ? "warn" : "info",
        detail: `Job ${j.jobId}: ${j.result ?? "did not finish"}, ${formatDuration(end - (j.submittedAt ?? 0))}, stages ${j.stageIds.join(", ")}`,
      };
    });
  const stages: TimelineRow[] = [...a.stages]
    .filter((s) => s.submittedAt !== null)
    .sort((x, y) => (x.submittedAt ?? 0) - (y.submittedAt ?? 0))
    .map((s) => {
      const end = s.completedAt ?? range?.to ?? 0;
      return {
        key: `stage-${s.stageId}.${s.attempt}`,
        label: `stage ${s.stageId}${s.attempt ? `.${s.attempt}` : ""}`,
        start: s.submittedAt ?? 0,
        end,
        tone: s.failureReason ? "bad" : s.failedTasks > 0 ? "warn" : "ok",
        detail: `Stage ${s.stageId} (${s.name}): ${formatDuration(end - (s.submittedAt ?? 0))}, ${s.tasks} tasks, ${s.failedTasks} failed${s.failureReason ? `; failed: ${s.failureReason.split("\n")[0]}` : ""}`,
      };
    });
  return (
    <section className="card" aria-labelledby="spark-timeline-title">
      <h2 id="spark-timeline-title">Jobs and stages over time</h2>
      {!range || (jobs.length === 0 && stages.length === 0) ? (
        <p className="muted">The log has no timed job or stage.</p>
      ) : (
        <div className="grid" style={{ gap: 12, gridTemplateColumns: "minmax(0, 1fr)" }}>
          <Timeline title="Jobs" rows={jobs} from={range.from} to={range.to} />
          <Timeline title="Stages" rows={stages} from={range.from} to={range.to} />
        </div>
      )}
    </section>
  );
}

export function ExecutorTimeline({ analysis: a }: { analysis: SparkAnalysis }) {
  const range = span(a);
  const rows: TimelineRow[] = a.executors.map((e) => {
    const start = e.addedAt ?? range?.from ?? 0;
    const end = e.removedAt ?? range?.to ?? start;
    const alive = Math.max(1, end - start);
    return {
      key: e.id,
      label: e.id === "driver" ? "driver" : `exec ${e.id}`,
      start,
      end,
      tone: e.removedAt !== null ? "warn" : "ok",
      detail: `Executor ${e.id} on ${e.host ?? "unknown host"}: ${e.cores ?? "?"} cores${e.gpus ? `, ${e.gpus} GPU` : ""}, ${e.tasks} tasks, busy ${Math.round((e.busyMs / ((e.cores ?? 1) * alive)) * 100)} % of ${formatDuration(alive)}${e.removedAt !== null ? `; removed: ${e.removedReason ?? "no reason given"}` : ""}`,
      ...(e.removedAt !== null ? { note: `removed: ${e.removedReason ?? "no reason given"}` } : {}),
    };
  });
  return (
    <section className="card" aria-labelledby="spark-executors-title">
      <h2 id="spark-executors-title">Executors over time</h2>
      {!range || rows.length === 0 ? (
        <p className="muted">The log has no executor event.</p>
      ) : (
        <>
          <Timeline title="Executors" rows={rows} from={range.from} to={range.to} />
          {a.executors.some((e) => e.removedAt !== null) ? (
            <ul style={{ marginTop: 8, fontSize: 13 }}>
              {a.executors
                .filter((e) => e.removedAt !== null)
                .slice(0, 20)
                .map((e) => (
                  <li key={e.id} style={{ overflowWrap: "anywhere" }}>
                    Executor <span className="mono">{e.id}</span> removed after{" "}
                    {formatDuration((e.removedAt ?? 0) - (e.addedAt ?? range.from))}: {e.removedReason ?? "no reason given"}
                  </li>
                ))}
            </ul>
          ) : null}
        </>
      )}
    </section>
  );
}

import { useState } from "react";
import type { SparkStage } from "../api/runs.ts";
import { formatDuration, number } from "../components/Time.tsx";

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const ms = (v: number | null) => (v === null ? "—" : formatDuration(v));
const SHOWN = 100;
const NOWRAP = { whiteSpace: "nowrap" } as const;
const ORDERS = {
  id: (a: SparkStage, b: SparkStage) => a.stageId - b.stageId || a.attempt - b.attempt,
  slowest: (a: SparkStage, b: SparkStage) => (b.durationMax ?? 0) - (a.durationMax ?? 0),
  failed: (a: SparkStage, b: SparkStage) => b.failedTasks - a.failedTasks || b.runMs - a.runMs,
} as const;

/** Stages with task-duration quantiles, shuffle, spill, GC and failed tasks. */
export function SparkStages({ stages }: { stages: SparkStage[] }) {
  const [order, setOrder] = useState<keyof typeof ORDERS>("id");
  const [all, setAll] = useState(false);
  const sorted = [...stages].sort(ORDERS[order]);
  const shown = all ? sorted : sorted.slice(0, SHOWN);
  return (
    <section aria-labelledby="spark-stages-title">
      <div className="card-head">
        <h2 id="spark-stages-title">Stages</h2>
        <span className="spacer" />
        <fieldset className="segmented" style={{ padding: 0, margin: 0 }}>
          <legend className="sr-only">Order stages</legend>
          {(
            [
              ["id", "By id"],
              ["slowest", "Slowest task"],
              ["failed", "Failed tasks"],
            ] as const
          ).map(([key, label]) => (
            <button key={key} type="button" aria-pressed={order === key} onClick={() => setOrder(key)}>
              {label}
            </button>
          ))}
        </fieldset>
      </div>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Stages of the application</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Name</th>
              <th scope="col" className="num">
                Tasks
              </th>
              <th scope="col" className="num">
                p50
              </th>
              <th scope="col" className="num">
                p95
              </th>
              <th scope="col" className="num">
                max
              </th>
              <th scope="col" className="num">
                Shuffle read / write
              </th>
              <th scope="col" className="num">
                Spill mem / disk
              </th>
              <th scope="col" className="num">
                GC
              </th>
              <th scope="col" className="num">
                Failed
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={`${s.stageId}.${s.attempt}`}>
                <td className="mono">
                  {s.stageId}
                  {s.attempt ? `.${s.attempt}` : ""}
                </td>
                <td style={{ minWidth: 180, overflowWrap: "anywhere" }} title={s.failureReason ?? undefined}>
                  {s.name}
                </td>
                <td className="num">{number(s.tasks)}</td>
                <td className="num mono" style={NOWRAP}>
                  {ms(s.durationP50)}
                </td>
                <td className="num mono" style={NOWRAP}>
                  {ms(s.durationP95)}
                </td>
                <td className="num mono" style={NOWRAP}>
                  {ms(s.durationMax)}
                </td>
                <td className="num mono" style={NOWRAP}>
                  {bytes(s.shuffleReadBytes)} / {bytes(s.shuffleWriteBytes)}
                </td>
                <td className="num mono" style={NOWRAP}>
                  {bytes(s.memorySpill)} / {bytes(s.diskSpill)}
                </td>
                <td
                  className="num mono"
                  style={NOWRAP}
                  title={`${s.runMs ? ((s.gcMs / s.runMs) * 100).toFixed(1) : 0} % of run time`}
                >
                  {formatDuration(s.gcMs)}
                </td>
                <td className={`num${s.failedTasks ? " status bad" : ""}`}>
                  {number(s.failedTasks)}
                  {s.killedTasks ? <span className="muted"> (+{s.killedTasks} killed)</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {sorted.length > SHOWN && !all ? (
        <p>
          <button type="button" className="small" onClick={() => setAll(true)}>
            Show all {number(sorted.length)} stages
          </button>
        </p>
      ) : null}
    </section>
  );
}

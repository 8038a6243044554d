import { useMemo } from "react";
import { type MetricAnswer, type RunSummary, useRunMetric } from "../api/runs.ts";
import { Chart } from "../components/Chart.tsx";
import { Empty, ErrorState, Skeleton } from "../components/States.tsx";

/** The charts of the run page: canonical names (src/features/runs/metrics.canonical.ts), title, unit. */
const CHARTS = [
  { name: "gpu.utilization", title: "GPU utilisation", unit: "%" },
  { name: "gpu.memory.used_mib", title: "GPU memory used", unit: "MiB" },
  { name: "host.memory.utilization", title: "Host memory", unit: "%" },
  { name: "host.cpu.utilization", title: "Host CPU", unit: "%" },
] as const;
const TONES = ["info", "ok", "attention", "warn", "bad"] as const;

export default function RunMetrics({ s }: { s: RunSummary }) {
  const present = CHARTS.filter((c) => s.metrics.some((m) => m.name === c.name));
  if (present.length === 0) {
    return (
      <div className="card">
        <Empty title="No metrics yet">
          <p>Push GPU samples from every node, e.g. nvidia-smi every 5 s:</p>
          <pre>{`nvidia-smi --query-gpu=timestamp,index,utilization.gpu,memory.used,memory.total --format=csv -l 5 > gpu.csv
stagegate metrics push ${s.run.id} --format nvidia-smi gpu.csv`}</pre>
        </Empty>
      </div>
    );
  }
  return (
    <div className="grid" style={{ gridTemplateColumns: "minmax(0, 1fr)" }}>
      <MetricTable s={s} />
      <div className="grid two">
        {present.map((c) => (
          <MetricChart key={c.name} runId={s.run.id} live={s.run.status === "running"} {...c} />
        ))}
      </div>
    </div>
  );
}

const label = (series: { node: string; gpu: string }) => (series.gpu ? `${series.node} GPU ${series.gpu}` : series.node);

/** uPlot wants one x array and every series aligned on it: the union of bucket times, null where a series has none. */
function aligned(answer: MetricAnswer) {
  const times = [...new Set(answer.series.flatMap((s) => s.points.map((p) => Date.parse(p.ts))))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const series = answer.series.map((s, i) => {
    const values: (number | null)[] = times.map(() => null);
    for (const p of s.points) {
      const at = index.get(Date.parse(p.ts));
      if (at !== undefined) values[at] = p.avg;
    }
    return { label: label(s), values, tone: TONES[i % TONES.length] };
  });
  return { x: times.map((t) => t / 1000), series };
}

function MetricChart(props: { runId: string; name: string; title: string; unit: string; live: boolean }) {
  const metric = useRunMetric(props.runId, props.name, props.live);
  const data = useMemo(() => (metric.data ? aligned(metric.data) : null), [metric.data]);
  return (
    <section className="card" aria-label={props.title}>
      {metric.error ? <ErrorState error={metric.error} /> : null}
      {data ? (
        <Chart
          title={`${props.title} per node and GPU (avg per bucket)`}
          unit={props.unit}
          x={data.x}
          series={data.series}
          height={160}
        />
      ) : (
        <Skeleton height={190} />
      )}
    </section>
  );
}

function MetricTable({ s }: { s: RunSummary }) {
  const rows = s.metrics.filter((m) => CHARTS.some((c) => c.name === m.name));
  const unitOf = (name: string) => CHARTS.find((c) => c.name === name)?.unit ?? "";
  const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(1));
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Metrics per node and GPU: minimum, average and maximum over the run</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">Node / GPU</th>
            <th scope="col" className="num">
              min
            </th>
            <th scope="col" className="num">
              avg
            </th>
            <th scope="col" className="num">
              max
            </th>
            <th scope="col" className="num">
              samples
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((m) => (
            <tr key={`${m.name}/${m.node}/${m.gpu}`}>
              <td>{CHARTS.find((c) => c.name === m.name)?.title ?? m.name}</td>
              <td className="mono" style={{ overflowWrap: "anywhere" }}>
                {label(m)}
              </td>
              <td className="num mono">
                {fmt(m.min)} {unitOf(m.name)}
              </td>
              <td className="num mono">
                {fmt(m.avg)} {unitOf(m.name)}
              </td>
              <td className="num mono">
                {fmt(m.max)} {unitOf(m.name)}
              </td>
              <td className="num">{m.samples.toLocaleString("en-US")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

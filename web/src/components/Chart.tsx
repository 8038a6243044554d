import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const cursorSync = uPlot.sync("stagegate");

/** A theme colour as the canvas needs it (rgb), resolved where the page uses it: the tokens are `light-dark(…)` pairs. */
function token(name: string): string {
  const probe = document.createElement("span");
  probe.style.display = "none";
  probe.style.color = `var(${name})`;
  document.body.append(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color || "#888";
}

/**
 * A small uPlot chart with a title and a unit on its y axis; charts on one page share the cursor. `x` is in seconds
 * (uPlot's time scale); each series one line (or bars).
 */
export function Chart(props: {
  title: string;
  unit: string;
  x: number[];
  series: { label: string; values: (number | null)[]; tone?: "ok" | "bad" | "info" | "attention" | "warn"; bars?: boolean }[];
  height?: number;
  format?: (v: number) => string;
  /** The live legend under the chart (values at the cursor); off for the smallest tiles. */
  legend?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { title, unit, x, series, height = 110, format, legend = true } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = format ?? ((v: number) => `${Number.isInteger(v) ? v : v.toFixed(1)}`);
    const axis = {
      stroke: token("--text-muted"),
      grid: { stroke: token("--border-soft"), width: 1 },
      ticks: { show: false },
      font: "11px system-ui",
    };
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 160),
      height,
      cursor: { sync: { key: cursorSync.key }, drag: { x: false, y: false } },
      legend: { show: legend, live: true },
      scales: { x: { time: true } },
      axes: [
        { ...axis, space: 60 },
        {
          ...axis,
          size: 46,
          label: unit,
          labelSize: 14,
          labelFont: "11px system-ui",
          values: (_u, vals) => vals.map((v) => fmt(v)),
        },
      ],
      series: [
        {},
        ...series.map((s) => {
          const color = token(`--${s.tone ?? "info"}`);
          return {
            label: s.label,
            stroke: color,
            width: 1.5,
            fill: s.bars ? `${color}55` : `${color}18`,
            points: { show: x.length < 40, size: 4 },
            value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${fmt(v)} ${unit}`),
            ...(s.bars ? { paths: uPlot.paths.bars?.({ size: [0.7, 40] }) } : {}),
          };
        }),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 160), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, height, unit, format, legend]);

  return (
    <figure style={{ margin: 0, minWidth: 0 }}>
      <figcaption className="tile label" style={{ padding: 0, marginBottom: 4 }}>
        {title}
      </figcaption>
      <div ref={box} className="chart" role="img" aria-label={`${title} chart`} />
    </figure>
  );
}

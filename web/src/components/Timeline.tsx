import { useState } from "react";
import { formatDuration } from "./Time.tsx";

export interface TimelineRow {
  key: string;
  label: string;
  start: number;
  end: number;
  tone: "ok" | "bad" | "warn" | "info" | "muted";
  /** Shown on hover and read by screen readers after the label. */
  detail: string;
  /** Text after the bar (e.g. an executor's removal reason). */
  note?: string;
}

const SHOWN = 60;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * A simple horizontal timeline: one row per item, a bar from its start to its end on a shared time axis
 * (`from`..`to`, epoch ms). Plain divs positioned in percent, so it fits any width without scrolling.
 */
export function Timeline({ title, rows, from, to }: { title: string; rows: TimelineRow[]; from: number; to: number }) {
  const [all, setAll] = useState(false);
  const span = Math.max(1, to - from);
  const pct = (t: number) => `${Math.min(100, Math.max(0, ((t - from) / span) * 100))}%`;
  const shown = all ? rows : rows.slice(0, SHOWN);
  return (
    <figure className="timeline" style={{ margin: 0 }}>
      <figcaption className="sr-only">{title}</figcaption>
      <ol aria-label={title} style={{ listStyle: "none", margin: 0, padding: 0, display: "grid", gap: 3 }}>
        {shown.map((r) => (
          <li
            key={r.key}
            style={{ display: "grid", gridTemplateColumns: "minmax(0, 9em) minmax(0, 1fr)", gap: 8, alignItems: "center" }}
          >
            <span
              className="mono"
              style={{ fontSize: 12, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}
              title={r.label}
            >
              {r.label}
            </span>
            <span style={{ position: "relative", height: 14, background: "var(--surface-2)", borderRadius: 3 }} title={r.detail}>
              <span className="sr-only">{r.detail}</span>
              <span
                aria-hidden="true"
                style={{
                  position: "absolute",
                  left: pct(r.start),
                  width: `max(2px, calc(${pct(r.end)} - ${pct(r.start)}))`,
                  top: 2,
                  bottom: 2,
                  borderRadius: 2,
                  background: `var(--${r.tone})`,
                }}
              />
              {r.note ? (
                <span
                  style={{
                    position: "absolute",
                    right: 4,
                    top: -1,
                    fontSize: 11,
                    maxWidth: "60%",
                    overflow: "hidden",
                    textOverflow: "ellipsis",
                    whiteSpace: "nowrap",
                  }}
                >
                  {r.note}
                </span>
              ) : null}
            </span>
          </li>
        ))}
      </ol>
      <div
        aria-hidden="true"
        style={{ display: "grid", gridTemplateColumns: "minmax(0, 9em) minmax(0, 1fr)", gap: 8, fontSize: 11 }}
        className="muted"
      >
        <span />
        <span style={{ position: "relative", height: 14 }}>
          {TICKS.map((t) => (
            <span
              key={t}
              style={{
                position: "absolute",
                whiteSpace: "nowrap",
                left: `${t * 100}%`,
                transform: t === 0 ? "none" : t === 1 ? "translateX(-100%)" : "translateX(-50%)",
              }}
            >
              {formatDuration(span * t)}
            </span>
          ))}
        </span>
      </div>
      {rows.length > SHOWN && !all ? (
        <button type="button" className="small" onClick={() => setAll(true)}>
          Show all {rows.length} rows
        </button>
      ) : null}
    </figure>
  );
}

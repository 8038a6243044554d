import { useMemo, useState } from "react";
import { type LogFilter, type LogRecord, useRunLog } from "../api/runs.ts";
import type { LogLine } from "../components/LogView.tsx";
import { LogView } from "../components/LogView.tsx";
import { ErrorState } from "../components/States.tsx";

/** A pressed filter chip looks like a selected segment (styles.css `.segmented`), without joining the chips. */
const PRESSED = { background: "var(--surface-2)", fontWeight: 600, boxShadow: "inset 0 -2px 0 var(--accent)" };
const LEVELS = ["debug", "info", "warn", "error", "fatal"] as const;
/** Node names get one of these ANSI colours (LogView renders them), the same node always the same colour. */
const NODE_COLOURS = [36, 35, 33, 32, 34, 96, 95, 93, 92, 94];
const LEVEL_COLOURS: Record<string, number> = { warn: 33, error: 31, fatal: 91, debug: 90, trace: 90 };
/** A record's message over several lines (a stack) is shown on at most this many log lines. */
const MAX_LINES_PER_RECORD = 60;
const ESC = "\x1b";

function colourOf(node: string): number {
  let h = 0;
  for (let i = 0; i < node.length; i++) h = (h * 31 + node.charCodeAt(i)) >>> 0;
  return NODE_COLOURS[h % NODE_COLOURS.length] ?? 36;
}

function toLines(records: LogRecord[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const r of records) {
    const time = r.ts.slice(11, 23);
    const level = r.level.toUpperCase().padEnd(5);
    const levelColour = LEVEL_COLOURS[r.level];
    const head = `${ESC}[90m${time}${ESC}[0m ${ESC}[${colourOf(r.node)}m${r.node}${ESC}[0m ${
      levelColour ? `${ESC}[${levelColour}m${level}${ESC}[0m` : level
    } `;
    const stream = r.level === "error" || r.level === "fatal" ? "stderr" : "stdout";
    const parts = r.msg.split("\n");
    const shown = parts.slice(0, MAX_LINES_PER_RECORD);
    shown.forEach((part, i) => {
      lines.push({ n: lines.length + 1, at: r.ts, stream, text: i === 0 ? head + part : `    ${part}` });
    });
    if (parts.length > shown.length)
      lines.push({ n: lines.length + 1, at: r.ts, stream, text: `    … ${parts.length - shown.length} more lines` });
  }
  return lines;
}

export default function RunLogs({ runId, nodes, live }: { runId: string; nodes: string[]; live: boolean }) {
  const [filter, setFilter] = useState<LogFilter>({ nodes: [], level: "", q: "" });
  const [follow, setFollow] = useState(live);
  const log = useRunLog(runId, filter, live && follow);
  const lines = useMemo(() => toLines(log.records), [log.records]);
  const toggleNode = (node: string) =>
    setFilter((f) => ({ ...f, nodes: f.nodes.includes(node) ? f.nodes.filter((n) => n !== node) : [...f.nodes, node] }));

  return (
    <section aria-labelledby="run-log-title">
      <h2 id="run-log-title">Merged log</h2>
      <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "0 0 8px" }}>
        <legend className="sr-only">Show the records of these nodes</legend>
        <span className="muted">Nodes:</span>
        <button
          type="button"
          className="small"
          aria-pressed={filter.nodes.length === 0}
          style={filter.nodes.length === 0 ? PRESSED : undefined}
          onClick={() => setFilter((f) => ({ ...f, nodes: [] }))}
        >
          All nodes
        </button>
        {nodes.map((node) => (
          <button
            key={node}
            type="button"
            className="small mono"
            aria-pressed={filter.nodes.includes(node)}
            aria-label={`Node ${node}`}
            onClick={() => toggleNode(node)}
            style={{ overflowWrap: "anywhere", ...(filter.nodes.includes(node) ? PRESSED : {}) }}
          >
            {node}
          </button>
        ))}
      </fieldset>
      <search>
        <form
          className="toolbar"
          onSubmit={(event) => {
            event.preventDefault();
            const q = new FormData(event.currentTarget).get("q")?.toString().trim() ?? "";
            setFilter((f) => ({ ...f, q }));
          }}
        >
          <label htmlFor="run-log-level">Level</label>
          <select id="run-log-level" value={filter.level} onChange={(e) => setFilter((f) => ({ ...f, level: e.target.value }))}>
            <option value="">all</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l} and above
              </option>
            ))}
          </select>
          <label htmlFor="run-log-q" className="sr-only">
            Search every record of the run
          </label>
          <input
            id="run-log-q"
            name="q"
            type="search"
            placeholder="Search every record (full text)"
            style={{ flex: "1 1 180px" }}
          />
          <button type="submit" className="small">
            Search
          </button>
          {live ? (
            <label className="chips" style={{ fontWeight: 400 }}>
              <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Live tail
            </label>
          ) : null}
        </form>
      </search>
      {filter.q ? (
        <p className="muted">
          Records matching <q>{filter.q}</q>{" "}
          <button type="button" className="small" onClick={() => setFilter((f) => ({ ...f, q: "" }))}>
            Clear search
          </button>
        </p>
      ) : null}
      {log.error ? <ErrorState error={log.error} /> : null}
      {log.older ? (
        <p>
          <button type="button" className="small" onClick={() => void log.loadOlder()}>
            Load older records
          </button>
        </p>
      ) : null}
      {!log.loading && log.records.length === 0 && !(live && follow) ? (
        <p className="muted">
          {filter.q || filter.level || filter.nodes.length ? "No record matches these filters." : "No log records yet."}
        </p>
      ) : (
        <LogView lines={lines} live={live && follow} label="Merged log of every node" />
      )}
    </section>
  );
}

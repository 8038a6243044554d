import { Fragment, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { ANSI_COLOURS, parseAnsi, stripAnsi } from "./ansi.ts";

export interface LogLine {
  n: number;
  at: string;
  stream: string;
  text: string;
}

const ROW = 20;
const OVERSCAN = 30;

function Highlighted({ text, query }: { text: string; query: string }) {
  const spans = parseAnsi(text);
  return (
    <>
      {spans.map((span, i) => {
        const style = { color: span.fg ? ANSI_COLOURS[span.fg] : undefined, fontWeight: span.bold ? 700 : undefined };
        if (!query) {
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: spans of one immutable line
            <span key={i} style={style}>
              {span.text}
            </span>
          );
        }
        const parts = span.text.split(new RegExp(`(${query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})`, "i"));
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: spans of one immutable line
          <span key={i} style={style}>
            {parts.map((part, j) =>
              j % 2 === 1 ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable span
                <mark key={j}>{part}</mark>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable span
                <Fragment key={j}>{part}</Fragment>
              ),
            )}
          </span>
        );
      })}
    </>
  );
}

/**
 * A virtualised log: only the rows in view are in the DOM (100k lines stay smooth). ANSI colours, search with next/prev,
 * line links (#L123), a wrap toggle (which renders every row) and a live tail that follows while the deployment runs.
 */
export function LogView({ lines, live, label }: { lines: LogLine[]; live: boolean; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const [follow, setFollow] = useState(true);
  const [wrap, setWrap] = useState(false);
  const [query, setQuery] = useState("");
  const [hit, setHit] = useState(0);
  const [target, setTarget] = useState<number | null>(() => {
    const m = /^#L(\d+)$/.exec(window.location.hash);
    return m ? Number(m[1]) : null;
  });

  const hits = useMemo(() => {
    if (!query) return [];
    const q = query.toLowerCase();
    return lines.filter((l) => stripAnsi(l.text).toLowerCase().includes(q)).map((l) => l.n);
  }, [lines, query]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const scrollToLine = (n: number) => {
    const el = box.current;
    if (!el) return;
    el.scrollTop = Math.max(0, (n - 1) * ROW - el.clientHeight / 2);
    setFollow(false);
  };

  // Follow the tail while live; jump to #L<n> once it has arrived.
  // biome-ignore lint/correctness/useExhaustiveDependencies: scrollToLine only reads refs
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (target !== null && lines.length >= target) {
      scrollToLine(target);
      setTarget(null);
      return;
    }
    if (follow && target === null) el.scrollTop = el.scrollHeight;
  }, [lines.length, follow, target]);

  const goto = (index: number) => {
    if (hits.length === 0) return;
    const next = (index + hits.length) % hits.length;
    setHit(next);
    const n = hits[next];
    if (n !== undefined) scrollToLine(n);
  };

  const first = wrap ? 0 : Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = wrap ? lines.length : Math.min(lines.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const current = hits[hit];
  const hash = typeof window !== "undefined" ? window.location.hash : "";

  return (
    <div>
      <div className="toolbar">
        <label htmlFor="log-search" className="sr-only">
          Search the log
        </label>
        <input
          id="log-search"
          type="search"
          placeholder="Search the log"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setHit(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "Enter") goto(e.shiftKey ? hit - 1 : hit + 1);
          }}
          style={{ flex: "1 1 200px" }}
        />
        <span className="muted" aria-live="polite">
          {query ? (hits.length ? `${hit + 1} of ${hits.length}` : "no match") : `${lines.length.toLocaleString("en-US")} lines`}
        </span>
        <button
          type="button"
          className="small"
          onClick={() => goto(hit - 1)}
          disabled={hits.length === 0}
          aria-label="Previous match"
        >
          ↑
        </button>
        <button
          type="button"
          className="small"
          onClick={() => goto(hit + 1)}
          disabled={hits.length === 0}
          aria-label="Next match"
        >
          ↓
        </button>
        <label className="chips" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={wrap} onChange={(e) => setWrap(e.target.checked)} /> Wrap
        </label>
        <label className="chips" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} disabled={!live} /> Follow
          {live ? <span className="status info">live</span> : null}
        </label>
      </div>
      <div
        ref={box}
        className={`log${wrap ? " wrap" : ""}`}
        style={{ height: Math.min(480, Math.max(120, lines.length * ROW + 16)) }}
        role="log"
        aria-label={label}
        aria-live="off"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard to scroll it
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          setScrollTop(el.scrollTop);
          if (live && el.scrollHeight - el.scrollTop - el.clientHeight > ROW * 2 && follow) setFollow(false);
        }}
      >
        {lines.length === 0 ? (
          <div style={{ padding: 12, color: "#8b949e" }}>{live ? "Waiting for output…" : "This deployment wrote no log."}</div>
        ) : (
          <div style={{ height: wrap ? undefined : lines.length * ROW, position: "relative" }}>
            <div style={{ position: wrap ? "static" : "absolute", top: first * ROW, left: 0, right: 0 }}>
              {lines.slice(first, last).map((line) => (
                <div
                  key={line.n}
                  id={`L${line.n}`}
                  className={`log-line${line.n === current || hash === `#L${line.n}` ? " hit" : ""}`}
                  title={line.at}
                >
                  <a className={`ln ${line.stream}`} href={`#L${line.n}`} aria-label={`Line ${line.n}`}>
                    {line.n}
                  </a>
                  <span>
                    <Highlighted text={line.text} query={query} />
                  </span>
                </div>
              ))}
            </div>
          </div>
        )}
      </div>
    </div>
  );
}

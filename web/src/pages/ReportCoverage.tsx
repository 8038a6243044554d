import { useMemo, useState } from "react";
import { useCoverageFiles } from "../api/hooks.ts";
import type { CoverageEntry } from "../api/types.ts";
import { Empty, Loading } from "../components/States.tsx";
import { number, percent } from "../components/Time.tsx";

interface Dir {
  name: string;
  path: string;
  covered: number;
  total: number;
  dirs: Map<string, Dir>;
  files: CoverageEntry[];
}

function buildTree(entries: CoverageEntry[]): Dir {
  const root: Dir = { name: "", path: "", covered: 0, total: 0, dirs: new Map(), files: [] };
  for (const e of entries) {
    const parts = e.path.split("/");
    let dir = root;
    root.covered += e.lines.covered;
    root.total += e.lines.total;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) {
        next = { name: part, path: `${dir.path}${part}/`, covered: 0, total: 0, dirs: new Map(), files: [] };
        dir.dirs.set(part, next);
      }
      next.covered += e.lines.covered;
      next.total += e.lines.total;
      dir = next;
    }
    dir.files.push(e);
  }
  return root;
}

function Bar({ covered, total }: { covered: number; total: number }) {
  const pct = total ? (covered / total) * 100 : 100;
  return (
    <span className="tree-row">
      <span className="bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>
      <span className="mono num" style={{ width: 56 }} title="line coverage">
        {percent(pct)}
      </span>
    </span>
  );
}

function DirRows({ dir, depth, onFile }: { dir: Dir; depth: number; onFile: (e: CoverageEntry) => void }) {
  return (
    <>
      {[...dir.dirs.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((d) => (
          <li key={d.path}>
            <details open={depth < 1}>
              <summary className="tree-row" style={{ paddingLeft: depth * 14, cursor: "pointer" }}>
                <span style={{ flex: 1, minWidth: 0, overflowWrap: "anywhere" }}>📁 {d.name}/</span>
                <Bar covered={d.covered} total={d.total} />
              </summary>
              <ul style={{ listStyle: "none", padding: 0, margin: 0 }}>
                <DirRows dir={d} depth={depth + 1} onFile={onFile} />
              </ul>
            </details>
          </li>
        ))}
      {dir.files.map((f) => (
        <li key={f.path} className="tree-row" style={{ paddingLeft: depth * 14 + 14 }}>
          <button
            type="button"
            className="ghost small"
            style={{ flex: 1, justifyContent: "flex-start", minWidth: 0, whiteSpace: "normal", textAlign: "left" }}
            onClick={() => onFile(f)}
          >
            {f.path.split("/").pop()}
          </button>
          <Bar covered={f.lines.covered} total={f.lines.total} />
        </li>
      ))}
    </>
  );
}

/** The run's coverage as a file tree, loaded a page of files at a time (directories sum what is loaded). */
export function Coverage({ id }: { id: string }) {
  const coverage = useCoverageFiles(id);
  const [file, setFile] = useState<CoverageEntry | null>(null);
  const files = useMemo(() => coverage.data?.pages.flatMap((page) => page.items) ?? [], [coverage.data]);
  const tree = useMemo(() => (coverage.data ? buildTree(files) : null), [coverage.data, files]);
  if (coverage.isPending) return <Loading label="Loading coverage" />;
  if (!tree || tree.total === 0) {
    return (
      <Empty title="No coverage in this run">
        <p>Upload a coverage file with the JUnit reports (lcov, Cobertura, JaCoCo, Istanbul or Go):</p>
        <pre>{"stagegate report upload ... coverage/lcov.info"}</pre>
      </Empty>
    );
  }
  return (
    <div className="grid two">
      <div className="card">
        <h2>Files</h2>
        <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Coverage by file">
          <DirRows dir={tree} depth={0} onFile={setFile} />
        </ul>
        {coverage.hasNextPage ? (
          <p className="muted">
            Showing the first {number(files.length)} files; directory figures count those.{" "}
            <button
              type="button"
              className="small"
              disabled={coverage.isFetchingNextPage}
              onClick={() => void coverage.fetchNextPage()}
            >
              {coverage.isFetchingNextPage ? "Loading…" : "Load more files"}
            </button>
          </p>
        ) : null}
      </div>
      <div className="card" aria-live="polite">
        {file ? (
          <>
            <h2 style={{ overflowWrap: "anywhere" }}>{file.path}</h2>
            <p>
              {number(file.lines.covered)} of {number(file.lines.total)} lines ({percent(file.lines.pct)}),{" "}
              {number(file.branches.covered)} of {number(file.branches.total)} branches
            </p>
            {file.uncovered.length === 0 ? (
              <p className="status ok">Every line is covered.</p>
            ) : (
              <>
                <h3>Uncovered lines</h3>
                <ul className="chips" style={{ listStyle: "none", padding: 0 }}>
                  {file.uncovered.slice(0, 200).map(([a, b]) => (
                    <li key={a} className="chip bad mono">
                      {a === b ? `L${a}` : `L${a}–${b}`}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        ) : (
          <p className="muted">Pick a file to see its uncovered line ranges.</p>
        )}
      </div>
    </div>
  );
}

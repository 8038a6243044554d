import { useEffect } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useEnvironments } from "../api/hooks.ts";
import { type Run, useRuns } from "../api/runs.ts";
import { Pager, useCursor } from "../components/Pager.tsx";
import { RunStatus } from "../components/RunStatus.tsx";
import { Empty, Query } from "../components/States.tsx";
import { Duration, RelTime } from "../components/Time.tsx";

const STATUSES = ["running", "succeeded", "failed", "unknown"] as const;

export default function Runs() {
  const { slug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const cursor = useCursor();
  const environment = params.get("environment") ?? undefined;
  const status = params.get("status") ?? undefined;
  const list = useRuns(slug, { cursor, environment, status });
  const envs = useEnvironments(slug);
  useEffect(() => {
    document.title = `Runs · ${slug} · stagegate`;
  }, [slug]);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    next.delete("cursor");
    setParams(next);
  };
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Runs</h1>
          <div className="meta">Pipeline runs of {slug}: logs of every node, GPU metrics, alerts and Spark diagnoses.</div>
        </div>
      </div>
      <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
        <legend className="sr-only">Filters</legend>
        <label htmlFor="r-env">Environment</label>
        <select id="r-env" value={environment ?? ""} onChange={(e) => set("environment", e.target.value)}>
          <option value="">All</option>
          {envs.data?.items.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
        <label htmlFor="r-status">Status</label>
        <select id="r-status" value={status ?? ""} onChange={(e) => set("status", e.target.value)}>
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </fieldset>
      <Query query={list} label="Loading runs">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title={environment || status ? "No run matches these filters" : "No runs yet"}>
                <p>Every deployment creates a run; any job can create one and send its logs:</p>
                <pre>{`stagegate run create --project ${slug} --name nightly-etl --environment <environment>`}</pre>
              </Empty>
            </div>
          ) : (
            <>
              <RunTable items={page.items} />
              <Pager nextCursor={page.nextCursor} label="runs" />
            </>
          )
        }
      </Query>
    </>
  );
}

function RunTable({ items }: { items: Run[] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Run</th>
            <th scope="col">Environment</th>
            <th scope="col" className="hide-narrow">
              Release
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col" className="hide-narrow">
              Started
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.id}>
              <td>
                <RunStatus status={r.status} />
              </td>
              <td style={{ overflowWrap: "anywhere" }}>
                <Link to={`/runs/${r.id}`}>{r.name}</Link>
              </td>
              <td>{r.environment ?? <span className="muted">—</span>}</td>
              <td className="mono hide-narrow">{r.releaseVersion ?? <span className="muted">—</span>}</td>
              <td className="num">
                <Duration ms={r.durationMs} />
              </td>
              <td className="hide-narrow">
                <RelTime at={r.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

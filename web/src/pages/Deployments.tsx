import { useEffect } from "react";
import { useParams, useSearchParams } from "react-router";
import { useDeployments, useEnvironments } from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import type { DeploymentStatus } from "../api/types.ts";
import { DeploymentTable } from "../components/DeploymentTable.tsx";
import { LiveBadge } from "../components/LiveBadge.tsx";
import { Pager, useCursor } from "../components/Pager.tsx";
import { Empty, Query } from "../components/States.tsx";
import { labelOf } from "../components/Status.tsx";

const STATUSES: DeploymentStatus[] = [
  "running",
  "queued",
  "pending_approval",
  "succeeded",
  "failed",
  "errored",
  "cancelled",
  "rejected",
];

export default function Deployments() {
  const { slug = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const cursor = useCursor();
  const environment = params.get("environment") ?? undefined;
  const status = (params.get("status") as DeploymentStatus | null) ?? undefined;
  const list = useDeployments(slug, { cursor, environment, status });
  const envs = useEnvironments(slug);
  const live = useLiveUpdates(slug);
  useEffect(() => {
    document.title = `Deployments · ${slug} · stagegate`;
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
          <h1>Deployments</h1>
          <div className="meta">
            <span>Every deployment and rollback of {slug}, newest first.</span>
            <LiveBadge live={live} />
          </div>
        </div>
      </div>
      <fieldset className="toolbar" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
        <legend className="sr-only">Filters</legend>
        <label htmlFor="f-env">Environment</label>
        <select id="f-env" value={environment ?? ""} onChange={(e) => set("environment", e.target.value)}>
          <option value="">All</option>
          {envs.data?.items.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={status ?? ""} onChange={(e) => set("status", e.target.value)}>
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {labelOf(s)}
            </option>
          ))}
        </select>
      </fieldset>
      <Query query={list} label="Loading runs">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title={environment || status ? "No run matches these filters" : "No deployments yet"}>
                <p>Promote a release from its page, or from CI:</p>
                <pre>{`stagegate promote --project ${slug} <version> --to <environment> --wait`}</pre>
              </Empty>
            </div>
          ) : (
            <>
              <DeploymentTable items={page.items} />
              <Pager nextCursor={page.nextCursor} label="runs" />
            </>
          )
        }
      </Query>
    </>
  );
}

import { useEffect } from "react";
import { useParams } from "react-router";
import { useDeployments } from "../api/hooks.ts";
import { useLiveUpdates } from "../api/live.ts";
import type { DeploymentStatus } from "../api/types.ts";
import { DeploymentTable } from "../components/DeploymentTable.tsx";
import { EnvStatusFilters, useEnvStatusFilter } from "../components/EnvStatusFilters.tsx";
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
  const cursor = useCursor();
  const filter = useEnvStatusFilter();
  const environment = filter.environment;
  const status = filter.status as DeploymentStatus | undefined;
  const list = useDeployments(slug, { cursor, environment, status });
  const live = useLiveUpdates(slug);
  useEffect(() => {
    document.title = `Deployments · ${slug} · stagegate`;
  }, [slug]);
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
      <EnvStatusFilters slug={slug} statuses={STATUSES} label={labelOf} />
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

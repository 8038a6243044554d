import { Link } from "react-router";
import type { Deployment } from "../api/types.ts";
import { Status } from "./Status.tsx";
import { formatDuration, RelTime } from "./Time.tsx";

export function DeploymentTable({ items }: { items: Deployment[] }) {
  return (
    <div className="table-wrap">
      <table aria-label="Deployments">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Release</th>
            <th scope="col">Environment</th>
            <th scope="col" className="hide-narrow">
              By
            </th>
            <th scope="col">When</th>
            <th scope="col" className="num hide-narrow">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <td>
                <Link to={`/deployments/${d.id}`} aria-label={`Deployment ${d.release} to ${d.environment}: ${d.status}`}>
                  <Status status={d.status} />
                </Link>
              </td>
              <td>
                <code>{d.release}</code>
                {d.kind === "rollback" ? <span className="muted"> rollback</span> : null}
              </td>
              <td>{d.environment}</td>
              <td className="hide-narrow">{d.createdBy ?? "—"}</td>
              <td>
                <RelTime at={d.createdAt} />
              </td>
              <td className="num hide-narrow mono">
                {d.startedAt
                  ? formatDuration((d.finishedAt ? Date.parse(d.finishedAt) : Date.now()) - Date.parse(d.startedAt))
                  : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { Status } from "./Status.tsx";

/** A run's status in the shared status language; `unknown` is "we could not tell" (amber triangle), like errored. */
export function RunStatus({ status }: { status: string }) {
  return status === "unknown" ? <Status status="errored">Unknown</Status> : <Status status={status} />;
}

/** A finding's or alert's severity: critical red cross, warning amber triangle, info blue dash. Icon and word. */
export function Severity({ severity }: { severity: string }) {
  if (severity === "critical") return <Status status="failed">Critical</Status>;
  if (severity === "warning") return <Status status="errored">Warning</Status>;
  return (
    <span className="status info" data-status="info">
      <svg aria-hidden="true" width="14" height="14" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.8">
        <circle cx="8" cy="8" r="6.5" />
        <path d="M8 7v4.5M8 4.6v.2" />
      </svg>
      Info
    </span>
  );
}

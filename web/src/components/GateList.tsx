import { Link } from "react-router";
import type { GateResult } from "../api/types.ts";
import { Status } from "./Status.tsx";

/** Gate verdicts with their evidence: expected vs actual and the report runs they were judged on. */
export function GateList({ gates, title = "Gates" }: { gates: GateResult[]; title?: string }) {
  if (gates.length === 0) return null;
  return (
    <section aria-label={title}>
      <h4 className="muted" style={{ margin: "4px 0", fontSize: 12 }}>
        {title}
      </h4>
      <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
        {gates.map((g) => (
          <li key={g.type} style={{ display: "flex", gap: 10, flexWrap: "wrap", alignItems: "baseline", padding: "3px 0" }}>
            <Status status={g.passed ? "passed" : "failed"}>{g.type.replace(/_/g, " ")}</Status>
            <span className="muted">
              {g.message} (expected {g.expected}, got {g.actual})
            </span>
            {g.evidence.runIds.slice(0, 3).map((id) => (
              <Link key={id} to={`/reports/${id}`} className="mono" style={{ fontSize: 12 }}>
                report {id.slice(-6)}
              </Link>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

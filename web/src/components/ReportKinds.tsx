import { Link } from "react-router";
import type { CommitReport } from "../api/types.ts";
import { Empty } from "./States.tsx";
import { Status } from "./Status.tsx";
import { number, percent } from "./Time.tsx";

/** A commit's verdict per report kind (unit, integration, …): counts, failing tests, coverage, links to the runs. */
export function ReportKinds({ report, slug }: { report: CommitReport; slug: string }) {
  if (report.kinds.length === 0) {
    return (
      <div className="card">
        <Empty title="No test reports for this commit yet">
          <p>Upload them from CI after the tests ran:</p>
          <pre>{`stagegate report upload --project ${slug} --commit ${report.commitSha.slice(0, 12)} --branch main \\\n  --kind unit reports/junit.xml coverage/lcov.info`}</pre>
        </Empty>
      </div>
    );
  }
  return (
    <div className="table-wrap">
      <table aria-label="Reports by kind">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Verdict</th>
            <th scope="col" className="num">
              Tests
            </th>
            <th scope="col" className="num">
              Failed
            </th>
            <th scope="col" className="num hide-narrow">
              Flaky
            </th>
            <th scope="col" className="num">
              Coverage
            </th>
            <th scope="col">Runs</th>
          </tr>
        </thead>
        <tbody>
          {report.kinds.map((k) => {
            const failed = k.tests.failed + k.tests.errored;
            return (
              <tr key={k.kind}>
                <td>{k.kind}</td>
                <td>
                  <Status status={failed > 0 ? "failed" : "passed"} />
                  {k.failing.length > 0 ? (
                    <div className="muted" style={{ fontSize: 12, overflowWrap: "anywhere" }}>
                      {k.failing.slice(0, 3).join(", ")}
                      {k.failing.length > 3 ? ` +${k.failing.length - 3}` : ""}
                    </div>
                  ) : null}
                </td>
                <td className="num">{number(k.tests.total)}</td>
                <td className="num">{number(failed)}</td>
                <td className="num hide-narrow">{number(k.tests.flaky)}</td>
                <td className="num">{percent(k.coverage?.lines)}</td>
                <td>
                  {k.runs.map((id, i) => (
                    <Link key={id} to={`/reports/${id}`} style={{ marginRight: 6 }}>
                      run {i + 1}
                    </Link>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

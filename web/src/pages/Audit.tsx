import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { useAudit, useAuditVerify } from "../api/hooks.ts";
import { DataTable } from "../components/DataTable.tsx";
import { useCursor } from "../components/Pager.tsx";
import { Empty, ErrorState, Query } from "../components/States.tsx";
import { Status } from "../components/Status.tsx";
import { RelTime } from "../components/Time.tsx";

const FILTERS = [
  ["project", "Project", "demo"],
  ["actor", "Actor", "alice"],
  ["action", "Action", "deployment.promoted"],
  ["subject", "Subject", "deployment:dep_…"],
] as const;

export default function Audit() {
  const [params, setParams] = useSearchParams();
  const cursor = useCursor();
  const filter = Object.fromEntries(FILTERS.flatMap(([key]) => (params.get(key) ? [[key, params.get(key) ?? ""]] : [])));
  const audit = useAudit({ cursor, ...filter });
  const [verify, setVerify] = useState(false);
  const verified = useAuditVerify(verify);
  useEffect(() => {
    document.title = "Audit log · stagegate";
  }, []);
  return (
    <>
      <div className="page-head">
        <div className="title">
          <h1>Audit log</h1>
          <div className="meta">Every state change, hash-chained: each event's hash covers the one before it.</div>
        </div>
        <button type="button" onClick={() => (verify ? void verified.refetch() : setVerify(true))} disabled={verified.isFetching}>
          {verified.isFetching ? "Verifying…" : "Verify the chain"}
        </button>
      </div>
      {verified.data ? (
        verified.data.ok ? (
          <div className="banner ok" role="status">
            <Status status="succeeded">Chain intact</Status>
            <span>
              {verified.data.count.toLocaleString("en-US")} events check out; last hash{" "}
              <code>{verified.data.lastHash.slice(0, 16)}…</code>
            </span>
          </div>
        ) : (
          <div className="banner bad" role="alert">
            <Status status="failed">Chain broken at seq {verified.data.brokenSeq}</Status>
            <span>{verified.data.message}</span>
          </div>
        )
      ) : verified.error ? (
        <ErrorState error={verified.error} />
      ) : null}
      <form
        className="toolbar"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          const next = new URLSearchParams();
          for (const [key] of FILTERS) {
            const value = String(data.get(key) ?? "").trim();
            if (value) next.set(key, value);
          }
          setParams(next);
        }}
      >
        {FILTERS.map(([key, label, hint]) => (
          <span key={key} style={{ display: "inline-flex", gap: 6, alignItems: "center" }}>
            <label htmlFor={`a-${key}`}>{label}</label>
            <input id={`a-${key}`} name={key} defaultValue={params.get(key) ?? ""} placeholder={hint} style={{ width: 150 }} />
          </span>
        ))}
        <button type="submit">Filter</button>
      </form>
      <Query query={audit} label="Loading the audit log">
        {(page) =>
          page.items.length === 0 ? (
            <div className="card">
              <Empty title="No events match">
                <p>Events appear as people and jobs change things: promotions, approvals, config applies, tokens.</p>
              </Empty>
            </div>
          ) : (
            <DataTable
              label="Audit events"
              rows={page.items}
              rowKey={(e) => e.id}
              pages={{ nextCursor: page.nextCursor, label: "events" }}
              columns={[
                { header: "Seq", num: true, className: "mono", cell: (e) => e.seq },
                { header: "When", cell: (e) => <RelTime at={e.at} /> },
                { header: "Actor", cell: (e) => e.actor },
                { header: "Action", cell: (e) => <code>{e.action}</code> },
                {
                  header: "Subject",
                  className: "mono",
                  style: { overflowWrap: "anywhere" },
                  cell: (e) => `${e.subject.type}:${e.subject.id}`,
                },
                {
                  header: "Data",
                  hideNarrow: true,
                  className: "mono muted",
                  style: { fontSize: 12, overflowWrap: "anywhere", maxWidth: 360 },
                  cell: (e) => JSON.stringify(e.data).slice(0, 160),
                },
              ]}
            />
          )
        }
      </Query>
    </>
  );
}

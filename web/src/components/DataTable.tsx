import type { CSSProperties, ReactNode } from "react";
import { Pager } from "./Pager.tsx";
import { Status } from "./Status.tsx";

export interface Column<T> {
  /** Header text; with `hiddenHeader` it is for screen readers only (an actions column). */
  header: string;
  cell: (row: T) => ReactNode;
  /** Right-aligned numbers. */
  num?: boolean;
  /** Dropped below 640 px, where the row must still fit. */
  hideNarrow?: boolean;
  hiddenHeader?: boolean;
  className?: string;
  style?: CSSProperties;
}

/**
 * The list table every page uses: labelled for tests and screen readers, numbers right-aligned, optional columns
 * dropped on narrow screens, and the cursor pager (URL `?cursor=`) under it when the list has pages.
 */
export function DataTable<T>(props: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Show the pager: the page's `nextCursor` and what the rows are called ("releases"). */
  pages?: { nextCursor: string | null | undefined; label: string };
}) {
  const classOf = (c: Column<T>, extra?: string) =>
    [c.num ? "num" : "", c.hideNarrow ? "hide-narrow" : "", extra ?? ""].filter(Boolean).join(" ") || undefined;
  return (
    <>
      <div className="table-wrap">
        <table aria-label={props.label}>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th key={c.header} scope="col" className={classOf(c)}>
                  {c.hiddenHeader ? <span className="sr-only">{c.header}</span> : c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <tr key={props.rowKey(row)}>
                {props.columns.map((c) => (
                  <td key={c.header} className={classOf(c, c.className)} style={c.style}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.pages ? <Pager nextCursor={props.pages.nextCursor} label={props.pages.label} /> : null}
    </>
  );
}

/** A notification delivery's state, with the channel's last answer under it when it had one. */
export function DeliveryStatus({ status, lastError }: { status: string; lastError: string | null }) {
  return (
    <>
      <Status status={status} />
      {lastError ? (
        <div className="muted" style={{ fontSize: 12 }}>
          {lastError}
        </div>
      ) : null}
    </>
  );
}

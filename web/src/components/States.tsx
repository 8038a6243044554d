import type { ReactNode } from "react";
import { errorMessage } from "../../../src/shared/errors.ts";
import { ApiError } from "../api/client.ts";

export function Skeleton({ height = 16, width = "100%" }: { height?: number; width?: number | string }) {
  return <div className="skeleton" style={{ height, width }} aria-hidden="true" />;
}

/** A placeholder of the page's shape, so nothing jumps when data arrives. */
export function Loading({ label = "Loading", rows = 4 }: { label?: string; rows?: number }) {
  return (
    <div role="status" aria-live="polite" aria-busy="true" className="card">
      <span className="sr-only">{label}…</span>
      <div className="grid" style={{ gap: 10 }}>
        <Skeleton height={20} width="40%" />
        {Array.from({ length: rows }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
          <Skeleton key={i} height={14} width={`${90 - i * 12}%`} />
        ))}
      </div>
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const message = errorMessage(error);
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div role="alert" className="banner bad">
      <div style={{ flex: 1, minWidth: 0 }}>
        <strong>Something went wrong.</strong> {message}
        {code ? <span className="muted"> ({code})</span> : null}
      </div>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** An empty list that teaches the next step (usually a command to paste into CI). */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** Renders loading, error or the content of a react-query result. */
export function Query<T>(props: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  label?: string;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading label={props.label ?? "Loading"} />;
  if (query.data === undefined) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  return <>{props.children(query.data)}</>;
}

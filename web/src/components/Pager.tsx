import { Link, useLocation, useSearchParams } from "react-router";

/** Keyset pagination kept in the URL (`?cursor=`), so a page can be linked to. */
export function Pager({ nextCursor, label = "results" }: { nextCursor: string | null | undefined; label?: string }) {
  const [params] = useSearchParams();
  const location = useLocation();
  const current = params.get("cursor");
  const withCursor = (cursor: string | null) => {
    const next = new URLSearchParams(params);
    if (cursor) next.set("cursor", cursor);
    else next.delete("cursor");
    const text = next.toString();
    return `${location.pathname}${text ? `?${text}` : ""}`;
  };
  if (!current && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={`Pages of ${label}`}>
      {current ? <Link to={withCursor(null)}>← Newest</Link> : null}
      {nextCursor ? (
        <Link className="button" to={withCursor(nextCursor)}>
          Older →
        </Link>
      ) : (
        <span className="muted">End of {label}</span>
      )}
    </nav>
  );
}

export function useCursor(): string | undefined {
  const [params] = useSearchParams();
  return params.get("cursor") ?? undefined;
}

import { invalid } from "./errors.ts";

/** Keyset position: the sort key and id of the last item of a page, opaque to clients. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString("base64url");
}

export function decodeCursor(text: string | undefined): Cursor | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw invalid("cursor is not one this server handed out; start again without it", { field: "cursor" });
}

export interface PageRequest {
  limit: number;
  cursor: Cursor | undefined;
}

/** Reads one extra row to know whether a next page exists without counting. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => Cursor): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

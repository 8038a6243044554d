import type { PageOf } from "../shared/api.ts";

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/**
 * Walks a keyset-paginated list endpoint, item by item, following `nextCursor` until it is null.
 * `list` is any list call of the client bound to its other arguments:
 * `paginate((page) => client.listReleases("demo", page))`.
 */
export async function* paginate<T>(
  list: (page: PageRequest) => Promise<PageOf<T>>,
  options: { pageSize?: number } = {},
): AsyncGenerator<T> {
  let cursor: string | undefined;
  while (true) {
    const page = await list({
      ...(options.pageSize === undefined ? {} : { limit: options.pageSize }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.items;
    // A cursor that does not move would loop forever; treat it as the end.
    if (page.nextCursor === null || page.nextCursor === cursor) return;
    cursor = page.nextCursor;
  }
}

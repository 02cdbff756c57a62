import { useEffect, useState } from "preact/hooks";
import { ApiError, getJson } from "./api";

/** A page of a keyset-paged list, as every list endpoint of the API answers. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedList<T> {
  page: Page<T> | null;
  error: ApiError | null;
  loading: boolean;
  /** Cursors of the pages before this one (empty on the first page). */
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
  first: () => void;
  reload: () => void;
}

/**
 * Reads `path` (with its filters as `query`) page by page through the API's cursor. The list starts over whenever
 * the filters change; moving back pops the cursors seen on the way forward.
 */
export function usePagedList<T>(path: string, query: URLSearchParams): PagedList<T> {
  const filters = query.toString();
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => setCursors([]), [path, filters]);

  const cursor = cursors.at(-1);
  useEffect(() => {
    let cancelled = false;
    const params = new URLSearchParams(filters);
    if (cursor) params.set("cursor", cursor);
    const url = params.size > 0 ? `${path}?${params}` : path;
    setLoading(true);
    getJson<Page<T>>(url)
      .then((result) => {
        if (cancelled) return;
        setPage(result);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (cancelled) return;
        setError(failure instanceof ApiError ? failure : new ApiError(0, "client_error", String(failure), null));
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [path, filters, cursor, generation]);

  return {
    page,
    error,
    loading,
    hasPrevious: cursors.length > 0,
    next: () => {
      if (page?.nextCursor) setCursors([...cursors, page.nextCursor]);
    },
    previous: () => setCursors(cursors.slice(0, -1)),
    first: () => setCursors([]),
    reload: () => setGeneration(generation + 1),
  };
}

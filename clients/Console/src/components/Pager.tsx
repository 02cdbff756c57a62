import type { PagedList } from "../paging";

/** Previous / next through a keyset-paged list, plus a reload; labelled for assistive technology. */
export function Pager<T>(props: { list: PagedList<T>; noun: string }) {
  const { list, noun } = props;
  return (
    <nav class="pager" aria-label={`Pages of ${noun}`}>
      <button type="button" onClick={list.first} disabled={!list.hasPrevious || list.loading}>
        First page
      </button>
      <button type="button" onClick={list.previous} disabled={!list.hasPrevious || list.loading}>
        Previous page
      </button>
      <button type="button" onClick={list.next} disabled={!list.page?.nextCursor || list.loading}>
        Next page
      </button>
      <button type="button" onClick={list.reload} disabled={list.loading}>
        Refresh
      </button>
    </nav>
  );
}

import { useEffect, useState } from "react";

import { useI18n } from "../i18n";

/** How long typing pauses before a search is sent. */
const SEARCH_DELAY_MS = 300;

/**
 * Where a person is in a searched, offset-paged list: the search as typed, the search sent
 * (once typing pauses, so that every key does not ask the server) and the offset, back at the
 * first page whenever a new search is sent.
 */
export function useSearchedPages() {
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [offset, setOffset] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(search);
      setOffset(0);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  return { search, setSearch, query, offset, setOffset };
}

interface PagerProps {
  /** Matching entries skipped before this page. */
  offset: number;
  /** Entries on this page. */
  shown: number;
  /** Matching entries over all pages. */
  total: number;
  pageSize: number;
  onOffset: (offset: number) => void;
}

/** Previous and next under an offset-paged table, with which of the matching entries it shows. */
export function Pager({ offset, shown, total, pageSize, onOffset }: PagerProps) {
  const { t } = useI18n();
  if (total === 0) return null;
  return (
    <div className="pager" data-testid="pager">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))} data-testid="pager-previous">
        {t("pager.previous")}
      </button>
      <span className="muted" data-testid="pager-range">
        {t("pager.range", { from: offset + 1, to: offset + shown, total })}
      </span>
      <button type="button" disabled={offset + shown >= total} onClick={() => onOffset(offset + pageSize)} data-testid="pager-next">
        {t("pager.next")}
      </button>
    </div>
  );
}

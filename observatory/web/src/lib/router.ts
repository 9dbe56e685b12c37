import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { carryGlobals, updateSearch } from './url.js';

// A tiny history-API router: the location is an external store; navigation pushes history
// entries and notifies subscribers. Paths are matched with `matchPath` from url.ts.

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export interface NavigateOptions {
  replace?: boolean;
  keepScroll?: boolean;
  /** Carry the global parameters (time range, refresh) over from the current URL; default true. */
  carry?: boolean;
}

export function navigate(to: string, options: NavigateOptions = {}): void {
  const target = options.carry === false ? to : carryGlobals(to, new URLSearchParams(window.location.search));
  if (target === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  if (!options.keepScroll && !options.replace) window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export interface Location {
  pathname: string;
  search: URLSearchParams;
  /** pathname + search, for use as a memo or effect dependency. */
  key: string;
}

export function useLocation(): Location {
  const key = useSyncExternalStore(subscribe, snapshot, snapshot);
  return useMemo(() => {
    const q = key.indexOf('?');
    return {
      pathname: q >= 0 ? key.slice(0, q) : key,
      search: new URLSearchParams(q >= 0 ? key.slice(q + 1) : ''),
      key,
    };
  }, [key]);
}

/** Reads and writes the query string of the current page. */
export function useSearch(): [
  URLSearchParams,
  (updates: Record<string, string | readonly string[] | undefined>, options?: { replace?: boolean }) => void,
] {
  const { search, pathname } = useLocation();
  const set = useCallback(
    (
      updates: Record<string, string | readonly string[] | undefined>,
      options: { replace?: boolean } = {},
    ) => {
      const current = new URLSearchParams(window.location.search);
      const next = updateSearch(current, updates).toString();
      navigate(`${pathname}${next ? `?${next}` : ''}`, {
        replace: options.replace,
        keepScroll: true,
        carry: false,
      });
    },
    [pathname],
  );
  return [search, set];
}

/** An href with the global parameters of the current URL carried over. */
export function useHref(to: string): string {
  const { search } = useLocation();
  return carryGlobals(to, search);
}

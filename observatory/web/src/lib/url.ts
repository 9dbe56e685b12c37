// URL helpers for the router: path matching and carrying the global parameters (time range and
// auto-refresh) from the current URL into every link. Pure.

/** Parameters that follow the user from page to page. */
export const globalParamKeys = ['range', 'from', 'to', 'refresh'] as const;

/** Matches "/services/:service" against a pathname; returns the decoded parameters or null. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const clean = (p: string) => p.replace(/\/+$/, '') || '/';
  const want = clean(pattern).split('/');
  const have = clean(pathname).split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) {
      if (!h) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return null;
      }
    } else if (w !== h) {
      return null;
    }
  }
  return params;
}

/**
 * Adds the global parameters of `current` to `target` (a path with an optional query) unless the
 * target sets them itself. A target with `from`/`to` (a fixed window) drops the current `range`.
 */
export function carryGlobals(target: string, current: URLSearchParams): string {
  const hashAt = target.indexOf('#');
  const hash = hashAt >= 0 ? target.slice(hashAt) : '';
  const withoutHash = hashAt >= 0 ? target.slice(0, hashAt) : target;
  const q = withoutHash.indexOf('?');
  const path = q >= 0 ? withoutHash.slice(0, q) : withoutHash;
  const params = new URLSearchParams(q >= 0 ? withoutHash.slice(q + 1) : '');
  const setsWindow = params.has('from') || params.has('to') || params.has('range');
  for (const key of globalParamKeys) {
    if (params.has(key)) continue;
    if (setsWindow && key !== 'refresh') continue;
    const value = current.get(key);
    if (value !== null) params.set(key, value);
  }
  const search = params.toString();
  return `${path}${search ? `?${search}` : ''}${hash}`;
}

/** A copy of `search` with `updates` applied (undefined or '' removes a key; arrays repeat it). */
export function updateSearch(
  search: URLSearchParams,
  updates: Record<string, string | readonly string[] | undefined>,
): URLSearchParams {
  const next = new URLSearchParams(search);
  for (const [key, value] of Object.entries(updates)) {
    next.delete(key);
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) if (v !== '') next.append(key, v);
    } else {
      next.set(key, value as string);
    }
  }
  return next;
}

/**
 * How far around a known moment of a trace (`at`) its spans are looked for. The store reads only
 * that window instead of the whole table (trace ids are random, so an unhinted lookup scans every
 * row); spans starting outside it would be missed, so it is generous: long traces and consumers
 * that run minutes after the request still fall inside. With no span in the window the API falls
 * back to a full lookup.
 */
export const TRACE_HINT_MARGIN_MS = 15 * 60_000;

/** The time window a trace page asks the API to read, from the moment in its URL. */
export function traceHintWindow(atMs: number | undefined): { startMs: number; endMs: number } | undefined {
  if (atMs === undefined || !Number.isFinite(atMs) || atMs <= 0) return undefined;
  return { startMs: Math.floor(atMs - TRACE_HINT_MARGIN_MS), endMs: Math.ceil(atMs + TRACE_HINT_MARGIN_MS) };
}

/**
 * Link to a trace page. `atMs`, a moment the trace is known to cover (a search result's start, a
 * log record's time), goes along as `at` so the page can narrow its lookup.
 */
export function traceHref(
  traceId: string,
  atMs?: number,
  params: Record<string, string | undefined> = {},
): string {
  return href(`/traces/${traceId}`, { ...params, at: atMs === undefined ? undefined : Math.round(atMs) });
}

/** Builds "path?query" from a path and parameters, leaving out empty values. */
export function href(
  path: string,
  params: Record<string, string | number | readonly string[] | undefined> = {},
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) search.append(key, v);
    } else {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

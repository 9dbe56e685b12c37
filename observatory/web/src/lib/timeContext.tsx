import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useLocation, useSearch } from './router.js';
import {
  chooseStepMs,
  defaultRefresh,
  parseRange,
  parseRefresh,
  type RefreshKey,
  rangeParams,
  refreshIntervals,
  resolveWindow,
  type TimeRange,
  type Window,
} from './time.js';

export interface TimeState {
  range: TimeRange;
  refresh: RefreshKey;
  /** The concrete window every query of the page uses (fixed until the next refresh). */
  window: Window;
  /** A bucket size suited to the window, for time series. */
  stepMs: number;
  setRange: (range: TimeRange) => void;
  setRefresh: (refresh: RefreshKey) => void;
  /** Move a relative window to now and refetch everything. */
  refreshNow: () => void;
}

const TimeContext = createContext<TimeState | null>(null);

const STALE_AFTER_MS = 30_000;

const nowSeconds = () => Math.floor(Date.now() / 1000) * 1000;

/**
 * The global time range and auto-refresh, read from and written to the URL. A relative range is
 * resolved against an anchor "now" that only moves on refresh (manual or automatic), so query keys
 * stay stable between refreshes and pages share cached results.
 */
export function TimeProvider({ children }: { children: ReactNode }) {
  const [search, setSearch] = useSearch();
  const rangeKey = `${search.get('range')}|${search.get('from')}|${search.get('to')}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: rangeKey captures the parameters parseRange reads
  const range = useMemo(() => parseRange(search), [rangeKey]);
  const refresh = parseRefresh(search);
  const [nowMs, setNowMs] = useState(nowSeconds);
  const queryClient = useQueryClient();

  // Moving to another page re-anchors a relative window that has gone stale, so a page opened
  // minutes later shows the last minutes, not the ones when the console was loaded.
  const { pathname } = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation only
  useEffect(() => {
    if (range.kind === 'relative' && Date.now() - nowMs > STALE_AFTER_MS) setNowMs(nowSeconds());
  }, [pathname]);

  const intervalMs = refreshIntervals[refresh];
  useEffect(() => {
    if (intervalMs === 0) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'hidden') return;
      if (range.kind === 'relative') setNowMs(nowSeconds());
      else void queryClient.invalidateQueries();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, range.kind, queryClient]);

  const setRange = useCallback(
    (next: TimeRange) => {
      setNowMs(nowSeconds());
      setSearch(rangeParams(next));
    },
    [setSearch],
  );
  const setRefresh = useCallback(
    (next: RefreshKey) => setSearch({ refresh: next === defaultRefresh(search) ? undefined : next }),
    [setSearch, search],
  );
  const refreshNow = useCallback(() => {
    setNowMs(nowSeconds());
    void queryClient.invalidateQueries();
  }, [queryClient]);

  const value = useMemo<TimeState>(() => {
    const window = resolveWindow(range, nowMs);
    return { range, refresh, window, stepMs: chooseStepMs(window), setRange, setRefresh, refreshNow };
  }, [range, refresh, nowMs, setRange, setRefresh, refreshNow]);

  return <TimeContext.Provider value={value}>{children}</TimeContext.Provider>;
}

export function useTime(): TimeState {
  const value = useContext(TimeContext);
  if (!value) throw new Error('useTime() outside <TimeProvider>');
  return value;
}

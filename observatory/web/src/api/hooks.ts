import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { resolveWindow } from '../lib/time.js';
import { useTime } from '../lib/timeContext.js';
import { api, type LogQuery, type MetricQuery, type TimeWindow, type TraceQuery } from './client.js';
import type { SloWindow } from './schemas.js';

/** Alert state changes on its own clock: the alert views and the header badge poll it. */
export const ALERTS_POLL_MS = 3000;

// Server state lives in TanStack Query. Keys include the concrete time window, so a refresh (which
// moves the window) fetches anew while the previous data stays on screen.

export function useServices() {
  return useQuery({
    queryKey: ['services'],
    queryFn: ({ signal }) => api.services(signal),
    staleTime: 15_000,
  });
}

export function useOperations(service: string | undefined) {
  return useQuery({
    queryKey: ['operations', service],
    queryFn: ({ signal }) => api.operations(service!, signal),
    enabled: Boolean(service),
    staleTime: 30_000,
  });
}

export function useRed() {
  const { window, stepMs } = useTime();
  return useQuery({
    queryKey: ['red', window, stepMs],
    queryFn: ({ signal }) => api.red(window, stepMs, signal),
    placeholderData: keepPreviousData,
  });
}

export function useRoutes(service: string) {
  const { window } = useTime();
  return useQuery({
    queryKey: ['routes', service, window],
    queryFn: ({ signal }) => api.routes(service, window, signal),
    placeholderData: keepPreviousData,
  });
}

export function useDependencies() {
  const { window } = useTime();
  return useQuery({
    queryKey: ['dependencies', window],
    queryFn: ({ signal }) => api.dependencies(window, signal),
    placeholderData: keepPreviousData,
  });
}

export function useSelfHealth() {
  const { window } = useTime();
  // /api/self is "now"; it follows the refresh anchor like everything else.
  return useQuery({
    queryKey: ['self', window.endMs],
    queryFn: ({ signal }) => api.self(signal),
    placeholderData: keepPreviousData,
  });
}

export function useTraces(query: TraceQuery, enabled = true) {
  const { window } = useTime();
  return useQuery({
    queryKey: ['traces', window, query],
    queryFn: ({ signal }) => api.traces(window, query, signal),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useTrace(traceId: string, hint?: { startMs: number; endMs: number }) {
  return useQuery({
    queryKey: ['trace', traceId, hint?.startMs, hint?.endMs],
    queryFn: ({ signal }) => api.trace(traceId, hint, signal),
    staleTime: 10_000,
  });
}

/** Logs in the global window, or in `options.window` (e.g. around a trace). */
export function useLogs(query: LogQuery, options: { window?: TimeWindow; enabled?: boolean } = {}) {
  const time = useTime();
  const w = options.window ?? time.window;
  return useQuery({
    queryKey: ['logs', w, query],
    queryFn: ({ signal }) => api.logs(w, query, signal),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
  });
}

export function useMetricList() {
  return useQuery({ queryKey: ['metrics'], queryFn: ({ signal }) => api.metrics(signal), staleTime: 30_000 });
}

export function useMetricQuery(query: MetricQuery | undefined) {
  const { window } = useTime();
  return useQuery({
    queryKey: ['metricQuery', window, query],
    queryFn: ({ signal }) => api.metricQuery(window, query!, signal),
    enabled: Boolean(query?.name),
    placeholderData: keepPreviousData,
  });
}

/** The healer's audit log (polled like the alerts: a remediation takes seconds). */
export function useRemediations() {
  return useQuery({
    queryKey: ['remediations'],
    queryFn: ({ signal }) => api.remediations(signal),
    refetchInterval: ALERTS_POLL_MS,
    placeholderData: keepPreviousData,
  });
}

/** Alerts now and their recent history (polled: the header badge shows them on every page). */
export function useAlerts() {
  return useQuery({
    queryKey: ['alerts'],
    queryFn: ({ signal }) => api.alerts(signal),
    refetchInterval: ALERTS_POLL_MS,
    placeholderData: keepPreviousData,
  });
}

/** The SLOs with their burn-rate history over the global range (a relative range ends at each poll). */
export function useSlos(window: SloWindow) {
  const { range } = useTime();
  return useQuery({
    queryKey: ['slos', window, range],
    queryFn: ({ signal }) => api.slos(window, resolveWindow(range, Date.now()), signal),
    refetchInterval: ALERTS_POLL_MS,
    placeholderData: keepPreviousData,
  });
}

import type { z } from 'zod';
import {
  alertsResponseSchema,
  dependenciesResponseSchema,
  logsResponseSchema,
  metricQueryResponseSchema,
  metricsResponseSchema,
  operationsResponseSchema,
  problemSchema,
  redResponseSchema,
  redRoutesResponseSchema,
  remediationsResponseSchema,
  type SloWindow,
  selfResponseSchema,
  servicesResponseSchema,
  slosResponseSchema,
  traceResponseSchema,
  tracesResponseSchema,
} from './schemas.js';

/** An error answered by the API (problem+json), or a response that did not match its schema. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: 'http' | 'schema' | 'network',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type QueryValue = string | number | boolean | undefined | null | readonly string[];

/** Builds a query string; undefined/null/'' values are left out, arrays repeat the key. */
export function toSearch(params: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== '') search.append(key, item);
    } else {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function getJson<S extends z.ZodType>(
  path: string,
  schema: S,
  signal?: AbortSignal,
): Promise<z.output<S>> {
  let response: Response;
  try {
    response = await fetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(`Cannot reach the observatory (${(err as Error).message})`, 0, 'network');
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const problem = problemSchema.safeParse(body);
    const detail = problem.success ? (problem.data.detail ?? problem.data.title) : undefined;
    throw new ApiError(detail ?? `${response.status} ${response.statusText}`, response.status, 'http');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid';
    throw new ApiError(
      `Unexpected response from ${path.split('?')[0]} — ${where}`,
      response.status,
      'schema',
    );
  }
  return parsed.data;
}

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

const windowParams = (w: TimeWindow) => ({ start: Math.floor(w.startMs), end: Math.ceil(w.endMs) });

export interface TraceQuery {
  service?: string;
  operation?: string;
  attrs?: readonly string[];
  minDurationMs?: number;
  maxDurationMs?: number;
  errorsOnly?: boolean;
  limit?: number;
}

export interface LogQuery {
  q?: string;
  severity?: string;
  service?: string;
  traceId?: string;
  attrs?: readonly string[];
  limit?: number;
}

export interface MetricQuery {
  name: string;
  fn: string;
  groupBy?: readonly string[];
  service?: string;
  attrs?: readonly string[];
  stepMs?: number;
}

export function logQueryParams(query: LogQuery): Record<string, QueryValue> {
  return {
    q: query.q,
    severity: query.severity,
    service: query.service,
    traceId: query.traceId,
    attr: query.attrs,
  };
}

const enc = encodeURIComponent;

export const api = {
  services: (signal?: AbortSignal) => getJson('/api/services', servicesResponseSchema, signal),
  operations: (service: string, signal?: AbortSignal) =>
    getJson(`/api/services/${enc(service)}/operations`, operationsResponseSchema, signal),
  traces: (w: TimeWindow, q: TraceQuery, signal?: AbortSignal) =>
    getJson(
      `/api/traces${toSearch({
        ...windowParams(w),
        service: q.service,
        operation: q.operation,
        attr: q.attrs,
        minDurationMs: q.minDurationMs,
        maxDurationMs: q.maxDurationMs,
        errorsOnly: q.errorsOnly ? 'true' : undefined,
        limit: q.limit,
      })}`,
      tracesResponseSchema,
      signal,
    ),
  /** `hint`: a window the trace's spans start in (see TRACE_HINT_MARGIN_MS); narrows the scan. */
  trace: (traceId: string, hint: { startMs: number; endMs: number } | undefined, signal?: AbortSignal) =>
    getJson(
      `/api/traces/${enc(traceId)}${toSearch({ start: hint?.startMs, end: hint?.endMs })}`,
      traceResponseSchema,
      signal,
    ),
  logs: (w: TimeWindow, q: LogQuery, signal?: AbortSignal) =>
    getJson(
      `/api/logs${toSearch({ ...windowParams(w), ...logQueryParams(q), limit: q.limit })}`,
      logsResponseSchema,
      signal,
    ),
  metrics: (signal?: AbortSignal) => getJson('/api/metrics', metricsResponseSchema, signal),
  metricQuery: (w: TimeWindow, q: MetricQuery, signal?: AbortSignal) =>
    getJson(
      `/api/metrics/query${toSearch({
        ...windowParams(w),
        name: q.name,
        fn: q.fn,
        groupBy: q.groupBy?.length ? q.groupBy.join(',') : undefined,
        service: q.service,
        attr: q.attrs,
        step: q.stepMs,
      })}`,
      metricQueryResponseSchema,
      signal,
    ),
  red: (w: TimeWindow, stepMs: number, signal?: AbortSignal) =>
    getJson(`/api/red${toSearch({ ...windowParams(w), stepMs })}`, redResponseSchema, signal),
  routes: (service: string, w: TimeWindow, signal?: AbortSignal) =>
    getJson(`/api/red/${enc(service)}/routes${toSearch(windowParams(w))}`, redRoutesResponseSchema, signal),
  dependencies: (w: TimeWindow, signal?: AbortSignal) =>
    getJson(`/api/dependencies${toSearch(windowParams(w))}`, dependenciesResponseSchema, signal),
  self: (signal?: AbortSignal) => getJson('/api/self', selfResponseSchema, signal),
  alerts: (signal?: AbortSignal) => getJson('/api/alerts', alertsResponseSchema, signal),
  remediations: (signal?: AbortSignal) => getJson('/api/remediations', remediationsResponseSchema, signal),
  slos: (window: SloWindow, w: TimeWindow, signal?: AbortSignal) =>
    getJson(`/api/slos${toSearch({ window, ...windowParams(w) })}`, slosResponseSchema, signal),
};

/** The URL of the live tail (Server-Sent Events) for the given filters. */
export function logTailUrl(q: LogQuery): string {
  return `/api/logs/tail${toSearch(logQueryParams(q))}`;
}

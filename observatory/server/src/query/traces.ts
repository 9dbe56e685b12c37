import { traceKeyOf } from '../store/schema.js';
import type { TimeRange } from './params.js';
import {
  type AttrFilter,
  attrCondition,
  ENVELOPE_COLUMNS,
  type EnvelopeRow,
  jsonArray,
  jsonObject,
  msToNs,
  nsToMs,
  num,
  Params,
  str,
  toEnvelope,
} from './sql.js';
import type {
  OperationSummary,
  QueryStore,
  ServiceSummary,
  SpanEvent,
  SpanKindName,
  SpanLink,
  SpanRecord,
  StatusCodeName,
  TraceSummary,
} from './types.js';

export const SPAN_KINDS: readonly SpanKindName[] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];
export const STATUS_CODES: readonly StatusCodeName[] = ['unset', 'ok', 'error'];

export function spanKindName(kind: unknown): SpanKindName {
  return SPAN_KINDS[num(kind)] ?? 'unspecified';
}

export function statusCodeName(code: unknown): StatusCodeName {
  return STATUS_CODES[num(code)] ?? 'unset';
}

/** Span columns as every reader wants them: BIGINT as decimal text, JSON as text (parsed in JS). */
export const SPAN_COLUMNS = `trace_id, span_id, parent_span_id, trace_state, name, kind, service,
  CAST(start_ns AS VARCHAR) AS start_ns, CAST(end_ns AS VARCHAR) AS end_ns, CAST(duration_ns AS VARCHAR) AS duration_ns,
  status_code, status_message, CAST(attributes AS VARCHAR) AS attributes, CAST(resource AS VARCHAR) AS resource,
  scope_name, CAST(events AS VARCHAR) AS events, CAST(links AS VARCHAR) AS links, ${ENVELOPE_COLUMNS},
  flags, dropped_attributes_count, dropped_events_count, dropped_links_count`;

export interface SpanRow extends EnvelopeRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  trace_state: string | null;
  name: string;
  kind: number | bigint;
  service: string;
  start_ns: string;
  end_ns: string;
  duration_ns: string;
  status_code: number | bigint;
  status_message: string | null;
  attributes: unknown;
  resource: unknown;
  scope_name: string | null;
  events: unknown;
  links: unknown;
  flags: number | null;
  dropped_attributes_count: number | null;
  dropped_events_count: number | null;
  dropped_links_count: number | null;
}

export function toSpanRecord(row: SpanRow): SpanRecord {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: str(row.parent_span_id),
    traceState: str(row.trace_state),
    name: row.name,
    kind: spanKindName(row.kind),
    service: row.service,
    startTimeUnixNano: row.start_ns,
    endTimeUnixNano: row.end_ns,
    startTimeMs: nsToMs(row.start_ns),
    durationMs: nsToMs(row.duration_ns),
    statusCode: statusCodeName(row.status_code),
    statusMessage: str(row.status_message),
    attributes: jsonObject(row.attributes),
    resource: jsonObject(row.resource),
    scopeName: str(row.scope_name),
    ...toEnvelope(row),
    events: jsonArray(row.events).map(toSpanEvent),
    links: jsonArray(row.links).map(toSpanLink),
    flags: num(row.flags),
    droppedAttributesCount: num(row.dropped_attributes_count),
    droppedEventsCount: num(row.dropped_events_count),
    droppedLinksCount: num(row.dropped_links_count),
  };
}

/** Events and links are stored without their counts and flags when those are 0 (see ingest/convert.ts). */
function toSpanEvent(e: unknown): SpanEvent {
  const event = (e ?? {}) as Partial<SpanEvent>;
  return { ...event, droppedAttributesCount: event.droppedAttributesCount ?? 0 } as SpanEvent;
}

function toSpanLink(l: unknown): SpanLink {
  const link = (l ?? {}) as Partial<SpanLink>;
  return {
    ...link,
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
    flags: link.flags ?? 0,
  } as SpanLink;
}

/**
 * `spans.trace_key` is the first 16 hex digits of `trace_id` as a UBIGINT (see store/schema.ts): trace
 * ids are random, so a lookup by id scans the whole table; comparing 8-byte integers first is about
 * twice as fast as comparing 32-character strings.
 */
/** All spans of one trace in start order (optionally only those starting inside a window). */
export async function fetchTraceSpans(
  store: QueryStore,
  traceId: string,
  window?: TimeRange,
): Promise<SpanRow[]> {
  const p = new Params();
  const where: string[] = [];
  if (/^[0-9a-f]{16}/.test(traceId)) {
    where.push(`trace_key = CAST(${p.add(traceKeyOf(traceId))} AS UBIGINT)`);
  }
  where.push(`trace_id = ${p.add(traceId)}`);
  if (window) where.push(`start_ns >= ${p.ns(window.startNs)}`, `start_ns < ${p.ns(window.endNs)}`);
  return store.query<SpanRow>(
    `SELECT ${SPAN_COLUMNS} FROM spans WHERE ${where.join(' AND ')} ORDER BY start_ns, span_id`,
    p.values,
  );
}

/** All spans of several traces, for the Jaeger search; the window bounds the scan (zone maps on start_ns). */
export async function fetchTracesSpans(
  store: QueryStore,
  traceIds: string[],
  window: TimeRange,
): Promise<SpanRow[]> {
  if (traceIds.length === 0) return [];
  const p = new Params();
  return store.query<SpanRow>(
    `SELECT ${SPAN_COLUMNS} FROM spans
     WHERE trace_id IN ${p.list(traceIds)} AND start_ns >= ${p.ns(window.startNs)} AND start_ns < ${p.ns(window.endNs)}
     ORDER BY trace_id, start_ns, span_id`,
    p.values,
  );
}

/**
 * All spans of a trace. With a `hint` (a window the trace's spans start in, e.g. from a search result) only
 * that window is read, which lets DuckDB skip every row group outside it (trace ids are random, so without
 * a window the lookup scans the whole trace_id column). If the hint finds nothing, the whole table is read.
 */
export async function getTrace(store: QueryStore, traceId: string, hint?: TimeRange): Promise<SpanRecord[]> {
  const id = traceId.toLowerCase();
  let rows = hint ? await fetchTraceSpans(store, id, hint) : [];
  if (rows.length === 0) rows = await fetchTraceSpans(store, id);
  return rows.map(toSpanRecord);
}

export async function listServices(store: QueryStore, range?: TimeRange): Promise<ServiceSummary[]> {
  const p = new Params();
  const where = range ? `WHERE start_ns >= ${p.ns(range.startNs)} AND start_ns < ${p.ns(range.endNs)}` : '';
  const rows = await store.query<{ service: string; span_count: unknown; last_ns: string }>(
    `SELECT service, count(*) AS span_count, CAST(max(start_ns) AS VARCHAR) AS last_ns
     FROM spans ${where} GROUP BY service ORDER BY service`,
    p.values,
  );
  return rows.map((r) => ({
    name: r.service,
    spanCount: num(r.span_count),
    lastSeenMs: Math.floor(nsToMs(r.last_ns)),
  }));
}

export async function listOperations(
  store: QueryStore,
  service: string,
  kind?: number,
): Promise<OperationSummary[]> {
  const p = new Params();
  const where = [`service = ${p.add(service)}`];
  if (kind !== undefined) where.push(`kind = ${p.add(kind)}`);
  const rows = await store.query<{ name: string; kind: unknown }>(
    `SELECT DISTINCT name, kind FROM spans WHERE ${where.join(' AND ')} ORDER BY name, kind`,
    p.values,
  );
  return rows.map((r) => ({ name: r.name, spanKind: spanKindName(r.kind) }));
}

export interface TraceSearch {
  range: TimeRange;
  service?: string;
  operation?: string;
  attrs: AttrFilter[];
  minDurationMs?: number;
  maxDurationMs?: number;
  errorsOnly?: boolean;
  limit: number;
}

/**
 * Trace search. `service`, `operation` and `attr` must all hold for one span of the trace; the duration
 * range applies to the whole trace (first start to last end) and `errorsOnly` to the trace having any span
 * with status ERROR. Only spans starting inside the time range are considered. Newest first.
 */
export async function searchTraces(store: QueryStore, s: TraceSearch): Promise<TraceSummary[]> {
  // Phase 1 picks the page of trace ids with only the aggregates the filters need (cheap even over an
  // hour of spans); phase 2 summarises just those traces. One query doing both costs ~5–10× more.
  const p = new Params();
  const inRange = `start_ns >= ${p.ns(s.range.startNs)} AND start_ns < ${p.ns(s.range.endNs)}`;
  const spanFilters: string[] = [];
  if (s.service !== undefined) spanFilters.push(`service = ${p.add(s.service)}`);
  if (s.operation !== undefined) spanFilters.push(`name = ${p.add(s.operation)}`);
  for (const a of s.attrs) spanFilters.push(attrCondition(p, a));
  const having: string[] = [];
  if (s.minDurationMs !== undefined) {
    having.push(`max(end_ns) - min(start_ns) >= ${p.ns(msToNsExact(s.minDurationMs))}`);
  }
  if (s.maxDurationMs !== undefined) {
    having.push(`max(end_ns) - min(start_ns) <= ${p.ns(msToNsExact(s.maxDurationMs))}`);
  }
  if (s.errorsOnly) having.push('count(*) FILTER (WHERE status_code = 2) > 0');
  const matched =
    spanFilters.length > 0
      ? `AND trace_id IN (SELECT trace_id FROM spans WHERE ${inRange} AND ${spanFilters.join(' AND ')})`
      : '';
  const page = await store.query<{ trace_id: string }>(
    `SELECT trace_id FROM spans
     WHERE ${inRange} ${matched}
     GROUP BY trace_id
     ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
     ORDER BY min(start_ns) DESC, trace_id
     LIMIT ${p.add(s.limit)}`,
    p.values,
  );
  if (page.length === 0) return [];

  const q = new Params();
  const rows = await store.query<{
    trace_id: string;
    start_ns: string;
    duration_ns: string;
    span_count: unknown;
    error_count: unknown;
    root_service: string;
    root_name: string;
    services: string;
  }>(
    `SELECT trace_id,
       CAST(min(start_ns) AS VARCHAR) AS start_ns,
       CAST(max(end_ns) - min(start_ns) AS VARCHAR) AS duration_ns,
       count(*) AS span_count,
       count(*) FILTER (WHERE status_code = 2) AS error_count,
       coalesce(arg_min(service, start_ns) FILTER (WHERE parent_span_id = ''), arg_min(service, start_ns)) AS root_service,
       coalesce(arg_min(name, start_ns) FILTER (WHERE parent_span_id = ''), arg_min(name, start_ns)) AS root_name,
       CAST(to_json(histogram(service)) AS VARCHAR) AS services
     FROM spans
     WHERE start_ns >= ${q.ns(s.range.startNs)} AND start_ns < ${q.ns(s.range.endNs)}
       AND trace_id IN ${q.list(page.map((r) => r.trace_id))}
     GROUP BY trace_id`,
    q.values,
  );
  const byId = new Map(rows.map((r) => [r.trace_id, r]));
  return page.flatMap(({ trace_id }) => {
    const r = byId.get(trace_id);
    if (!r) return [];
    return [
      {
        traceId: r.trace_id,
        rootService: r.root_service,
        rootName: r.root_name,
        startTimeMs: nsToMs(r.start_ns),
        startTimeUnixNano: r.start_ns,
        durationMs: nsToMs(r.duration_ns),
        spanCount: num(r.span_count),
        errorCount: num(r.error_count),
        services: Object.entries(jsonObject(r.services))
          .map(([name, count]) => ({ name, spanCount: num(count) }))
          .sort((a, b) => b.spanCount - a.spanCount || a.name.localeCompare(b.name)),
      },
    ];
  });
}

/** Milliseconds (possibly fractional) to whole nanoseconds. */
export function msToNsExact(ms: number): bigint {
  return Number.isInteger(ms) ? msToNs(ms) : BigInt(Math.round(ms * 1e6));
}

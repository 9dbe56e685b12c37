import { jsonArray, jsonObject, num, str } from './sql.js';
import type { SpanRow } from './traces.js';

/**
 * The JSON model of Jaeger's query service (jaeger `model/json`: Trace, Span, Reference, Process, KeyValue,
 * Log, DependencyLink) and the OTLP → Jaeger mapping of the OpenTelemetry "Jaeger transformation" rules:
 * span kind as `span.kind`, status as `otel.status_code`/`otel.status_description` plus `error=true`,
 * scope as `otel.scope.name`/`otel.scope.version`, the trace state as `w3c.tracestate`, dropped counts as
 * `otel.dropped_attributes_count`/`otel.dropped_events_count`/`otel.dropped_links_count` (tags, and an
 * event's as a field of its log; only when not 0, per the spec's "mapping to non-OTLP formats"), the W3C
 * trace flags (bits 0–7 of OTLP flags; 1 = sampled, as in Jaeger) as the span's `flags`, events as logs
 * with an `event` field, the parent as the first CHILD_OF reference and links as FOLLOWS_FROM, resources
 * as processes. Times and durations in microseconds. Jaeger's model has no place for scope attributes,
 * schema URLs or a link's own dropped count and flags: the query API (/api/traces/:id) returns those.
 */

export type JaegerValueType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerKeyValue {
  key: string;
  type: JaegerValueType;
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  startTime: number;
  duration: number;
  tags: JaegerKeyValue[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  /** Jaeger's span flags (omitted when 0, like Jaeger's JSON model): the W3C trace flags. */
  flags?: number;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerKeyValue[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerDependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/** Jaeger's `structuredResponse`: every answer, errors included, has this envelope. */
export interface JaegerResponse<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: { code?: number; msg: string; traceID?: string }[] | null;
}

export function envelope<T>(data: T, total = 0): JaegerResponse<T> {
  return { data, total, limit: 0, offset: 0, errors: null };
}

export const JAEGER_SPAN_KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'] as const;

/** A typed tag; arrays and maps become JSON text, as the OTel → Jaeger rules say. */
export function keyValue(key: string, value: unknown): JaegerKeyValue {
  if (typeof value === 'string') return { key, type: 'string', value };
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  return { key, type: 'string', value: JSON.stringify(value) ?? '' };
}

function micros(ns: string | bigint): number {
  return Number((typeof ns === 'bigint' ? ns : BigInt(ns || '0')) / 1000n);
}

function spanTags(row: SpanRow): JaegerKeyValue[] {
  const tags = Object.entries(jsonObject(row.attributes)).map(([k, v]) => keyValue(k, v));
  const kind = JAEGER_SPAN_KINDS[num(row.kind)] ?? '';
  if (kind !== '' && kind !== 'internal') tags.push(keyValue('span.kind', kind));
  if (str(row.scope_name) !== '') tags.push(keyValue('otel.scope.name', str(row.scope_name)));
  if (str(row.scope_version) !== '') tags.push(keyValue('otel.scope.version', str(row.scope_version)));
  const status = num(row.status_code);
  if (status !== 0) tags.push(keyValue('otel.status_code', STATUS_NAMES[status] ?? 'UNSET'));
  if (status === 2) {
    if (str(row.status_message) !== '')
      tags.push(keyValue('otel.status_description', str(row.status_message)));
    const i = tags.findIndex((t) => t.key === 'error');
    if (i >= 0) tags.splice(i, 1);
    tags.push(keyValue('error', true));
  }
  if (str(row.trace_state) !== '') tags.push(keyValue('w3c.tracestate', str(row.trace_state)));
  const dropped: [string, unknown][] = [
    ['otel.dropped_attributes_count', row.dropped_attributes_count],
    ['otel.dropped_events_count', row.dropped_events_count],
    ['otel.dropped_links_count', row.dropped_links_count],
  ];
  for (const [key, n] of dropped) if (num(n) !== 0) tags.push(keyValue(key, num(n)));
  return tags;
}

function spanLogs(row: SpanRow): JaegerLog[] {
  return jsonArray(row.events).map((e) => {
    const event = (e ?? {}) as {
      name?: unknown;
      timeUnixNano?: unknown;
      attributes?: unknown;
      droppedAttributesCount?: unknown;
    };
    const attributes = (event.attributes ?? {}) as Record<string, unknown>;
    const fields = Object.entries(attributes).map(([k, v]) => keyValue(k, v));
    if (!('event' in attributes)) fields.unshift(keyValue('event', str(event.name)));
    const dropped = num(event.droppedAttributesCount);
    if (dropped !== 0) fields.push(keyValue('otel.dropped_attributes_count', dropped));
    return { timestamp: micros(str(event.timeUnixNano) || '0'), fields };
  });
}

function spanReferences(row: SpanRow): JaegerReference[] {
  const refs: JaegerReference[] = [];
  if (str(row.parent_span_id) !== '')
    refs.push({ refType: 'CHILD_OF', traceID: row.trace_id, spanID: row.parent_span_id });
  for (const l of jsonArray(row.links)) {
    const link = (l ?? {}) as { traceId?: unknown; spanId?: unknown };
    if (typeof link.traceId === 'string' && typeof link.spanId === 'string') {
      refs.push({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId });
    }
  }
  return refs;
}

/**
 * Spans (of one or more traces) → Jaeger traces, in the order the traces first appear. A process is one
 * distinct (service, resource) pair per trace, keyed p1, p2, … like Jaeger does.
 */
export function toJaegerTraces(rows: readonly SpanRow[]): JaegerTrace[] {
  const traces = new Map<string, { trace: JaegerTrace; processKeys: Map<string, string> }>();
  for (const row of rows) {
    let entry = traces.get(row.trace_id);
    if (!entry) {
      entry = {
        trace: { traceID: row.trace_id, spans: [], processes: {}, warnings: null },
        processKeys: new Map(),
      };
      traces.set(row.trace_id, entry);
    }
    const resourceText = typeof row.resource === 'string' ? row.resource : JSON.stringify(row.resource ?? {});
    const processKey = `${row.service}\u0000${resourceText}`;
    let processID = entry.processKeys.get(processKey);
    if (processID === undefined) {
      processID = `p${entry.processKeys.size + 1}`;
      entry.processKeys.set(processKey, processID);
      const resource = jsonObject(row.resource);
      entry.trace.processes[processID] = {
        serviceName: row.service,
        tags: Object.entries(resource)
          .filter(([k]) => k !== 'service.name')
          .map(([k, v]) => keyValue(k, v)),
      };
    }
    entry.trace.spans.push({
      traceID: row.trace_id,
      spanID: row.span_id,
      operationName: row.name,
      references: spanReferences(row),
      startTime: micros(row.start_ns),
      duration: micros(row.duration_ns),
      tags: spanTags(row),
      logs: spanLogs(row),
      processID,
      warnings: null,
      ...(num(row.flags) & 0xff ? { flags: num(row.flags) & 0xff } : {}),
    });
  }
  return [...traces.values()].map((e) => e.trace);
}

import type { TimeRange } from './params.js';
import {
  type AttrFilter,
  attrCondition,
  ENVELOPE_COLUMNS,
  type EnvelopeRow,
  jsonObject,
  nsToMs,
  num,
  Params,
  str,
  toEnvelope,
} from './sql.js';
import type { LogRecord, QueryStore } from './types.js';

export interface LogFilter {
  /** Case-insensitive substring of the body. */
  q?: string;
  /** Minimum OTLP severity number. */
  minSeverity?: number;
  service?: string;
  traceId?: string;
  attrs: AttrFilter[];
}

export const LOG_COLUMNS = `CAST(time_ns AS VARCHAR) AS time_ns, CAST(observed_ns AS VARCHAR) AS observed_ns,
  severity_number, severity_text, body, service, trace_id, span_id,
  CAST(attributes AS VARCHAR) AS attributes, CAST(resource AS VARCHAR) AS resource, scope_name,
  CAST(ingested_ns AS VARCHAR) AS ingested_ns, event_name, ${ENVELOPE_COLUMNS}, flags, dropped_attributes_count`;

export interface LogRow extends EnvelopeRow {
  time_ns: string;
  observed_ns: string;
  severity_number: unknown;
  severity_text: string | null;
  body: string | null;
  service: string;
  trace_id: string | null;
  span_id: string | null;
  attributes: unknown;
  resource: unknown;
  scope_name: string | null;
  ingested_ns: string;
  event_name: string | null;
  flags: number | null;
  dropped_attributes_count: number | null;
}

/** The filter conditions shared by search and tail; appends their parameters to `p`. */
export function logConditions(p: Params, f: LogFilter): string[] {
  const where: string[] = [];
  if (f.q !== undefined) where.push(`contains(lower(body), ${p.add(f.q.toLowerCase())})`);
  if (f.minSeverity !== undefined) where.push(`severity_number >= ${p.add(f.minSeverity)}`);
  if (f.service !== undefined) where.push(`service = ${p.add(f.service)}`);
  if (f.traceId !== undefined) where.push(`trace_id = ${p.add(f.traceId.toLowerCase())}`);
  for (const a of f.attrs) where.push(attrCondition(p, a));
  return where;
}

export function toLogRecord(row: LogRow): LogRecord {
  // OTLP allows a record without time_unix_nano; then the observed time is the best we have.
  const timeNs = row.time_ns === '0' ? row.observed_ns : row.time_ns;
  return {
    timeUnixNano: timeNs,
    timeMs: nsToMs(timeNs),
    observedTimeUnixNano: row.observed_ns,
    severityNumber: num(row.severity_number),
    severityText: str(row.severity_text),
    body: str(row.body),
    service: row.service,
    traceId: str(row.trace_id),
    spanId: str(row.span_id),
    attributes: jsonObject(row.attributes),
    resource: jsonObject(row.resource),
    scopeName: str(row.scope_name),
    eventName: str(row.event_name),
    ...toEnvelope(row),
    flags: num(row.flags),
    droppedAttributesCount: num(row.dropped_attributes_count),
  };
}

/** Log search, newest first, within the time range (by record time). */
export async function searchLogs(
  store: QueryStore,
  f: LogFilter,
  range: TimeRange,
  limit: number,
): Promise<LogRecord[]> {
  const p = new Params();
  const where = [
    `time_ns >= ${p.ns(range.startNs)}`,
    `time_ns < ${p.ns(range.endNs)}`,
    ...logConditions(p, f),
  ];
  const rows = await store.query<LogRow>(
    `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where.join(' AND ')}
     ORDER BY time_ns DESC, observed_ns DESC LIMIT ${p.add(limit)}`,
    p.values,
  );
  return rows.map(toLogRecord);
}

/**
 * Public types of the query API: what the plugins need (a readable store) and the JSON they answer with.
 * observatory/API.md documents the same shapes with examples.
 */

/** The read surface of the TelemetryStore the query side relies on: parameterised SQL, rows as objects. */
export interface QueryStore {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
export type StatusCodeName = 'unset' | 'ok' | 'error';

export interface ServiceSummary {
  name: string;
  spanCount: number;
  lastSeenMs: number;
}

export interface OperationSummary {
  name: string;
  spanKind: SpanKindName;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startTimeMs: number;
  startTimeUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: { name: string; spanCount: number }[];
}

export interface SpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  /** OTLP Link.flags (W3C trace flags in bits 0–7, bits 8–9 the is-remote flags). */
  flags: number;
}

/**
 * The OTLP envelope of a span, log record or metric point beyond its resource attributes and scope
 * name: scope version and attributes, the schema URLs of the scope and the resource.
 */
export interface EnvelopeFields {
  scopeVersion: string;
  scopeAttributes: Record<string, unknown>;
  scopeSchemaUrl: string;
  resourceSchemaUrl: string;
}

export interface SpanRecord extends EnvelopeFields {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKindName;
  service: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  startTimeMs: number;
  durationMs: number;
  statusCode: StatusCodeName;
  statusMessage: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scopeName: string;
  events: SpanEvent[];
  links: SpanLink[];
  /** OTLP Span.flags (W3C trace flags in bits 0–7, bits 8–9 the is-remote flags). */
  flags: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

export interface TraceDetail {
  traceId: string;
  spans: SpanRecord[];
}

export interface LogRecord extends EnvelopeFields {
  timeUnixNano: string;
  timeMs: number;
  observedTimeUnixNano: string;
  severityNumber: number;
  severityText: string;
  body: string;
  service: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scopeName: string;
  /** OTLP LogRecord.event_name ('' when the record is not an event). */
  eventName: string;
  /** OTLP LogRecord.flags (W3C trace flags in bits 0–7). */
  flags: number;
  droppedAttributesCount: number;
}

export interface MetricSummary {
  name: string;
  type: string;
  unit: string;
  description: string;
  services: string[];
}

/** One stored data point as OTLP sent it (GET /api/metrics/points). */
export interface MetricPointRecord extends EnvelopeFields {
  name: string;
  description: string;
  unit: string;
  type: string;
  service: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scopeName: string;
  startTimeUnixNano: string;
  timeUnixNano: string;
  timeMs: number;
  /** OTLP AggregationTemporality: 0 unspecified (gauge, summary), 1 delta, 2 cumulative. */
  temporality: number;
  isMonotonic: boolean | null;
  value: number | null;
  count: number | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  bounds: number[] | null;
  bucketCounts: number[] | null;
  exponential: {
    scale: number;
    zeroCount: number;
    positive: { offset: number; bucketCounts: number[] };
    negative: { offset: number; bucketCounts: number[] };
  } | null;
  quantiles: { quantile: number | string; value: number | string }[] | null;
  /** OTLP DataPointFlags (bit 0: no recorded value). */
  flags: number;
}

export interface MetricSeries {
  labels: Record<string, string>;
  points: [number, number | null][];
}

export interface MetricQueryResult {
  name: string;
  type: string | null;
  fn: string;
  stepMs: number;
  series: MetricSeries[];
}

export interface RedPoint {
  tMs: number;
  requestRate: number;
  errorRatio: number;
  p95Ms: number | null;
}

export interface RedNumbers {
  requestCount: number;
  errorCount: number;
  requestRate: number;
  errorRatio: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  series: RedPoint[];
}

export interface RedService extends RedNumbers {
  service: string;
}

export interface RedRoute extends RedNumbers {
  route: string;
}

export interface DependencyEdge {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface DependencyGraph {
  nodes: { service: string }[];
  edges: DependencyEdge[];
}

/**
 * Row shapes written by the ingest side. JSON columns arrive already serialised (the ingest
 * converter builds each resource's JSON once and reuses the string for every row under it).
 * Nanosecond timestamps are `bigint` (unix nanos exceed 2^53).
 */
/** What every row carries of its OTLP envelope besides the resource JSON and the scope name. */
export interface EnvelopeColumns {
  scopeVersion: string;
  /** JSON object text */
  scopeAttributes: string;
  scopeSchemaUrl: string;
  resourceSchemaUrl: string;
}

export const EMPTY_ENVELOPE: EnvelopeColumns = {
  scopeVersion: '',
  scopeAttributes: '{}',
  scopeSchemaUrl: '',
  resourceSchemaUrl: '',
};

export interface SpanRow extends EnvelopeColumns {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  service: string;
  startNs: bigint;
  endNs: bigint;
  durationNs: bigint;
  statusCode: number;
  statusMessage: string;
  /** JSON object text */
  attributes: string;
  /** JSON object text */
  resource: string;
  scopeName: string;
  /** JSON array text: [{name, timeUnixNano, attributes, droppedAttributesCount}] */
  events: string;
  /** JSON array text: [{traceId, spanId, traceState, attributes, droppedAttributesCount, flags}] */
  links: string;
  /** OTLP Span.flags (uint32): W3C trace flags in bits 0–7, bits 8–9 the remote-parent flags. */
  flags: number;
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}

export interface LogRow extends EnvelopeColumns {
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText: string;
  body: string;
  service: string;
  traceId: string;
  spanId: string;
  attributes: string;
  resource: string;
  scopeName: string;
  /** OTLP LogRecord.event_name ('' when absent); column `event_name`, added to the contract's schema. */
  eventName: string;
  /** OTLP LogRecord.flags (W3C trace flags in bits 0–7). */
  flags: number;
  droppedAttributesCount: number;
}

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exp_histogram' | 'summary';

export interface MetricPointRow extends EnvelopeColumns {
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  service: string;
  attributes: string;
  resource: string;
  scopeName: string;
  startNs: bigint;
  timeNs: bigint;
  temporality: number;
  isMonotonic: boolean | null;
  value: number | null;
  count: bigint | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  bounds: number[] | null;
  bucketCounts: bigint[] | null;
  expScale: number | null;
  expZeroCount: bigint | null;
  expPosOffset: number | null;
  expPosCounts: bigint[] | null;
  expNegOffset: number | null;
  expNegCounts: bigint[] | null;
  /** JSON array text: [{quantile, value}] */
  quantiles: string | null;
  /** OTLP DataPointFlags (bit 0: no recorded value). */
  flags: number;
}

/** How rows reach DuckDB: the appender API, or multi-row parameterised INSERT statements. */
export type WriteMode = 'appender' | 'insert';

export interface StoreOptions {
  /** Default `appender` (measured faster; see bench/observatory-ingest.ts). */
  writeMode?: WriteMode;
  /** DuckDB `memory_limit`, e.g. `1GB`. */
  memoryLimit?: string;
  /** DuckDB worker threads. */
  threads?: number;
  /**
   * DuckDB `wal_autocheckpoint`: WAL size that triggers a checkpoint (DuckDB's default is 16MB).
   * Every checkpoint rewrites the table's last, partly filled row group, so small values make
   * DuckDB compress the same rows several times; see bench/observatory-ingest.ts.
   */
  walAutocheckpoint?: string;
  /** Reader connections for `query()`. Default 2. */
  readers?: number;
}

export interface RowCounts {
  spans: number;
  logs: number;
  metricPoints: number;
}

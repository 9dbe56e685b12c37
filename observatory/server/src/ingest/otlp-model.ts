/**
 * The decoded shape of OTLP export requests, as produced by both decoders: protobufjs message
 * instances (`proto.ts`) and the OTLP/JSON decoder (`otlp-json.ts`). Field names are the
 * lowerCamelCase OTLP names. The oneofs of metrics carry their discriminator (`data`, `value`),
 * because protobufjs gives unset oneof members non-null defaults; AnyValue's members are declared
 * `optional` in our .proto (see common.proto), so an unset member is null.
 */

/** A 64-bit protobuf integer: a protobufjs `Long` (binary decode) or a `bigint` (JSON decode). */
export interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
}
export type Int64 = LongBits | bigint;

/** At most one field is set (non-null); all unset means an empty value. */
export interface AnyValueMsg {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values: AnyValueMsg[] } | null;
  kvlistValue?: { values: KeyValueMsg[] } | null;
  bytesValue?: Uint8Array | null;
}

export interface KeyValueMsg {
  key: string;
  value?: AnyValueMsg | null;
}

export interface ResourceMsg {
  attributes: KeyValueMsg[];
}

export interface ScopeMsg {
  name: string;
  version?: string | null;
  attributes?: KeyValueMsg[] | null;
}

export interface EventMsg {
  timeUnixNano: Int64;
  name: string;
  attributes: KeyValueMsg[];
  droppedAttributesCount?: number | null;
}

export interface LinkMsg {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: KeyValueMsg[];
  droppedAttributesCount?: number | null;
  flags?: number | null;
}

export interface SpanMsg {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValueMsg[];
  events: EventMsg[];
  links: LinkMsg[];
  status?: { message: string; code: number } | null;
  droppedAttributesCount?: number | null;
  droppedEventsCount?: number | null;
  droppedLinksCount?: number | null;
  flags?: number | null;
}

export interface ExportTraceRequest {
  resourceSpans: {
    resource?: ResourceMsg | null;
    schemaUrl?: string | null;
    scopeSpans: { scope?: ScopeMsg | null; schemaUrl?: string | null; spans: SpanMsg[] }[];
  }[];
}

export interface LogRecordMsg {
  timeUnixNano: Int64;
  observedTimeUnixNano: Int64;
  severityNumber: number;
  severityText: string;
  body?: AnyValueMsg | null;
  attributes: KeyValueMsg[];
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
  droppedAttributesCount?: number | null;
  flags?: number | null;
}

export interface ExportLogsRequest {
  resourceLogs: {
    resource?: ResourceMsg | null;
    schemaUrl?: string | null;
    scopeLogs: { scope?: ScopeMsg | null; schemaUrl?: string | null; logRecords: LogRecordMsg[] }[];
  }[];
}

export interface NumberDataPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  value?: 'asDouble' | 'asInt' | null;
  asDouble?: number | null;
  asInt?: Int64 | null;
  flags: number;
}

export interface HistogramDataPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  flags: number;
  min?: number | null;
  max?: number | null;
}

export interface BucketsMsg {
  offset: number;
  bucketCounts: Int64[];
}

export interface ExpHistogramDataPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  scale: number;
  zeroCount: Int64;
  positive?: BucketsMsg | null;
  negative?: BucketsMsg | null;
  flags: number;
  min?: number | null;
  max?: number | null;
}

export interface SummaryDataPointMsg {
  attributes: KeyValueMsg[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags: number;
}

export type MetricDataKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface MetricMsg {
  name: string;
  description: string;
  unit: string;
  data?: MetricDataKind | null;
  gauge?: { dataPoints: NumberDataPointMsg[] } | null;
  sum?: { dataPoints: NumberDataPointMsg[]; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: HistogramDataPointMsg[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: ExpHistogramDataPointMsg[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: SummaryDataPointMsg[] } | null;
}

export interface ExportMetricsRequest {
  resourceMetrics: {
    resource?: ResourceMsg | null;
    schemaUrl?: string | null;
    scopeMetrics: { scope?: ScopeMsg | null; schemaUrl?: string | null; metrics: MetricMsg[] }[];
  }[];
}

import type { EnvelopeColumns, LogRow, MetricPointRow, MetricType, SpanRow } from '../store/types.js';
import type { RowBatch } from '../store/write-queue.js';
import type {
  AnyValueMsg,
  EventMsg,
  ExportLogsRequest,
  ExportMetricsRequest,
  ExportTraceRequest,
  Int64,
  KeyValueMsg,
  LinkMsg,
  MetricMsg,
  ResourceMsg,
  ScopeMsg,
} from './otlp-model.js';

/**
 * Turning decoded OTLP requests into store rows.
 *
 * Two kinds of bad input are told apart:
 * - A malformed request (an id of the wrong length, nesting too deep, a value of the wrong type —
 *   the decoders report those) throws `OtlpInvalidError`: the whole request is refused with 400
 *   and nothing of it is stored.
 * - A well-formed item that cannot be stored (empty or all-zero trace/span id, an unknown span
 *   kind or status code, a timestamp beyond int64, a data point without value, histogram buckets
 *   that do not match the bounds, a metric without name) is dropped on its own and reported
 *   through OTLP's partial success (rejected count + message); the rest is stored.
 */
export class OtlpInvalidError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'OtlpInvalidError';
  }
}

export interface Converted {
  batch: RowBatch;
  /** Items in the request (accepted + rejected). */
  items: number;
  rejected: number;
  /** Human-readable reasons for rejected items ('' when none). */
  errorMessage: string;
}

const INT64_MAX = 0x7fff_ffff_ffff_ffffn;
const TWO_32 = 0x1_0000_0000n;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** AnyValue arrays/kvlists nested deeper than this make the request invalid. */
export const MAX_ANY_VALUE_DEPTH = 32;
/** Per-row overhead added to string lengths when estimating queued bytes. */
const ROW_OVERHEAD_BYTES = 200;
/** `service` of rows whose resource has no (non-empty string) `service.name`. */
export const UNKNOWN_SERVICE = 'unknown_service';

/** A span row's share of `RowBatch.approxBytes` (its resource's JSON is counted once per resource). */
export function spanRowBytes(row: SpanRow): number {
  return (
    ROW_OVERHEAD_BYTES +
    row.attributes.length +
    row.events.length +
    row.links.length +
    row.name.length +
    row.statusMessage.length +
    row.traceState.length
  );
}

/** A log row's share of `RowBatch.approxBytes` (its resource's JSON is counted once per resource). */
export function logRowBytes(row: LogRow): number {
  return ROW_OVERHEAD_BYTES + row.body.length + row.attributes.length + row.severityText.length;
}

/** Reasons for per-item rejections (partial success), shared with the fused decoder (proto-rows.ts). */
export const REJECT = {
  emptyTraceId: 'span with empty or all-zero traceId',
  emptySpanId: 'span with empty or all-zero spanId',
  unknownKind: (kind: number) => `span with unknown kind ${kind}`,
  unknownStatusCode: (code: number) => `span with unknown status code ${code}`,
  spanTimestamp: 'span timestamp beyond int64 nanoseconds',
  severity: (n: number) => `log record with severityNumber ${n} outside 0..24`,
  logTimestamp: 'log record timestamp beyond int64 nanoseconds',
} as const;

const EMPTY_KVS: KeyValueMsg[] = [];

/** A 64-bit protobuf integer as a bigint (signedness from the Long; JSON values arrive as bigint). */
export function toBigInt(v: Int64): bigint {
  if (typeof v === 'bigint') return v;
  const u = BigInt(v.high >>> 0) * TWO_32 + BigInt(v.low >>> 0);
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

function int64ToJson(v: Int64 | null | undefined): number | string {
  if (v === null || v === undefined) return 0;
  if (typeof v !== 'bigint') {
    // Fast paths for values that fit in 32 bits.
    if (v.high === 0 && (v.unsigned || v.low >= 0)) return v.low >>> 0;
    if (v.high === -1 && !v.unsigned && v.low < 0) return v.low;
  }
  const b = toBigInt(v);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(b)
    : b.toString();
}

function doubleToJson(d: number | null | undefined): number | string {
  if (d === null || d === undefined) return 0;
  if (Number.isFinite(d)) return d;
  return Number.isNaN(d) ? 'NaN' : d > 0 ? 'Infinity' : '-Infinity';
}

function bytesToBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/*
 * JSON text is built by concatenation rather than by building objects and JSON.stringify-ing
 * them: it is the hot path of ingest (≈10 attributes per span), and it sidesteps `__proto__`
 * keys. (Caching the JSON form of keys was measured slower than JSON.stringify on each.)
 */

/** AnyValue as JSON text: string | number | boolean | null | array | object (bytes as base64). */
function anyValueJson(v: AnyValueMsg | null | undefined, path: string, depth: number): string {
  if (!v) return 'null';
  if (v.stringValue != null) return JSON.stringify(v.stringValue);
  // protobufjs gives an unset optional int64 a Long zero default (other unset members are null).
  if (v.intValue != null && Object.hasOwn(v, 'intValue')) {
    const x = int64ToJson(v.intValue);
    return typeof x === 'number' ? String(x) : `"${x}"`;
  }
  if (v.boolValue != null) return v.boolValue ? 'true' : 'false';
  if (v.doubleValue != null) {
    const d = doubleToJson(v.doubleValue);
    return typeof d === 'number' ? String(d) : `"${d}"`;
  }
  if (v.arrayValue != null) {
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new OtlpInvalidError('AnyValue nested too deeply', path);
    const values = v.arrayValue.values ?? [];
    let out = '[';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out += ',';
      out += anyValueJson(values[i], path, depth + 1);
    }
    return `${out}]`;
  }
  if (v.kvlistValue != null) {
    if (depth >= MAX_ANY_VALUE_DEPTH) throw new OtlpInvalidError('AnyValue nested too deeply', path);
    return attributesJson(v.kvlistValue.values, path, depth + 1);
  }
  if (v.bytesValue != null) return `"${bytesToBuffer(v.bytesValue).toString('base64')}"`;
  return 'null';
}

function hasDuplicateKeys(kvs: readonly KeyValueMsg[]): boolean {
  const n = kvs.length;
  if (n > 32) return new Set(kvs.map((kv) => kv.key)).size !== n;
  for (let i = 1; i < n; i++) {
    const key = kvs[i]!.key;
    for (let j = 0; j < i; j++) if (kvs[j]!.key === key) return true;
  }
  return false;
}

/** Attributes as a JSON object text; with duplicate keys (invalid in OTLP) the last value wins. */
function attributesJson(kvs: readonly KeyValueMsg[] | null | undefined, path: string, depth = 0): string {
  if (!kvs || kvs.length === 0) return '{}';
  if (hasDuplicateKeys(kvs)) {
    const last = new Map<string, string>();
    for (const kv of kvs) last.set(kv.key, anyValueJson(kv.value, path, depth));
    return `{${[...last].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  }
  const parts = new Array<string>(kvs.length);
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i]!;
    parts[i] = `${JSON.stringify(kv.key)}:${anyValueJson(kv.value, path, depth)}`;
  }
  return `{${parts.join(',')}}`;
}

/** An id as lowercase hex; '' when empty; null when of the wrong length (the caller refuses the request). */
function idHex(b: Uint8Array | null | undefined, bytes: 8 | 16): string | null {
  if (!b || b.length === 0) return '';
  if (b.length !== bytes) return null;
  return bytesToBuffer(b).toString('hex');
}

function badId(bytes: 8 | 16, got: Uint8Array, field: string): OtlpInvalidError {
  return badIdLength(bytes, got.length, field);
}

/** The error for an id of `length` bytes where `bytes` are required. */
export function badIdLength(bytes: 8 | 16, length: number, field: string): OtlpInvalidError {
  return new OtlpInvalidError(`must be ${bytes} bytes (${bytes * 2} hex digits), got ${length}`, field);
}

interface ResourceInfo {
  json: string;
  service: string;
}

function resourceInfo(resource: ResourceMsg | null | undefined, path: string): ResourceInfo {
  const attrs = resource?.attributes ?? EMPTY_KVS;
  let service = UNKNOWN_SERVICE;
  for (const kv of attrs) {
    if (kv.key === 'service.name' && kv.value?.stringValue) {
      service = kv.value.stringValue;
    }
  }
  return { json: attributesJson(attrs, path), service };
}

/** The scope's name and the envelope columns every row under it shares. */
interface ScopeInfo extends EnvelopeColumns {
  scopeName: string;
}

/** `path` names the scope container, e.g. `resourceSpans[0].scopeSpans[1]`. */
function scopeInfo(
  scope: ScopeMsg | null | undefined,
  scopeSchemaUrl: string | null | undefined,
  resourceSchemaUrl: string,
  path: string,
): ScopeInfo {
  const attrs = scope?.attributes;
  return {
    scopeName: scope?.name ?? '',
    scopeVersion: scope?.version ?? '',
    scopeAttributes: attrs && attrs.length > 0 ? attributesJson(attrs, `${path}.scope.attributes`) : '{}',
    scopeSchemaUrl: scopeSchemaUrl ?? '',
    resourceSchemaUrl,
  };
}

/** Collects reasons for rejected items into one partial-success message. */
export class Rejections {
  count = 0;
  private readonly reasons = new Map<string, number>();

  add(reason: string, n = 1): void {
    this.count += n;
    if (this.reasons.size < 8 || this.reasons.has(reason)) {
      this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + n);
    }
  }

  message(what: string): string {
    if (this.count === 0) return '';
    const parts = [...this.reasons].map(([r, n]) => `${r} (${n})`);
    return `${this.count} ${what} rejected: ${parts.join('; ')}`;
  }
}

function timeNs(v: Int64): bigint | null {
  const t = toBigInt(v);
  return t > INT64_MAX || t < 0n ? null : t;
}

/** An event's / link's dropped attributes count as a JSON member, only when not 0 (the query API defaults it). */
function droppedJson(n: number | null | undefined): string {
  return n ? `,"droppedAttributesCount":${n}` : '';
}

function eventsJson(events: readonly EventMsg[], path: string): string {
  let out = '[';
  for (let e = 0; e < events.length; e++) {
    const ev = events[e]!;
    if (e > 0) out += ',';
    out += `{"name":${JSON.stringify(ev.name ?? '')},"timeUnixNano":"${toBigInt(ev.timeUnixNano)}","attributes":${attributesJson(ev.attributes, path)}`;
    out += `${droppedJson(ev.droppedAttributesCount)}}`;
  }
  return `${out}]`;
}

function linksJson(links: readonly LinkMsg[], at: string): string {
  let out = '[';
  for (let l = 0; l < links.length; l++) {
    const link = links[l]!;
    const traceId = idHex(link.traceId, 16);
    const spanId = idHex(link.spanId, 8);
    if (traceId === null) throw badId(16, link.traceId, `${at}.links[${l}].traceId`);
    if (spanId === null) throw badId(8, link.spanId, `${at}.links[${l}].spanId`);
    if (l > 0) out += ',';
    out += `{"traceId":"${traceId}","spanId":"${spanId}","traceState":${JSON.stringify(link.traceState ?? '')},"attributes":${attributesJson(link.attributes, at)}`;
    out += `${droppedJson(link.droppedAttributesCount)}${link.flags ? `,"flags":${link.flags}` : ''}}`;
  }
  return `${out}]`;
}

export function convertTraces(req: ExportTraceRequest): Converted {
  const rows: SpanRow[] = [];
  const rejections = new Rejections();
  let bytes = 0;
  let items = 0;
  const resourceSpans = req.resourceSpans ?? [];
  for (let i = 0; i < resourceSpans.length; i++) {
    const rs = resourceSpans[i]!;
    const base = `resourceSpans[${i}]`;
    const res = resourceInfo(rs.resource, `${base}.resource.attributes`);
    const attrPath = `${base}.scopeSpans[].spans[].attributes`;
    bytes += res.json.length;
    const scopeSpans = rs.scopeSpans ?? [];
    for (let j = 0; j < scopeSpans.length; j++) {
      const ss = scopeSpans[j]!;
      const sc = scopeInfo(ss.scope, ss.schemaUrl, rs.schemaUrl ?? '', `${base}.scopeSpans[${j}]`);
      const spans = ss.spans ?? [];
      items += spans.length;
      for (let k = 0; k < spans.length; k++) {
        const s = spans[k]!;
        const traceId = idHex(s.traceId, 16);
        const spanId = idHex(s.spanId, 8);
        const parentSpanId = idHex(s.parentSpanId, 8);
        if (traceId === null || spanId === null || parentSpanId === null) {
          const at = `${base}.scopeSpans[${j}].spans[${k}]`;
          if (traceId === null) throw badId(16, s.traceId, `${at}.traceId`);
          if (spanId === null) throw badId(8, s.spanId, `${at}.spanId`);
          throw badId(8, s.parentSpanId, `${at}.parentSpanId`);
        }
        if (traceId === '' || traceId === ZERO_TRACE_ID) {
          rejections.add(REJECT.emptyTraceId);
          continue;
        }
        if (spanId === '' || spanId === ZERO_SPAN_ID) {
          rejections.add(REJECT.emptySpanId);
          continue;
        }
        const kind = s.kind ?? 0;
        if (kind < 0 || kind > 5) {
          rejections.add(REJECT.unknownKind(kind));
          continue;
        }
        const statusCode = s.status?.code ?? 0;
        if (statusCode < 0 || statusCode > 2) {
          rejections.add(REJECT.unknownStatusCode(statusCode));
          continue;
        }
        const startNs = timeNs(s.startTimeUnixNano);
        const endNs = timeNs(s.endTimeUnixNano);
        if (startNs === null || endNs === null) {
          rejections.add(REJECT.spanTimestamp);
          continue;
        }
        const attributes = attributesJson(s.attributes, attrPath);
        const events = s.events && s.events.length > 0 ? eventsJson(s.events, attrPath) : '[]';
        const links =
          s.links && s.links.length > 0 ? linksJson(s.links, `${base}.scopeSpans[${j}].spans[${k}]`) : '[]';
        const name = s.name ?? '';
        const statusMessage = s.status?.message ?? '';
        const traceState = s.traceState ?? '';
        const row: SpanRow = {
          traceId,
          spanId,
          parentSpanId,
          traceState,
          name,
          kind,
          service: res.service,
          startNs,
          endNs,
          durationNs: endNs - startNs,
          statusCode,
          statusMessage,
          attributes,
          resource: res.json,
          scopeName: sc.scopeName,
          events,
          links,
          scopeVersion: sc.scopeVersion,
          scopeAttributes: sc.scopeAttributes,
          scopeSchemaUrl: sc.scopeSchemaUrl,
          resourceSchemaUrl: sc.resourceSchemaUrl,
          flags: s.flags ?? 0,
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          droppedEventsCount: s.droppedEventsCount ?? 0,
          droppedLinksCount: s.droppedLinksCount ?? 0,
        };
        rows.push(row);
        bytes += spanRowBytes(row);
      }
    }
  }
  return {
    batch: { spans: rows, logs: [], metricPoints: [], approxBytes: bytes },
    items,
    rejected: rejections.count,
    errorMessage: rejections.message('spans'),
  };
}

export function convertLogs(req: ExportLogsRequest, nowNs: () => bigint = defaultNowNs): Converted {
  const rows: LogRow[] = [];
  const rejections = new Rejections();
  let bytes = 0;
  let items = 0;
  let received: bigint | undefined;
  const resourceLogs = req.resourceLogs ?? [];
  for (let i = 0; i < resourceLogs.length; i++) {
    const rl = resourceLogs[i]!;
    const base = `resourceLogs[${i}]`;
    const res = resourceInfo(rl.resource, `${base}.resource.attributes`);
    const attrPath = `${base}.scopeLogs[].logRecords[].attributes`;
    bytes += res.json.length;
    const scopeLogs = rl.scopeLogs ?? [];
    for (let j = 0; j < scopeLogs.length; j++) {
      const sl = scopeLogs[j]!;
      const sc = scopeInfo(sl.scope, sl.schemaUrl, rl.schemaUrl ?? '', `${base}.scopeLogs[${j}]`);
      const records = sl.logRecords ?? [];
      items += records.length;
      for (let k = 0; k < records.length; k++) {
        const r = records[k]!;
        let traceId = idHex(r.traceId, 16);
        let spanId = idHex(r.spanId, 8);
        if (traceId === null) throw badId(16, r.traceId, `${base}.scopeLogs[${j}].logRecords[${k}].traceId`);
        if (spanId === null) throw badId(8, r.spanId, `${base}.scopeLogs[${j}].logRecords[${k}].spanId`);
        if (traceId === ZERO_TRACE_ID) traceId = '';
        if (spanId === ZERO_SPAN_ID) spanId = '';
        const severityNumber = r.severityNumber ?? 0;
        if (severityNumber < 0 || severityNumber > 24) {
          rejections.add(REJECT.severity(severityNumber));
          continue;
        }
        const time = timeNs(r.timeUnixNano);
        const observed = timeNs(r.observedTimeUnixNano);
        if (time === null || observed === null) {
          rejections.add(REJECT.logTimestamp);
          continue;
        }
        // Per the logs data model: no observed time → the receiver's; no event time → observed.
        received ??= nowNs();
        const observedNs = observed === 0n ? received : observed;
        const body = r.body;
        let bodyText = '';
        if (body?.stringValue != null) bodyText = body.stringValue;
        else if (body) bodyText = anyValueJson(body, `${base}.scopeLogs[${j}].logRecords[${k}].body`, 0);
        const attributes = attributesJson(r.attributes, attrPath);
        const severityText = r.severityText ?? '';
        const row: LogRow = {
          timeNs: time === 0n ? observedNs : time,
          observedNs,
          severityNumber,
          severityText,
          body: bodyText,
          service: res.service,
          traceId,
          spanId,
          attributes,
          resource: res.json,
          scopeName: sc.scopeName,
          eventName: r.eventName ?? '',
          scopeVersion: sc.scopeVersion,
          scopeAttributes: sc.scopeAttributes,
          scopeSchemaUrl: sc.scopeSchemaUrl,
          resourceSchemaUrl: sc.resourceSchemaUrl,
          flags: r.flags ?? 0,
          droppedAttributesCount: r.droppedAttributesCount ?? 0,
        };
        rows.push(row);
        bytes += logRowBytes(row);
      }
    }
  }
  return {
    batch: { spans: [], logs: rows, metricPoints: [], approxBytes: bytes },
    items,
    rejected: rejections.count,
    errorMessage: rejections.message('log records'),
  };
}

/** The receiver's clock in unix nanoseconds (a log record's observed time when it has none). */
export function defaultNowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

/** Columns every metric point row shares, filled per metric. */
type PointBase = Pick<
  MetricPointRow,
  | 'name'
  | 'description'
  | 'unit'
  | 'type'
  | 'service'
  | 'resource'
  | 'scopeName'
  | 'temporality'
  | 'isMonotonic'
  | keyof EnvelopeColumns
>;

/** A metric point row's value columns, all unset; each point type fills in its own. */
export const NULL_VALUES = {
  value: null,
  count: null,
  sum: null,
  min: null,
  max: null,
  bounds: null,
  bucketCounts: null,
  expScale: null,
  expZeroCount: null,
  expPosOffset: null,
  expPosCounts: null,
  expNegOffset: null,
  expNegCounts: null,
  quantiles: null,
} as const;

const NO_RECORDED_VALUE = 1;

const optionalDouble = (d: number | null | undefined): number | null =>
  d === null || d === undefined ? null : d;

function metricPoints(
  m: MetricMsg,
  res: ResourceInfo,
  sc: ScopeInfo,
  at: string,
  out: MetricPointRow[],
  rejections: Rejections,
): { items: number; bytes: number } {
  const kind = m.data;
  const dataPoints =
    (kind === 'gauge'
      ? m.gauge?.dataPoints
      : kind === 'sum'
        ? m.sum?.dataPoints
        : kind === 'histogram'
          ? m.histogram?.dataPoints
          : kind === 'exponentialHistogram'
            ? m.exponentialHistogram?.dataPoints
            : kind === 'summary'
              ? m.summary?.dataPoints
              : undefined) ?? [];
  const items = dataPoints.length;
  if (items === 0) return { items: 0, bytes: 0 };
  const name = m.name ?? '';
  if (name === '') {
    rejections.add('data points of a metric without name', items);
    return { items, bytes: 0 };
  }
  const type: MetricType = kind === 'exponentialHistogram' ? 'exp_histogram' : (kind as MetricType);
  const temporality =
    kind === 'sum'
      ? (m.sum?.aggregationTemporality ?? 0)
      : kind === 'histogram'
        ? (m.histogram?.aggregationTemporality ?? 0)
        : kind === 'exponentialHistogram'
          ? (m.exponentialHistogram?.aggregationTemporality ?? 0)
          : 0;
  if (temporality < 0 || temporality > 2) {
    rejections.add(`data points with unknown aggregation temporality ${temporality}`, items);
    return { items, bytes: 0 };
  }
  const base: PointBase = {
    name,
    description: m.description ?? '',
    unit: m.unit ?? '',
    type,
    service: res.service,
    resource: res.json,
    scopeName: sc.scopeName,
    scopeVersion: sc.scopeVersion,
    scopeAttributes: sc.scopeAttributes,
    scopeSchemaUrl: sc.scopeSchemaUrl,
    resourceSchemaUrl: sc.resourceSchemaUrl,
    temporality,
    isMonotonic: kind === 'sum' ? (m.sum?.isMonotonic ?? false) : null,
  };
  let bytes = 0;
  const push = (row: MetricPointRow) => {
    out.push(row);
    bytes += ROW_OVERHEAD_BYTES + row.attributes.length + name.length + (row.quantiles?.length ?? 0);
  };

  for (let p = 0; p < dataPoints.length; p++) {
    const dp = dataPoints[p]!;
    const startNs = timeNs(dp.startTimeUnixNano);
    const time = timeNs(dp.timeUnixNano);
    if (startNs === null || time === null) {
      rejections.add('data point timestamp beyond int64 nanoseconds');
      continue;
    }
    const attributes = attributesJson(dp.attributes, `${at}.dataPoints[${p}].attributes`);
    const common = { ...base, ...NULL_VALUES, attributes, startNs, timeNs: time, flags: dp.flags ?? 0 };
    if (kind === 'gauge' || kind === 'sum') {
      const n = dp as NonNullable<MetricMsg['gauge']>['dataPoints'][number];
      let value: number | null;
      if (n.value === 'asDouble') value = n.asDouble ?? 0;
      else if (n.value === 'asInt') value = Number(toBigInt(n.asInt ?? 0n));
      else if ((n.flags ?? 0) & NO_RECORDED_VALUE) value = null;
      else {
        rejections.add('number data point without value');
        continue;
      }
      push({ ...common, value });
    } else if (kind === 'histogram') {
      const h = dp as NonNullable<MetricMsg['histogram']>['dataPoints'][number];
      const bounds = h.explicitBounds ?? [];
      const counts = h.bucketCounts ?? [];
      if (counts.length !== 0 && counts.length !== bounds.length + 1) {
        rejections.add(
          `histogram data point with ${counts.length} bucket counts for ${bounds.length} bounds (expected ${bounds.length + 1})`,
        );
        continue;
      }
      push({
        ...common,
        count: toBigInt(h.count),
        sum: optionalDouble(h.sum),
        min: optionalDouble(h.min),
        max: optionalDouble(h.max),
        bounds: [...bounds],
        bucketCounts: counts.map(toBigInt),
      });
    } else if (kind === 'exponentialHistogram') {
      const e = dp as NonNullable<MetricMsg['exponentialHistogram']>['dataPoints'][number];
      push({
        ...common,
        count: toBigInt(e.count),
        sum: optionalDouble(e.sum),
        min: optionalDouble(e.min),
        max: optionalDouble(e.max),
        expScale: e.scale ?? 0,
        expZeroCount: toBigInt(e.zeroCount),
        expPosOffset: e.positive?.offset ?? 0,
        expPosCounts: (e.positive?.bucketCounts ?? []).map(toBigInt),
        expNegOffset: e.negative?.offset ?? 0,
        expNegCounts: (e.negative?.bucketCounts ?? []).map(toBigInt),
      });
    } else {
      const s = dp as NonNullable<MetricMsg['summary']>['dataPoints'][number];
      push({
        ...common,
        count: toBigInt(s.count),
        sum: s.sum ?? 0,
        quantiles: JSON.stringify(
          (s.quantileValues ?? []).map((q) => ({
            quantile: doubleToJson(q.quantile),
            value: doubleToJson(q.value),
          })),
        ),
      });
    }
  }
  return { items, bytes };
}

export function convertMetrics(req: ExportMetricsRequest): Converted {
  const rows: MetricPointRow[] = [];
  const rejections = new Rejections();
  let bytes = 0;
  let items = 0;
  const resourceMetrics = req.resourceMetrics ?? [];
  for (let i = 0; i < resourceMetrics.length; i++) {
    const rm = resourceMetrics[i]!;
    const base = `resourceMetrics[${i}]`;
    const res = resourceInfo(rm.resource, `${base}.resource.attributes`);
    bytes += res.json.length;
    const scopeMetrics = rm.scopeMetrics ?? [];
    for (let j = 0; j < scopeMetrics.length; j++) {
      const sm = scopeMetrics[j]!;
      const sc = scopeInfo(sm.scope, sm.schemaUrl, rm.schemaUrl ?? '', `${base}.scopeMetrics[${j}]`);
      const metrics = sm.metrics ?? [];
      for (let k = 0; k < metrics.length; k++) {
        const r = metricPoints(
          metrics[k]!,
          res,
          sc,
          `${base}.scopeMetrics[${j}].metrics[${k}]`,
          rows,
          rejections,
        );
        items += r.items;
        bytes += r.bytes;
      }
    }
  }
  return {
    batch: { spans: [], logs: [], metricPoints: rows, approxBytes: bytes },
    items,
    rejected: rejections.count,
    errorMessage: rejections.message('data points'),
  };
}

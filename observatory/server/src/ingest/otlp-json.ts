import { OtlpInvalidError } from './convert.js';
import type {
  AnyValueMsg,
  BucketsMsg,
  ExportLogsRequest,
  ExportMetricsRequest,
  ExportTraceRequest,
  Int64,
  KeyValueMsg,
  LogRecordMsg,
  MetricDataKind,
  MetricMsg,
  NumberDataPointMsg,
  ResourceMsg,
  ScopeMsg,
  SpanMsg,
} from './otlp-model.js';

/**
 * OTLP/JSON decoder (the spec's "JSON Protobuf Encoding"): lowerCamelCase keys; trace and span ids
 * as case-insensitive hex; 64-bit integers as decimal strings or numbers; enums as integers only;
 * other bytes as base64; doubles as numbers or "NaN"/"Infinity"/"-Infinity"; `null` means the
 * default value; unknown keys are ignored. A value of the wrong type throws `OtlpInvalidError`
 * naming the field, and the request is refused whole.
 *
 * Integer literals longer than 15 digits (nanosecond timestamps sent as JSON numbers) would lose
 * precision in `JSON.parse`, so they are turned into strings before parsing (`quoteLongIntegers`).
 */

type Obj = Record<string, unknown>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const EMPTY_BYTES = new Uint8Array(0);

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === null ? 'null' : Array.isArray(got) ? 'array' : typeof got;
  throw new OtlpInvalidError(`expected ${expected}, got ${shown}`, path);
}

function obj(v: unknown, path: string): Obj | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'an object', v);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v;
}

function str(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail(path, 'a boolean', v);
  return v;
}

function int32(v: unknown, path: string, min = -(2 ** 31), max = 2 ** 31 - 1): number {
  if (v === undefined || v === null) return 0;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v)) n = Number(v);
  else fail(path, 'an integer', v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new OtlpInvalidError(`expected an integer in ${min}..${max}, got ${String(v)}`, path);
  }
  return n;
}

const uint32 = (v: unknown, path: string) => int32(v, path, 0, 2 ** 32 - 1);

/** Enum fields: OTLP/JSON allows integer values only (no enum names). */
function enumInt(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new OtlpInvalidError(
      `expected an integer enum value (OTLP/JSON does not allow enum names), got ${JSON.stringify(v)}`,
      path,
    );
  }
  if (v < -(2 ** 31) || v > 2 ** 31 - 1)
    throw new OtlpInvalidError(`enum value ${v} out of int32 range`, path);
  return v;
}

function int64(v: unknown, path: string, unsigned: boolean): bigint {
  if (v === undefined || v === null) return 0n;
  let b: bigint;
  if (typeof v === 'string' && INTEGER_TEXT.test(v)) b = BigInt(v);
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else fail(path, 'an integer (number or decimal string)', v);
  if (unsigned ? b < 0n || b > UINT64_MAX : b < INT64_MIN || b > INT64_MAX) {
    throw new OtlpInvalidError(`integer ${b} out of ${unsigned ? 'uint64' : 'int64'} range`, path);
  }
  return b;
}

function double(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (NUMBER_TEXT.test(v)) return Number(v);
  }
  return fail(path, 'a number', v);
}

function optionalDouble(v: unknown, path: string): number | null {
  return v === undefined || v === null ? null : double(v, path);
}

/** Trace/span ids: hex, either case; byte length is checked by the converter. */
function hexId(v: unknown, path: string): Uint8Array {
  const s = str(v, path);
  if (s === '') return EMPTY_BYTES;
  if (s.length % 2 !== 0 || !HEX.test(s)) {
    throw new OtlpInvalidError(`expected a hex-encoded id, got ${JSON.stringify(s.slice(0, 40))}`, path);
  }
  return Buffer.from(s, 'hex');
}

function base64(v: unknown, path: string): Uint8Array {
  const s = str(v, path);
  if (!BASE64.test(s)) throw new OtlpInvalidError('expected base64-encoded bytes', path);
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
}

const ANY_VALUE_KINDS = [
  'stringValue',
  'boolValue',
  'intValue',
  'doubleValue',
  'arrayValue',
  'kvlistValue',
  'bytesValue',
] as const;

function anyValue(v: unknown, path: string, depth: number): AnyValueMsg | null {
  const o = obj(v, path);
  if (!o) return null;
  if (depth > 32) throw new OtlpInvalidError('AnyValue nested too deeply', path);
  let kind: (typeof ANY_VALUE_KINDS)[number] | null = null;
  for (const k of ANY_VALUE_KINDS) {
    if (o[k] === undefined || o[k] === null) continue;
    if (kind) throw new OtlpInvalidError(`AnyValue has both ${kind} and ${k}`, path);
    kind = k;
  }
  switch (kind) {
    case 'stringValue':
      return { stringValue: str(o.stringValue, `${path}.stringValue`) };
    case 'boolValue':
      return { boolValue: bool(o.boolValue, `${path}.boolValue`) };
    case 'intValue':
      return { intValue: int64(o.intValue, `${path}.intValue`, false) };
    case 'doubleValue':
      return { doubleValue: double(o.doubleValue, `${path}.doubleValue`) };
    case 'bytesValue':
      return { bytesValue: base64(o.bytesValue, `${path}.bytesValue`) };
    case 'arrayValue': {
      const p = `${path}.arrayValue`;
      const values = arr(obj(o.arrayValue, p)?.values, `${p}.values`);
      return {
        arrayValue: { values: values.map((x, i) => anyValue(x, `${p}.values[${i}]`, depth + 1) ?? {}) },
      };
    }
    case 'kvlistValue': {
      const p = `${path}.kvlistValue`;
      return {
        kvlistValue: { values: keyValues(obj(o.kvlistValue, p)?.values, `${p}.values`, depth + 1) },
      };
    }
    default:
      return {};
  }
}

function keyValues(v: unknown, path: string, depth = 0): KeyValueMsg[] {
  const items = arr(v, path);
  const out = new Array<KeyValueMsg>(items.length);
  for (let i = 0; i < items.length; i++) {
    const p = `${path}[${i}]`;
    const kv = obj(items[i], p) ?? {};
    out[i] = { key: str(kv.key, `${p}.key`), value: anyValue(kv.value, `${p}.value`, depth) };
  }
  return out;
}

function resource(v: unknown, path: string): ResourceMsg | null {
  const o = obj(v, path);
  return o ? { attributes: keyValues(o.attributes, `${path}.attributes`) } : null;
}

function scope(v: unknown, path: string): ScopeMsg | null {
  const o = obj(v, path);
  return o
    ? {
        name: str(o.name, `${path}.name`),
        version: str(o.version, `${path}.version`),
        attributes: keyValues(o.attributes, `${path}.attributes`),
      }
    : null;
}

/** Parses the body text; long integer literals become strings first (see the module doc). */
export function parseJson(text: string): Obj {
  let value: unknown;
  try {
    value = JSON.parse(quoteLongIntegers(text));
  } catch (err) {
    throw new OtlpInvalidError(`malformed JSON (${err instanceof Error ? err.message : String(err)})`, '');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpInvalidError('the request body must be a JSON object', '');
  }
  return value as Obj;
}

const LONG_DIGITS = /\d{16}/;

/**
 * Wraps integer literals of 16+ digits that stand outside strings in quotes, so JSON.parse keeps
 * them exact (OTLP/JSON decoders accept 64-bit integers as strings). Text without such a run of
 * digits is returned untouched, at the cost of one regex scan.
 */
export function quoteLongIntegers(text: string): string {
  if (!LONG_DIGITS.test(text)) return text;
  let out = '';
  let last = 0;
  let inString = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    const isDigit = c >= 48 && c <= 57;
    if (!isDigit && c !== 45 /* - */) continue;
    // A number literal starts here; find its end.
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) j++;
      else break;
    }
    const literal = text.slice(i, j);
    if (literal.length >= 16 && INTEGER_TEXT.test(literal)) {
      out += `${text.slice(last, i)}"${literal}"`;
      last = j;
    }
    i = j - 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

function span(v: unknown, p: string): SpanMsg {
  const s = obj(v, p) ?? {};
  const status = obj(s.status, `${p}.status`);
  return {
    traceId: hexId(s.traceId, `${p}.traceId`),
    spanId: hexId(s.spanId, `${p}.spanId`),
    traceState: str(s.traceState, `${p}.traceState`),
    parentSpanId: hexId(s.parentSpanId, `${p}.parentSpanId`),
    name: str(s.name, `${p}.name`),
    kind: enumInt(s.kind, `${p}.kind`),
    startTimeUnixNano: int64(s.startTimeUnixNano, `${p}.startTimeUnixNano`, true),
    endTimeUnixNano: int64(s.endTimeUnixNano, `${p}.endTimeUnixNano`, true),
    attributes: keyValues(s.attributes, `${p}.attributes`),
    events: arr(s.events, `${p}.events`).map((e, i) => {
      const ep = `${p}.events[${i}]`;
      const ev = obj(e, ep) ?? {};
      return {
        timeUnixNano: int64(ev.timeUnixNano, `${ep}.timeUnixNano`, true),
        name: str(ev.name, `${ep}.name`),
        attributes: keyValues(ev.attributes, `${ep}.attributes`),
        droppedAttributesCount: uint32(ev.droppedAttributesCount, `${ep}.droppedAttributesCount`),
      };
    }),
    links: arr(s.links, `${p}.links`).map((l, i) => {
      const lp = `${p}.links[${i}]`;
      const ln = obj(l, lp) ?? {};
      return {
        traceId: hexId(ln.traceId, `${lp}.traceId`),
        spanId: hexId(ln.spanId, `${lp}.spanId`),
        traceState: str(ln.traceState, `${lp}.traceState`),
        attributes: keyValues(ln.attributes, `${lp}.attributes`),
        droppedAttributesCount: uint32(ln.droppedAttributesCount, `${lp}.droppedAttributesCount`),
        flags: uint32(ln.flags, `${lp}.flags`),
      };
    }),
    status: status
      ? {
          message: str(status.message, `${p}.status.message`),
          code: enumInt(status.code, `${p}.status.code`),
        }
      : null,
    droppedAttributesCount: uint32(s.droppedAttributesCount, `${p}.droppedAttributesCount`),
    droppedEventsCount: uint32(s.droppedEventsCount, `${p}.droppedEventsCount`),
    droppedLinksCount: uint32(s.droppedLinksCount, `${p}.droppedLinksCount`),
    flags: uint32(s.flags, `${p}.flags`),
  };
}

/**
 * The resource → scope → items envelope that every OTLP export request shares, decoded with the paths
 * ("resourceSpans[0].scopeSpans[1].spans[2]") that error messages name.
 */
function envelope<T>(
  root: Obj,
  names: { resources: string; scopes: string; items: string },
  item: (v: unknown, path: string) => T,
): {
  resource: ResourceMsg | null;
  schemaUrl: string;
  scopes: { scope: ScopeMsg | null; schemaUrl: string; items: T[] }[];
}[] {
  return arr(root[names.resources], names.resources).map((rv, i) => {
    const rp = `${names.resources}[${i}]`;
    const r = obj(rv, rp) ?? {};
    return {
      resource: resource(r.resource, `${rp}.resource`),
      schemaUrl: str(r.schemaUrl, `${rp}.schemaUrl`),
      scopes: arr(r[names.scopes], `${rp}.${names.scopes}`).map((sv, j) => {
        const sp = `${rp}.${names.scopes}[${j}]`;
        const sc = obj(sv, sp) ?? {};
        return {
          scope: scope(sc.scope, `${sp}.scope`),
          schemaUrl: str(sc.schemaUrl, `${sp}.schemaUrl`),
          items: arr(sc[names.items], `${sp}.${names.items}`).map((x, k) =>
            item(x, `${sp}.${names.items}[${k}]`),
          ),
        };
      }),
    };
  });
}

export function decodeTraceJson(text: string): ExportTraceRequest {
  const resources = envelope(
    parseJson(text),
    { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans' },
    span,
  );
  return {
    resourceSpans: resources.map((r) => ({
      resource: r.resource,
      schemaUrl: r.schemaUrl,
      scopeSpans: r.scopes.map((sc) => ({ scope: sc.scope, schemaUrl: sc.schemaUrl, spans: sc.items })),
    })),
  };
}

function logRecord(v: unknown, p: string): LogRecordMsg {
  const r = obj(v, p) ?? {};
  return {
    timeUnixNano: int64(r.timeUnixNano, `${p}.timeUnixNano`, true),
    observedTimeUnixNano: int64(r.observedTimeUnixNano, `${p}.observedTimeUnixNano`, true),
    severityNumber: enumInt(r.severityNumber, `${p}.severityNumber`),
    severityText: str(r.severityText, `${p}.severityText`),
    body: anyValue(r.body, `${p}.body`, 0),
    attributes: keyValues(r.attributes, `${p}.attributes`),
    traceId: hexId(r.traceId, `${p}.traceId`),
    spanId: hexId(r.spanId, `${p}.spanId`),
    eventName: str(r.eventName, `${p}.eventName`),
    droppedAttributesCount: uint32(r.droppedAttributesCount, `${p}.droppedAttributesCount`),
    flags: uint32(r.flags, `${p}.flags`),
  };
}

export function decodeLogsJson(text: string): ExportLogsRequest {
  const resources = envelope(
    parseJson(text),
    { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords' },
    logRecord,
  );
  return {
    resourceLogs: resources.map((r) => ({
      resource: r.resource,
      schemaUrl: r.schemaUrl,
      scopeLogs: r.scopes.map((sc) => ({ scope: sc.scope, schemaUrl: sc.schemaUrl, logRecords: sc.items })),
    })),
  };
}

/** What explicit and exponential histogram points share: the point base, count, sum, min and max. */
function histogramBase(d: Obj, p: string) {
  return {
    ...pointBase(d, p),
    count: int64(d.count, `${p}.count`, true),
    sum: optionalDouble(d.sum, `${p}.sum`),
    min: optionalDouble(d.min, `${p}.min`),
    max: optionalDouble(d.max, `${p}.max`),
  };
}

function pointBase(d: Obj, p: string) {
  return {
    attributes: keyValues(d.attributes, `${p}.attributes`),
    startTimeUnixNano: int64(d.startTimeUnixNano, `${p}.startTimeUnixNano`, true),
    timeUnixNano: int64(d.timeUnixNano, `${p}.timeUnixNano`, true),
    flags: uint32(d.flags, `${p}.flags`),
  };
}

function numberPoint(v: unknown, p: string): NumberDataPointMsg {
  const d = obj(v, p) ?? {};
  const hasDouble = d.asDouble !== undefined && d.asDouble !== null;
  const hasInt = d.asInt !== undefined && d.asInt !== null;
  if (hasDouble && hasInt) throw new OtlpInvalidError('data point has both asDouble and asInt', p);
  return {
    ...pointBase(d, p),
    value: hasDouble ? 'asDouble' : hasInt ? 'asInt' : null,
    asDouble: hasDouble ? double(d.asDouble, `${p}.asDouble`) : null,
    asInt: hasInt ? int64(d.asInt, `${p}.asInt`, false) : null,
  };
}

function uint64List(v: unknown, p: string): Int64[] {
  return arr(v, p).map((x, i) => int64(x, `${p}[${i}]`, true));
}

function buckets(v: unknown, p: string): BucketsMsg | null {
  const b = obj(v, p);
  if (!b) return null;
  return {
    offset: int32(b.offset, `${p}.offset`),
    bucketCounts: uint64List(b.bucketCounts, `${p}.bucketCounts`),
  };
}

const METRIC_KINDS: readonly MetricDataKind[] = [
  'gauge',
  'sum',
  'histogram',
  'exponentialHistogram',
  'summary',
];

function metric(v: unknown, p: string): MetricMsg {
  const m = obj(v, p) ?? {};
  let kind: MetricDataKind | null = null;
  for (const k of METRIC_KINDS) {
    if (m[k] === undefined || m[k] === null) continue;
    if (kind) throw new OtlpInvalidError(`metric has both ${kind} and ${k}`, p);
    kind = k;
  }
  const out: MetricMsg = {
    name: str(m.name, `${p}.name`),
    description: str(m.description, `${p}.description`),
    unit: str(m.unit, `${p}.unit`),
    data: kind,
  };
  if (!kind) return out;
  const dp = `${p}.${kind}`;
  const data = obj(m[kind], dp) ?? {};
  const points = arr(data.dataPoints, `${dp}.dataPoints`);
  const at = (i: number) => `${dp}.dataPoints[${i}]`;
  switch (kind) {
    case 'gauge':
      out.gauge = { dataPoints: points.map((x, i) => numberPoint(x, at(i))) };
      break;
    case 'sum':
      out.sum = {
        dataPoints: points.map((x, i) => numberPoint(x, at(i))),
        aggregationTemporality: enumInt(data.aggregationTemporality, `${dp}.aggregationTemporality`),
        isMonotonic: bool(data.isMonotonic, `${dp}.isMonotonic`),
      };
      break;
    case 'histogram':
      out.histogram = {
        aggregationTemporality: enumInt(data.aggregationTemporality, `${dp}.aggregationTemporality`),
        dataPoints: points.map((x, i) => {
          const d = obj(x, at(i)) ?? {};
          return {
            ...histogramBase(d, at(i)),
            bucketCounts: uint64List(d.bucketCounts, `${at(i)}.bucketCounts`),
            explicitBounds: arr(d.explicitBounds, `${at(i)}.explicitBounds`).map((b, k) =>
              double(b, `${at(i)}.explicitBounds[${k}]`),
            ),
          };
        }),
      };
      break;
    case 'exponentialHistogram':
      out.exponentialHistogram = {
        aggregationTemporality: enumInt(data.aggregationTemporality, `${dp}.aggregationTemporality`),
        dataPoints: points.map((x, i) => {
          const d = obj(x, at(i)) ?? {};
          return {
            ...histogramBase(d, at(i)),
            scale: int32(d.scale, `${at(i)}.scale`),
            zeroCount: int64(d.zeroCount, `${at(i)}.zeroCount`, true),
            positive: buckets(d.positive, `${at(i)}.positive`),
            negative: buckets(d.negative, `${at(i)}.negative`),
          };
        }),
      };
      break;
    case 'summary':
      out.summary = {
        dataPoints: points.map((x, i) => {
          const d = obj(x, at(i)) ?? {};
          return {
            ...pointBase(d, at(i)),
            count: int64(d.count, `${at(i)}.count`, true),
            sum: double(d.sum, `${at(i)}.sum`),
            quantileValues: arr(d.quantileValues, `${at(i)}.quantileValues`).map((q, k) => {
              const qp = `${at(i)}.quantileValues[${k}]`;
              const qv = obj(q, qp) ?? {};
              return {
                quantile: double(qv.quantile, `${qp}.quantile`),
                value: double(qv.value, `${qp}.value`),
              };
            }),
          };
        }),
      };
      break;
  }
  return out;
}

export function decodeMetricsJson(text: string): ExportMetricsRequest {
  const resources = envelope(
    parseJson(text),
    { resources: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics' },
    metric,
  );
  return {
    resourceMetrics: resources.map((r) => ({
      resource: r.resource,
      schemaUrl: r.schemaUrl,
      scopeMetrics: r.scopes.map((sc) => ({ scope: sc.scope, schemaUrl: sc.schemaUrl, metrics: sc.items })),
    })),
  };
}

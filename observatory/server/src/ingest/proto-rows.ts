import type { EnvelopeColumns, LogRow, SpanRow } from '../store/types.js';
import type { RowBatch } from '../store/write-queue.js';
import {
  badIdLength,
  type Converted,
  defaultNowNs,
  logRowBytes,
  MAX_ANY_VALUE_DEPTH,
  OtlpInvalidError,
  REJECT,
  Rejections,
  spanRowBytes,
  UNKNOWN_SERVICE,
} from './convert.js';
import {
  asBuffer,
  checkUtf8,
  hexSlice,
  schema,
  utf8Extra,
  utf8Slice,
  WireError,
  WireReader,
  WT_FIXED32,
  WT_FIXED64,
  WT_LEN,
  WT_VARINT,
} from './proto-reader.js';

/**
 * Fused OTLP protobuf → store rows decoders for traces and logs: they read the bytes of an
 * ExportTraceServiceRequest / ExportLogsServiceRequest in place and produce the same `Converted`
 * as `convertTraces(decodeTraceRequest(buf))` / `convertLogs(decodeLogsRequest(buf))` (proto.ts +
 * convert.ts, which stay the reference and the path for metrics), without the intermediate
 * message objects, `Long`s and per-value strings.
 *
 * How: each message is walked once to note where its fields are (positions in the buffer), then
 * the row is built from those positions. The string columns (attributes, events, links and log
 * bodies as JSON; names and other strings as they are) are written as UTF-8 bytes into one
 * scratch buffer — JSON keys and strings copied with JSON.stringify's escaping, numbers as digits,
 * bytes as base64 — which becomes one string per request; rows get substrings of it. Ids are
 * hexSlice'd from the request. Duplicate attribute keys are found by comparing key bytes.
 *
 * Semantics are those of protobufjs + convert.ts (see proto-rows.test.ts), with these choices:
 * - AnyValue is a `oneof` in OTLP: when several members are on the wire the last one wins, per the
 *   protobuf spec (a message member repeated without another member in between merges). The
 *   reference, whose .proto declares the members `optional`, takes the first set member in
 *   convert.ts's order (string, int, bool, double, array, kvlist, bytes). Only inputs that set
 *   two members differ; SDKs never send them.
 * - An embedded message present twice merges (protobuf spec, and protobufjs): resource
 *   attributes concatenate; scope name, status message/code: the last occurrence wins; a
 *   repeated KeyValue.value or LogRecord.body merges like the AnyValue above.
 * - Stricter wire checks than protobufjs: a known field with an unexpected wire type, group wire
 *   types (3/4, deprecated and unused by OTLP) and varints longer than 10 bytes are errors
 *   (protobufjs skips the former two as unknown fields).
 * - Every string field of the schema (proto/) must be
 *   valid UTF-8, as with protobufjs' strict decoding; bytes of unknown fields are not looked at.
 * - One malformed request always throws `OtlpInvalidError`; when it is malformed in two ways the
 *   message may name another problem than the reference's (which decodes everything before
 *   converting), e.g. a wrong id length before a truncation further on.
 */

/**
 * Nesting limit (messages deep, the request being 0) for parts that are only validated, not
 * converted (items rejected before conversion): protoc's and protobufjs'
 * default recursion limit. Converted AnyValues stop earlier, at MAX_ANY_VALUE_DEPTH.
 */
const MAX_MESSAGE_DEPTH = 100;

// Field schemas (field number → wire type) for `WireReader.other`.
const S_REQUEST = schema(1, WT_LEN);
/** ResourceSpans / ResourceLogs / ScopeSpans / ScopeLogs: 1 resource|scope, 2 the repeated items, 3 schema_url. */
const S_CONTAINER = schema(1, WT_LEN, 2, WT_LEN, 3, WT_LEN);
const S_RESOURCE = schema(1, WT_LEN);
const S_SCOPE = schema(1, WT_LEN, 2, WT_LEN, 3, WT_LEN);
// biome-ignore format: field/wire-type pairs
const S_SPAN = schema(
  1, WT_LEN, 2, WT_LEN, 3, WT_LEN, 4, WT_LEN, 5, WT_LEN, 6, WT_VARINT, 7, WT_FIXED64, 8, WT_FIXED64,
  9, WT_LEN, 10, WT_VARINT, 11, WT_LEN, 12, WT_VARINT, 13, WT_LEN, 14, WT_VARINT, 15, WT_LEN, 16, WT_FIXED32,
);
const S_EVENT = schema(1, WT_FIXED64, 2, WT_LEN, 3, WT_LEN, 4, WT_VARINT);
const S_LINK = schema(1, WT_LEN, 2, WT_LEN, 3, WT_LEN, 4, WT_LEN, 5, WT_VARINT, 6, WT_FIXED32);
const S_STATUS = schema(2, WT_LEN, 3, WT_VARINT);
const S_KEY_VALUE = schema(1, WT_LEN, 2, WT_LEN);
// biome-ignore format: field/wire-type pairs
const S_ANY_VALUE = schema(1, WT_LEN, 2, WT_VARINT, 3, WT_VARINT, 4, WT_FIXED64, 5, WT_LEN, 6, WT_LEN, 7, WT_LEN);
/** ArrayValue / KeyValueList: 1 values. */
const S_LIST = schema(1, WT_LEN);
// biome-ignore format: field/wire-type pairs
const S_LOG = schema(
  1, WT_FIXED64, 2, WT_VARINT, 3, WT_LEN, 5, WT_LEN, 6, WT_LEN, 7, WT_VARINT, 8, WT_FIXED32, 9, WT_LEN,
  10, WT_LEN, 11, WT_FIXED64, 12, WT_LEN,
);

// Tags (field << 3 | wire type) matched in the hot paths.
const TAG_1_LEN = 0x0a;
const TAG_2_LEN = 0x12;
const TAG_3_LEN = 0x1a;
const TAG_4_LEN = 0x22;
const TAG_5_LEN = 0x2a;
const TAG_6_LEN = 0x32;
const TAG_7_LEN = 0x3a;
const TAG_1_FIXED64 = 0x09;
const TAG_2_VARINT = 0x10;
const TAG_3_VARINT = 0x18;
const TAG_4_FIXED64 = 0x21;
const TAG_4_VARINT = 0x20;
const TAG_5_VARINT = 0x28;
const TAG_6_FIXED32 = 0x35;
const TAG_SPAN_KIND = 0x30; // 6 varint
const TAG_SPAN_START = 0x39; // 7 fixed64
const TAG_SPAN_END = 0x41; // 8 fixed64
const TAG_SPAN_ATTRIBUTES = 0x4a; // 9
const TAG_SPAN_EVENTS = 0x5a; // 11
const TAG_SPAN_LINKS = 0x6a; // 13
const TAG_SPAN_STATUS = 0x7a; // 15
const TAG_SPAN_DROPPED_ATTRIBUTES = 0x50; // 10 varint
const TAG_SPAN_DROPPED_EVENTS = 0x60; // 12 varint
const TAG_SPAN_DROPPED_LINKS = 0x70; // 14 varint
const TAG_SPAN_FLAGS = 0x85; // 16 fixed32 (a two-byte tag)
const TAG_LOG_TRACE_ID = 0x4a; // 9
const TAG_LOG_SPAN_ID = 0x52; // 10
const TAG_LOG_OBSERVED = 0x59; // 11 fixed64
const TAG_LOG_EVENT_NAME = 0x62; // 12
const TAG_LOG_DROPPED_ATTRIBUTES = 0x38; // 7 varint
const TAG_LOG_FLAGS = 0x45; // 8 fixed32

const AV_STRING = 1;
const AV_BOOL = 2;
const AV_INT = 3;
const AV_DOUBLE = 4;
const AV_ARRAY = 5;
const AV_KVLIST = 6;
const AV_BYTES = 7;

// ---------------------------------------------------------------------------------------------
// Output: one scratch buffer, reused. Every string column of every row of a request is written
// to it as UTF-8 (only ASCII and validated UTF-8 is ever written), and becomes one string with a
// single utf8Slice at the end; rows get substrings of it (a native call per value cost about 8
// times a substring). Column bounds are kept in UTF-16 units, which is what substring takes:
// `op - extra`, where `extra` counts the bytes written beyond the UTF-16 length of their text.

const OUT_INITIAL = 64 * 1024;
const OUT_KEEP = 4 * 1024 * 1024;
let out: Buffer = Buffer.allocUnsafe(OUT_INITIAL);
let outView: DataView = new DataView(out.buffer, out.byteOffset, out.byteLength);
let op = 0;
let extra = 0;

/** Start and end (UTF-16 offsets in the request's text, start -1 for the column's default) per string column of each row. */
const MARKS_INITIAL = 16 * 1024;
const MARKS_KEEP = 1024 * 1024;
let marks = new Int32Array(MARKS_INITIAL);
let markTop = 0;

/** Room for `n` marks of a new row; returns where they start. */
function rowMarks(n: number): number {
  if (markTop + n > marks.length) {
    const next = new Int32Array(marks.length * 2);
    next.set(marks);
    marks = next;
  }
  const at = markTop;
  markTop += n;
  return at;
}

/** Writes string bytes [s, e) (checked to be UTF-8) as the column at marks[at]; empty: the default (''). */
function writeColumn(at: number, r: WireReader, s: number, e: number): void {
  if (s === e) {
    marks[at] = -1;
    return;
  }
  marks[at] = op - extra;
  writeRaw(r, s, e);
  marks[at + 1] = op - extra;
}

// Marks of a span row: a pair of ints per string column (ids are hexSlice'd directly).
const M_TRACE_STATE = 0;
const M_NAME = 2;
const M_STATUS_MESSAGE = 4;
const M_ATTRIBUTES = 6;
const M_EVENTS = 8;
const M_LINKS = 10;
const SPAN_MARKS = 12;
// Marks of a log row.
const M_SEVERITY_TEXT = 0;
const M_BODY = 2;
const M_LOG_ATTRIBUTES = 4;
const M_EVENT_NAME = 6;
const LOG_MARKS = 8;

/** A column's value: its substring of the request's text, or its default. */
function column(text: string, at: number, dflt: string): string {
  const s = marks[at]!;
  return s < 0 ? dflt : text.substring(s, marks[at + 1]!);
}

function ensure(n: number): void {
  if (op + n <= out.length) return;
  let size = out.length * 2;
  while (size < op + n) size *= 2;
  const next = Buffer.allocUnsafe(size);
  out.copy(next, 0, 0, op);
  setOut(next);
}

function setOut(b: Buffer): void {
  out = b;
  outView = new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** What was written since `o0` (when `extra` was `x0`) as a string of its own, removed from the output. */
function takeSince(o0: number, x0: number): string {
  const s = utf8Slice(out, o0, op);
  op = o0;
  extra = x0;
  return s;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function putBytes(b: Uint8Array): void {
  ensure(b.length);
  const o = out;
  let p = op;
  for (let i = 0; i < b.length; i++) o[p++] = b[i]!;
  op = p;
}

function putByte(c: number): void {
  ensure(1);
  out[op++] = c;
}

const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');
const EMPTY_OBJECT = ascii('{}');
const EVENT_NAME = ascii('{"name":');
const EVENT_TIME = ascii(',"timeUnixNano":"');
const EVENT_ATTRIBUTES = ascii('","attributes":');
const LINK_TRACE_ID = ascii('{"traceId":"');
const LINK_SPAN_ID = ascii('","spanId":"');
const LINK_TRACE_STATE = ascii('","traceState":');
const LINK_ATTRIBUTES = ascii(',"attributes":');
const DROPPED_ATTRIBUTES = ascii(',"droppedAttributesCount":');
const LINK_FLAGS = ascii(',"flags":');
const SERVICE_NAME = ascii('service.name');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/** 1 for the bytes JSON.stringify escapes: control characters, '"' and '\'. */
const NEEDS_ESCAPE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) NEEDS_ESCAPE[b] = 1;
NEEDS_ESCAPE[QUOTE] = 1;
NEEDS_ESCAPE[BACKSLASH] = 1;

/** Of those, the ones JSON.stringify writes as '\' and a character: that character; 0 for \u00XX. */
const SHORT_ESCAPE = new Uint8Array(256);
const SHORT_ESCAPES = [
  [QUOTE, '"'],
  [BACKSLASH, '\\'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0c, 'f'],
  [0x0d, 'r'],
] as const;
for (const [b, c] of SHORT_ESCAPES) SHORT_ESCAPE[b] = c.charCodeAt(0);

const HEX_DIGITS = ascii('0123456789abcdef');
const BASE64_DIGITS = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Writes bytes [s, e) of `src` (a proto3 string: must be UTF-8) as a JSON string, like JSON.stringify. */
function writeJsonString(r: WireReader, s: number, e: number): void {
  ensure(e - s + 2);
  const src = r.buf;
  let o = out;
  let p = op;
  let high = 0;
  o[p++] = QUOTE;
  // Four bytes at a time while none needs escaping or is non-ASCII.
  let i = s;
  if (e - s >= 4) {
    const sv = r.view;
    const ov = outView;
    for (; i + 4 <= e; i += 4) {
      const x = sv.getUint32(i, true);
      if (plainAscii4(x) !== 0) break;
      ov.setUint32(p, x, true);
      p += 4;
    }
  }
  for (; i < e; i++) {
    const b = src[i]!;
    if (NEEDS_ESCAPE[b] === 0) {
      o[p++] = b;
      high |= b;
      continue;
    }
    op = p;
    ensure(6 + (e - i));
    o = out;
    p = op;
    o[p++] = BACKSLASH;
    const c = SHORT_ESCAPE[b]!;
    if (c !== 0) o[p++] = c;
    else {
      o[p++] = 0x75; // u00XX, lowercase hex like JSON.stringify
      o[p++] = 0x30;
      o[p++] = 0x30;
      o[p++] = HEX_DIGITS[b >> 4]!;
      o[p++] = HEX_DIGITS[b & 15]!;
    }
  }
  o[p++] = QUOTE;
  op = p;
  if (high >= 0x80) addExtra(src, s, e);
}

/** Checks that non-ASCII bytes [s, e) are UTF-8 and accounts for their UTF-16 length. */
function addExtra(src: Buffer, s: number, e: number): void {
  const x = utf8Extra(src, s, e);
  if (x < 0) throw new WireError(`string at byte ${s} is not valid for encoding utf-8`);
  extra += x;
}

/**
 * Non-zero unless all four bytes of `x` are printable ASCII other than '"' and '\\' (bytes
 * below 0x20, equal to 0x22 or 0x5c, or from 0x80 on): the bit tricks for "has a byte less than"
 * and "has a zero byte", exact as booleans when no byte has its high bit set (tested apart).
 */
export function plainAscii4(x: number): number {
  const quote = x ^ 0x22222222;
  const backslash = x ^ 0x5c5c5c5c;
  const special =
    ((x - 0x20202020) & ~x) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash);
  return (special | x) & 0x80808080;
}

/** Writes bytes [s, e) of `src` (a proto3 string: must be UTF-8) as they are. */
function writeRaw(r: WireReader, s: number, e: number): void {
  ensure(e - s);
  const src = r.buf;
  const o = out;
  let p = op;
  let high = 0;
  let i = s;
  if (e - s >= 4) {
    const sv = r.view;
    const ov = outView;
    for (; i + 4 <= e; i += 4) {
      const x = sv.getUint32(i, true);
      if ((x & 0x80808080) !== 0) break;
      ov.setUint32(p, x, true);
      p += 4;
    }
  }
  for (; i < e; i++) {
    const b = src[i]!;
    o[p++] = b;
    high |= b;
  }
  op = p;
  if (high >= 0x80) addExtra(src, s, e);
}

/** An ASCII JS string (number text). */
function writeAsciiString(s: string): void {
  ensure(s.length);
  const o = out;
  let p = op;
  for (let i = 0; i < s.length; i++) o[p++] = s.charCodeAt(i);
  op = p;
}

/** A non-negative integer below 2^53, as decimal digits. */
function writeUint(v: number): void {
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  ensure(digits);
  const o = out;
  let p = op + digits;
  op = p;
  while (v >= 10) {
    const q = Math.floor(v / 10);
    o[--p] = 0x30 + (v - q * 10);
    v = q;
  }
  o[--p] = 0x30 + v;
}

/** An int64 (two's complement halves) as convert.ts's anyValueJson writes it: a number when safe, else a string. */
function writeInt64(lo: number, hi: number): void {
  const h = hi | 0;
  // |value| <= 2^53 - 1 exactly when the high half is in [-2^21, 2^21) and not -2^53 itself.
  if (h >= -0x20_0000 && h < 0x20_0000 && !(h === -0x20_0000 && lo === 0)) {
    const v = h * 0x1_0000_0000 + lo;
    if (v < 0) {
      putByte(0x2d); // -
      writeUint(-v);
    } else writeUint(v);
    return;
  }
  const big = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  putByte(QUOTE);
  writeAsciiString(big.toString());
  putByte(QUOTE);
}

/** A double like convert.ts's doubleToJson: finite → number, else "NaN" / "Infinity" / "-Infinity". */
function writeDouble(d: number): void {
  if (Number.isFinite(d)) writeAsciiString(String(d));
  else writeAsciiString(Number.isNaN(d) ? '"NaN"' : d > 0 ? '"Infinity"' : '"-Infinity"');
}

/** Bytes as a base64 JSON string (standard alphabet, padded: Buffer's 'base64'). */
function writeBase64(src: Buffer, s: number, e: number): void {
  ensure(4 * Math.ceil((e - s) / 3) + 2);
  const o = out;
  const d = BASE64_DIGITS;
  let p = op;
  o[p++] = QUOTE;
  let i = s;
  for (; i + 3 <= e; i += 3) {
    const n = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    o[p++] = d[n >> 18]!;
    o[p++] = d[(n >> 12) & 63]!;
    o[p++] = d[(n >> 6) & 63]!;
    o[p++] = d[n & 63]!;
  }
  if (e - i === 1) {
    const n = src[i]! << 16;
    o[p++] = d[n >> 18]!;
    o[p++] = d[(n >> 12) & 63]!;
    o[p++] = 0x3d;
    o[p++] = 0x3d;
  } else if (e - i === 2) {
    const n = (src[i]! << 16) | (src[i + 1]! << 8);
    o[p++] = d[n >> 18]!;
    o[p++] = d[(n >> 12) & 63]!;
    o[p++] = d[(n >> 6) & 63]!;
    o[p++] = 0x3d;
  }
  o[p++] = QUOTE;
  op = p;
}

/** Bytes as lowercase hex (ids in links). */
function writeHex(src: Buffer, s: number, e: number): void {
  ensure(2 * (e - s));
  const o = out;
  let p = op;
  for (let i = s; i < e; i++) {
    const b = src[i]!;
    o[p++] = HEX_DIGITS[b >> 4]!;
    o[p++] = HEX_DIGITS[b & 15]!;
  }
  op = p;
}

/** An unsigned fixed64 (at `pos`, or 0 when `pos` < 0) as decimal digits. */
function writeUint64At(r: WireReader, pos: number): void {
  if (pos < 0) {
    putByte(0x30);
    return;
  }
  const lo = r.view.getUint32(pos, true);
  const hi = r.view.getUint32(pos + 4, true);
  if (hi < 0x20_0000) writeUint(hi * 0x1_0000_0000 + lo);
  else writeAsciiString(r.uint64At(pos).toString());
}

// ---------------------------------------------------------------------------------------------
// Attributes: KeyValue lists as JSON objects.
//
// Every key/value pair written is recorded (key bytes in the source, its `"key":value` text in
// `out`) on a stack shared by nested objects, so that duplicate keys (invalid in OTLP, but
// possible) get convert.ts's treatment: one entry per key, in first-seen order, last value wins.

/** Ints per recorded pair: key start, key end, key signature, `"key":value` start, end and extra. */
const KV = 6;
let kvs = new Int32Array(KV * 256);
let kvTop = 0;

function pushKv(
  src: Buffer,
  keyStart: number,
  keyEnd: number,
  segStart: number,
  segEnd: number,
  segExtra: number,
): void {
  if (kvTop + KV > kvs.length) {
    const next = new Int32Array(kvs.length * 2);
    next.set(kvs);
    kvs = next;
  }
  const n = keyEnd - keyStart;
  kvs[kvTop] = keyStart;
  kvs[kvTop + 1] = keyEnd;
  // Equal keys have equal signatures: length, first, middle and last byte.
  kvs[kvTop + 2] =
    n === 0 ? 0 : n ^ (src[keyStart]! << 8) ^ (src[keyStart + (n >> 1)]! << 16) ^ (src[keyEnd - 1]! << 24);
  kvs[kvTop + 3] = segStart;
  kvs[kvTop + 4] = segEnd;
  kvs[kvTop + 5] = segExtra;
  kvTop += KV;
}

function sameBytes(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (b[s1 + i] !== b[s2 + i]) return false;
  return true;
}

/** Whether the pairs recorded from `base` on have a repeated key. */
function hasDuplicateKeys(src: Buffer, base: number): boolean {
  const n = (kvTop - base) / KV;
  if (n > 32) {
    const seen = new Set<string>();
    for (let i = base; i < kvTop; i += KV) seen.add(src.toString('latin1', kvs[i]!, kvs[i + 1]!));
    return seen.size !== n;
  }
  for (let i = base + KV; i < kvTop; i += KV) {
    const sig = kvs[i + 2]!;
    for (let j = base; j < i; j += KV) {
      if (kvs[j + 2] === sig && sameBytes(src, kvs[i]!, kvs[i + 1]!, kvs[j]!, kvs[j + 1]!)) return true;
    }
  }
  return false;
}

/** Rewrites the object written at [o0, op) (`extra` then `x0`) with one entry per key (first position, last value). */
function dedupeObject(src: Buffer, base: number, o0: number, x0: number): void {
  // Key bytes ↔ latin1 text is one-to-one, so the Map behaves as convert.ts's Map of decoded keys.
  const last = new Map<string, number>();
  for (let i = base; i < kvTop; i += KV) last.set(src.toString('latin1', kvs[i]!, kvs[i + 1]!), i);
  const tmp = op;
  ensure(op - o0);
  const o = out;
  let p = tmp;
  o[p++] = 0x7b; // {
  let first = true;
  let x = x0;
  for (const i of last.values()) {
    if (!first) o[p++] = COMMA;
    first = false;
    p += o.copy(o, p, kvs[i + 3]!, kvs[i + 4]!);
    x += kvs[i + 5]!;
  }
  o[p++] = 0x7d; // }
  o.copy(o, o0, tmp, p);
  op = o0 + (p - tmp);
  extra = x;
}

/** Set while writing a resource's attributes: where the last non-empty string `service.name` is. */
let captureService = false;
let serviceBuf: Buffer | null = null;
let serviceStart = 0;
let serviceEnd = 0;

/**
 * Writes the KeyValues that are fields `tag` of the message [from, end) as a JSON object.
 * `from` may be the position of the first such field inside a message already walked once
 * (`container` null: other fields are skipped), or the start of a KeyValueList (`container` its
 * schema: other fields are checked).
 */
function writeObject(
  r: WireReader,
  from: number,
  end: number,
  tag: number,
  depth: number,
  path: string,
  container: Uint8Array | null,
): void {
  const base = kvTop;
  const o0 = op;
  const x0 = extra;
  putByte(0x7b); // {
  r.pos = from;
  while (r.pos < end) {
    const t = r.tag(end);
    if (t === tag) {
      const e = r.delimited(end);
      writeKeyValue(r, r.pos, e, depth, path, kvTop !== base);
      r.pos = e;
    } else if (container) r.other(t, container, end);
    else r.skip(t & 7, end);
  }
  putByte(0x7d); // }
  if (kvTop - base > KV && hasDuplicateKeys(r.buf, base)) dedupeObject(r.buf, base, o0, x0);
  kvTop = base;
}

function writeKeyValue(
  r: WireReader,
  s: number,
  e: number,
  depth: number,
  path: string,
  comma: boolean,
): void {
  const buf = r.buf;
  let keyStart = s;
  let keyEnd = s;
  let valueStart = -1;
  let valueEnd = -1;
  let valueRanges: number[] | null = null;
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      const start = r.bytes(e);
      if (keyEnd > keyStart) checkUtf8(buf, keyStart, keyEnd); // overwritten: still must be UTF-8
      keyStart = start;
      keyEnd = r.pos;
    } else if (t === TAG_2_LEN) {
      const end = r.delimited(e);
      if (valueStart < 0) {
        valueStart = r.pos;
        valueEnd = end;
      } else valueRanges = withRange(valueRanges, valueStart, valueEnd, r.pos, end);
      r.pos = end;
    } else r.other(t, S_KEY_VALUE, e);
  }
  if (comma) putByte(COMMA);
  const seg = op;
  const segExtra = extra;
  writeJsonString(r, keyStart, keyEnd);
  putByte(COLON);
  if (valueStart < 0) putBytes(NULL);
  else {
    const vr = valueRanges ? merged(r, valueRanges) : r;
    const vs = valueRanges ? 0 : valueStart;
    const ve = valueRanges ? vr.buf.length : valueEnd;
    const member = writeAnyValue(vr, vs, ve, depth, path);
    if (
      captureService &&
      depth === 0 &&
      member === AV_STRING &&
      avEnd > avStart &&
      isServiceName(buf, keyStart, keyEnd)
    ) {
      serviceBuf = vr.buf;
      serviceStart = avStart;
      serviceEnd = avEnd;
    }
  }
  pushKv(buf, keyStart, keyEnd, seg, op, extra - segExtra);
}

function isServiceName(b: Buffer, s: number, e: number): boolean {
  if (e - s !== SERVICE_NAME.length) return false;
  for (let i = 0; i < SERVICE_NAME.length; i++) if (b[s + i] !== SERVICE_NAME[i]) return false;
  return true;
}

/** `ranges` (or [s0, e0] when null) with [s, e] appended: a field present again, to be merged. */
function withRange(ranges: number[] | null, s0: number, e0: number, s: number, e: number): number[] {
  const list = ranges ?? [s0, e0];
  list.push(s, e);
  return list;
}

/** A reader over the concatenation of byte ranges: a message present several times, merged. */
function merged(r: WireReader, ranges: number[]): WireReader {
  const parts: Buffer[] = [];
  for (let i = 0; i < ranges.length; i += 2) parts.push(r.buf.subarray(ranges[i]!, ranges[i + 1]!));
  return new WireReader(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------
// AnyValue

/** Result of `scanAnyValue`: the member that counts, and its value or byte range. */
let avStart = 0;
let avEnd = 0;
let avLo = 0;
let avHi = 0;
let avDouble = 0;
/** Several ranges when the array/kvlist member was repeated (they merge). */
let avRanges: number[] | null = null;

/** Finds the AnyValue member that counts (the last one on the wire) and checks the others. */
function scanAnyValue(r: WireReader, s: number, e: number, depth: number): number {
  let member = 0;
  let start = 0;
  let end = 0;
  let lo = 0;
  let hi = 0;
  let num = 0;
  let ranges: number[] | null = null;
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    let next: number;
    switch (t) {
      case TAG_1_LEN:
      case TAG_5_LEN:
      case TAG_6_LEN:
      case TAG_7_LEN: {
        next = t >>> 3;
        const fieldEnd = r.delimited(e);
        if (next === member && (next === AV_ARRAY || next === AV_KVLIST)) {
          ranges = withRange(ranges, start, end, r.pos, fieldEnd);
          r.pos = fieldEnd;
          continue;
        }
        if (member !== 0) discardMember(r, member, start, end, ranges, depth);
        ranges = null;
        start = r.pos;
        end = fieldEnd;
        r.pos = fieldEnd;
        break;
      }
      case TAG_2_VARINT:
      case TAG_3_VARINT:
        next = t >>> 3;
        r.varint(e);
        lo = r.lo;
        hi = r.hi;
        if (member !== 0) discardMember(r, member, start, end, ranges, depth);
        ranges = null;
        break;
      case TAG_4_FIXED64:
        next = AV_DOUBLE;
        num = r.double(e);
        if (member !== 0) discardMember(r, member, start, end, ranges, depth);
        ranges = null;
        break;
      default:
        r.other(t, S_ANY_VALUE, e);
        continue;
    }
    member = next;
  }
  avStart = start;
  avEnd = end;
  avLo = lo;
  avHi = hi;
  avDouble = num;
  avRanges = ranges;
  return member;
}

/** A member overridden by a later one: not converted, but must still be well-formed. */
function discardMember(
  r: WireReader,
  member: number,
  s: number,
  e: number,
  ranges: number[] | null,
  depth: number,
): void {
  if (member === AV_STRING) checkUtf8(r.buf, s, e);
  else if (member === AV_ARRAY || member === AV_KVLIST) {
    const pos = r.pos;
    // The exact message depth is not tracked on this path; 6 is the deepest a top-level AnyValue sits.
    const q = 7 + 2 * depth;
    if (ranges) {
      for (let i = 0; i < ranges.length; i += 2)
        validateList(r, ranges[i]!, ranges[i + 1]!, q, member === AV_KVLIST);
    } else validateList(r, s, e, q, member === AV_KVLIST);
    r.pos = pos;
  }
}

/** Writes the AnyValue [s, e) as JSON (convert.ts's anyValueJson); returns the member written. */
function writeAnyValue(r: WireReader, s: number, e: number, depth: number, path: string): number {
  const member = scanAnyValue(r, s, e, depth);
  writeMember(r, member, depth, path);
  return member;
}

/** Writes the member found by the last `scanAnyValue` on `r`. */
function writeMember(r: WireReader, member: number, depth: number, path: string): void {
  switch (member) {
    case AV_STRING:
      writeJsonString(r, avStart, avEnd);
      return;
    case AV_BOOL:
      putBytes((avLo | avHi) !== 0 ? TRUE : FALSE);
      return;
    case AV_INT:
      writeInt64(avLo, avHi);
      return;
    case AV_DOUBLE:
      writeDouble(avDouble);
      return;
    case AV_ARRAY:
    case AV_KVLIST: {
      if (depth >= MAX_ANY_VALUE_DEPTH) throw new OtlpInvalidError('AnyValue nested too deeply', path);
      const lr = avRanges ? merged(r, avRanges) : r;
      const s = avRanges ? 0 : avStart;
      const e = avRanges ? lr.buf.length : avEnd;
      if (member === AV_KVLIST) writeObject(lr, s, e, TAG_1_LEN, depth + 1, path, S_LIST);
      else writeArray(lr, s, e, depth + 1, path);
      return;
    }
    case AV_BYTES:
      writeBase64(r.buf, avStart, avEnd);
      return;
    default:
      putBytes(NULL);
  }
}

function writeArray(r: WireReader, s: number, e: number, depth: number, path: string): void {
  putByte(0x5b); // [
  let first = true;
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      const end = r.delimited(e);
      if (!first) putByte(COMMA);
      first = false;
      writeAnyValue(r, r.pos, end, depth, path);
      r.pos = end;
    } else r.other(t, S_LIST, e);
  }
  putByte(0x5d); // ]
}

// ---------------------------------------------------------------------------------------------
// Validation only: parts the rows do not use must be as well-formed as protobufjs demands.

function tooDeep(): WireError {
  return new WireError(`messages nested deeper than ${MAX_MESSAGE_DEPTH}`);
}

function validateKeyValue(r: WireReader, s: number, e: number, q: number): void {
  if (q > MAX_MESSAGE_DEPTH) throw tooDeep();
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_1_LEN) r.string(e);
    else if (t === TAG_2_LEN) {
      const end = r.delimited(e);
      validateAnyValue(r, r.pos, end, q + 1);
      r.pos = end;
    } else r.other(t, S_KEY_VALUE, e);
  }
}

function validateAnyValue(r: WireReader, s: number, e: number, q: number): void {
  if (q > MAX_MESSAGE_DEPTH) throw tooDeep();
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    switch (t) {
      case TAG_1_LEN:
        r.string(e);
        break;
      case TAG_2_VARINT:
      case TAG_3_VARINT:
        r.varint(e);
        break;
      case TAG_4_FIXED64:
        r.fixed64(e);
        break;
      case TAG_5_LEN:
      case TAG_6_LEN: {
        const end = r.delimited(e);
        validateList(r, r.pos, end, q + 1, t === TAG_6_LEN);
        r.pos = end;
        break;
      }
      case TAG_7_LEN:
        r.pos = r.delimited(e);
        break;
      default:
        r.other(t, S_ANY_VALUE, e);
    }
  }
}

/** An ArrayValue (`keyValues` false) or KeyValueList at message depth `q`. */
function validateList(r: WireReader, s: number, e: number, q: number, keyValues: boolean): void {
  if (q > MAX_MESSAGE_DEPTH) throw tooDeep();
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      const end = r.delimited(e);
      if (keyValues) validateKeyValue(r, r.pos, end, q + 1);
      else validateAnyValue(r, r.pos, end, q + 1);
      r.pos = end;
    } else r.other(t, S_LIST, e);
  }
}

/** The attributes, events and links of a span rejected before conversion (message depth 3). */
function validateSpanParts(r: WireReader, s: number, e: number): void {
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_SPAN_ATTRIBUTES || t === TAG_SPAN_EVENTS || t === TAG_SPAN_LINKS) {
      const end = r.delimited(e);
      if (t === TAG_SPAN_ATTRIBUTES) validateKeyValue(r, r.pos, end, 4);
      else validateEventOrLink(r, r.pos, end, t === TAG_SPAN_EVENTS ? S_EVENT : S_LINK);
      r.pos = end;
    } else r.skip(t & 7, e);
  }
}

/** An Event or Link (message depth 4): its strings, attributes (field 3 / 4) and wire types. */
function validateEventOrLink(r: WireReader, s: number, e: number, fields: Uint8Array): void {
  const isEvent = fields === S_EVENT;
  const stringTag = isEvent ? TAG_2_LEN : TAG_3_LEN;
  const attributesTag = isEvent ? TAG_3_LEN : TAG_4_LEN;
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === stringTag) r.string(e);
    else if (t === attributesTag) {
      const end = r.delimited(e);
      validateKeyValue(r, r.pos, end, 5);
      r.pos = end;
    } else if (isEvent && t === TAG_1_FIXED64) r.fixed64(e);
    else if (isEvent && t === TAG_4_VARINT) r.varint(e);
    else if (!isEvent && (t === TAG_1_LEN || t === TAG_2_LEN)) r.pos = r.delimited(e);
    else if (!isEvent && t === TAG_5_VARINT) r.varint(e);
    else if (!isEvent && t === TAG_6_FIXED32) r.fixed32(e);
    else r.other(t, fields, e);
  }
}

/** The body and attributes of a log record rejected before conversion (message depth 3). */
function validateLogParts(r: WireReader, s: number, e: number): void {
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_5_LEN || t === TAG_6_LEN) {
      const end = r.delimited(e);
      if (t === TAG_5_LEN) validateAnyValue(r, r.pos, end, 4);
      else validateKeyValue(r, r.pos, end, 4);
      r.pos = end;
    } else r.skip(t & 7, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Resource and scope

interface ResourceInfo {
  json: string;
  service: string;
}

const NO_RESOURCE: ResourceInfo = { json: '{}', service: UNKNOWN_SERVICE };

/** The Resource at [s, e) (or merged from `ranges`; none when `s` < 0): attributes JSON and service. */
function resourceInfo(
  r: WireReader,
  s: number,
  e: number,
  ranges: number[] | null,
  path: string,
): ResourceInfo {
  if (s < 0) return NO_RESOURCE;
  const rr = ranges ? merged(r, ranges) : r;
  const o0 = op;
  const x0 = extra;
  captureService = true;
  serviceBuf = null;
  writeObject(rr, ranges ? 0 : s, ranges ? rr.buf.length : e, TAG_1_LEN, 0, path, S_RESOURCE);
  captureService = false;
  const json = takeSince(o0, x0);
  const service = serviceBuf ? utf8Slice(serviceBuf, serviceStart, serviceEnd) : UNKNOWN_SERVICE;
  serviceBuf = null;
  return { json, service };
}

/** What `readScope` found (merged over repeated scopes: last name / version wins). */
let scopeNameStart = -1;
let scopeNameEnd = -1;
let scopeVersionStart = -1;
let scopeVersionEnd = -1;
let scopeHasAttributes = false;

/** An InstrumentationScope (message depth 3): name and version noted, attributes only skipped here. */
function readScope(r: WireReader, s: number, e: number): void {
  r.pos = s;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      scopeNameStart = r.string(e);
      scopeNameEnd = r.pos;
    } else if (t === TAG_2_LEN) {
      scopeVersionStart = r.string(e);
      scopeVersionEnd = r.pos;
    } else if (t === TAG_3_LEN) {
      scopeHasAttributes = true;
      r.pos = r.delimited(e);
    } else r.other(t, S_SCOPE, e);
  }
}

/** The scope at [s, e) (or merged from `ranges`; none when `s` < 0): its name, version and attributes JSON. */
function scopeInfo(
  r: WireReader,
  s: number,
  e: number,
  ranges: number[] | null,
  path: string,
): { name: string; version: string; attributes: string } {
  if (s < 0) return { name: '', version: '', attributes: '{}' };
  const sr = ranges ? merged(r, ranges) : r;
  const from = ranges ? 0 : s;
  const to = ranges ? sr.buf.length : e;
  scopeNameStart = -1;
  scopeVersionStart = -1;
  scopeHasAttributes = false;
  readScope(sr, from, to);
  let attributes = '{}';
  if (scopeHasAttributes) {
    const o0 = op;
    const x0 = extra;
    writeObject(sr, from, to, TAG_3_LEN, 0, path, null); // other fields were checked by readScope
    attributes = takeSince(o0, x0);
  }
  return {
    name: scopeNameStart < 0 ? '' : utf8Slice(sr.buf, scopeNameStart, scopeNameEnd),
    version: scopeVersionStart < 0 ? '' : utf8Slice(sr.buf, scopeVersionStart, scopeVersionEnd),
    attributes,
  };
}

/**
 * Throws convert.ts's error for the first id (trace, span, parent span) whose length in bytes is
 * neither 0 (absent) nor 16 for a trace id, 8 for a span id; the ids are those of `${path}[${i}]`.
 */
function checkIdLengths(
  traceIdLength: number,
  spanIdLength: number,
  parentLength: number,
  path: string,
  i: number,
): void {
  if (traceIdLength !== 0 && traceIdLength !== 16)
    throw badIdLength(16, traceIdLength, `${path}[${i}].traceId`);
  if (spanIdLength !== 0 && spanIdLength !== 8) throw badIdLength(8, spanIdLength, `${path}[${i}].spanId`);
  if (parentLength !== 0 && parentLength !== 8)
    throw badIdLength(8, parentLength, `${path}[${i}].parentSpanId`);
}

function isZero(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The envelope, walked the same way for both signals: request → ResourceSpans / ResourceLogs →
// ScopeSpans / ScopeLogs → spans / log records, with the totals and the `Converted` around them.

interface Totals {
  rejections: Rejections;
  bytes: number;
  items: number;
}

/** What the items of one ScopeSpans / ScopeLogs share. */
interface ItemContext {
  /** Their path in errors, without the index: `resourceSpans[0].scopeSpans[1].spans`. */
  path: string;
  res: ResourceInfo;
  scopeName: string;
  envelope: EnvelopeColumns;
  /** convert.ts's path for errors in their attributes: `resourceSpans[0].scopeSpans[].spans[].attributes`. */
  attrPath: string;
}

/** What differs between the signals' walks. */
interface Signal<Row, T extends Totals> {
  /** The request's message name, for errors. */
  request: string;
  /** The envelope's field names, for paths in errors: `resourceSpans`, `scopeSpans`, `spans`. */
  resources: string;
  scopes: string;
  items: string;
  /** What the items are called in the rejections' message. */
  noun: string;
  /** Decodes item `k` at [s, e): its row, or null when it is rejected (counted in `totals`). */
  item: (r: WireReader, s: number, e: number, ctx: ItemContext, k: number, totals: T) => Row | null;
  /** Marks (`rowMarks`) per row. */
  marks: number;
  /** Fills in the string columns of a row (its marks from `m`) from the request's text; returns its approxBytes. */
  fill: (row: Row, text: string, m: number) => number;
  batch: (rows: Row[], approxBytes: number) => RowBatch;
}

function rowsFromProtobuf<Row, T extends Totals>(
  buf: Uint8Array,
  signal: Signal<Row, T>,
  totals: T,
): Converted {
  const r = new WireReader(asBuffer(buf));
  const rows: Row[] = [];
  try {
    reset();
    const end = r.buf.length;
    let i = 0;
    while (r.pos < end) {
      const t = r.tag(end);
      if (t === TAG_1_LEN) {
        const e = r.delimited(end);
        resourceItems(r, r.pos, e, i++, signal, rows, totals);
        r.pos = e;
      } else r.other(t, S_REQUEST, end);
    }
    totals.bytes += finishRows(rows, signal);
  } catch (err) {
    throw asInvalid(err, signal.request);
  }
  return {
    batch: signal.batch(rows, totals.bytes),
    items: totals.items,
    rejected: totals.rejections.count,
    errorMessage: totals.rejections.message(signal.noun),
  };
}

/** Fills in the string columns of the rows from the request's text; returns their approxBytes. */
function finishRows<Row, T extends Totals>(rows: Row[], signal: Signal<Row, T>): number {
  const text = utf8Slice(out, 0, op);
  const fill = signal.fill;
  let bytes = 0;
  for (let i = 0, m = 0; i < rows.length; i++, m += signal.marks) bytes += fill(rows[i]!, text, m);
  return bytes;
}

/** Clears the module's state: before each request, and after one that failed. */
function reset(): void {
  op = 0;
  extra = 0;
  markTop = 0;
  kvTop = 0;
  captureService = false;
  serviceBuf = null;
  // After an unusually large request, give the memory back.
  if (out.length > OUT_KEEP) setOut(Buffer.allocUnsafe(OUT_INITIAL));
  if (marks.length > MARKS_KEEP) marks = new Int32Array(MARKS_INITIAL);
}

/** `err` as thrown by a decoder: a WireError becomes an OtlpInvalidError naming the request. */
function asInvalid(err: unknown, requestType: string): unknown {
  reset();
  if (err instanceof WireError) {
    return new OtlpInvalidError(`not a valid protobuf ${requestType} (${err.message})`, '');
  }
  return err;
}

/** Walks a ResourceSpans / ResourceLogs [s, e): where its resource(s) and first scope are. */
function containerFields(r: WireReader, s: number, e: number): void {
  firstStart = -1;
  firstEnd = -1;
  firstRanges = null;
  secondAt = -1;
  secondCount = 0;
  schemaUrlStart = -1;
  r.pos = s;
  while (r.pos < e) {
    const at = r.pos;
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      const end = r.delimited(e);
      if (firstStart < 0) {
        firstStart = r.pos;
        firstEnd = end;
      } else firstRanges = withRange(firstRanges, firstStart, firstEnd, r.pos, end);
      r.pos = end;
    } else if (t === TAG_2_LEN) {
      if (secondAt < 0) secondAt = at;
      secondCount++;
      r.pos = r.delimited(e);
    } else if (t === TAG_3_LEN) {
      schemaUrlStart = r.string(e);
      schemaUrlEnd = r.pos;
    } else r.other(t, S_CONTAINER, e);
  }
}

/**
 * Result of `containerFields`: field 1 (resource or scope) range(s), position and count of field 2,
 * field 3 (schema_url; the last one wins).
 */
let firstStart = -1;
let firstEnd = -1;
let firstRanges: number[] | null = null;
let secondAt = -1;
let secondCount = 0;
let schemaUrlStart = -1;
let schemaUrlEnd = -1;

const schemaUrl = (r: WireReader): string =>
  schemaUrlStart < 0 ? '' : utf8Slice(r.buf, schemaUrlStart, schemaUrlEnd);

/** The `i`th ResourceSpans / ResourceLogs, at [s, e). */
function resourceItems<Row, T extends Totals>(
  r: WireReader,
  s: number,
  e: number,
  i: number,
  signal: Signal<Row, T>,
  rows: Row[],
  totals: T,
): void {
  containerFields(r, s, e);
  const scopesAt = secondAt;
  const base = `${signal.resources}[${i}]`;
  const resourceSchemaUrl = schemaUrl(r);
  const res = resourceInfo(r, firstStart, firstEnd, firstRanges, `${base}.resource.attributes`);
  totals.bytes += res.json.length;
  if (scopesAt < 0) return;
  const attrPath = `${base}.${signal.scopes}[].${signal.items}[].attributes`;
  let j = 0;
  r.pos = scopesAt;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_2_LEN) {
      const end = r.delimited(e);
      scopeItems(r, r.pos, end, base, j++, res, resourceSchemaUrl, attrPath, signal, rows, totals);
      r.pos = end;
    } else r.skip(t & 7, e);
  }
}

/** The `j`th ScopeSpans / ScopeLogs of the resource at `base`, at [s, e). */
function scopeItems<Row, T extends Totals>(
  r: WireReader,
  s: number,
  e: number,
  base: string,
  j: number,
  res: ResourceInfo,
  resourceSchemaUrl: string,
  attrPath: string,
  signal: Signal<Row, T>,
  rows: Row[],
  totals: T,
): void {
  // ScopeSpans / ScopeLogs have the fields of ResourceSpans / ResourceLogs: scope, items, schema_url.
  containerFields(r, s, e);
  const itemsAt = secondAt;
  const scopePath = `${base}.${signal.scopes}[${j}]`;
  const scopeSchemaUrl = schemaUrl(r);
  const scope = scopeInfo(r, firstStart, firstEnd, firstRanges, `${scopePath}.scope.attributes`);
  totals.items += secondCount;
  if (itemsAt < 0) return;
  const ctx: ItemContext = {
    path: `${scopePath}.${signal.items}`,
    res,
    scopeName: scope.name,
    envelope: {
      scopeVersion: scope.version,
      scopeAttributes: scope.attributes,
      scopeSchemaUrl,
      resourceSchemaUrl,
    },
    attrPath,
  };
  const item = signal.item;
  let k = 0;
  r.pos = itemsAt;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t === TAG_2_LEN) {
      const end = r.delimited(e);
      const row = item(r, r.pos, end, ctx, k++, totals);
      if (row) rows.push(row);
      r.pos = end;
    } else r.skip(t & 7, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Traces

const TRACES: Signal<SpanRow, Totals> = {
  request: 'ExportTraceServiceRequest',
  resources: 'resourceSpans',
  scopes: 'scopeSpans',
  items: 'spans',
  noun: 'spans',
  item: span,
  marks: SPAN_MARKS,
  fill: fillSpan,
  batch: (spans, approxBytes) => ({ spans, logs: [], metricPoints: [], approxBytes }),
};

/** Rows of an OTLP ExportTraceServiceRequest in protobuf; see the module comment. */
export function traceRowsFromProtobuf(buf: Uint8Array): Converted {
  return rowsFromProtobuf(buf, TRACES, { rejections: new Rejections(), bytes: 0, items: 0 });
}

function span(
  r: WireReader,
  s: number,
  e: number,
  ctx: ItemContext,
  k: number,
  totals: Totals,
): SpanRow | null {
  const buf = r.buf;
  let traceIdStart = 0;
  let traceIdEnd = 0;
  let spanIdStart = 0;
  let spanIdEnd = 0;
  let parentStart = 0;
  let parentEnd = 0;
  let traceStateStart = 0;
  let traceStateEnd = 0;
  let nameStart = 0;
  let nameEnd = 0;
  let kind = 0;
  let startAt = -1;
  let endAt = -1;
  let attributesAt = -1;
  let eventsAt = -1;
  let linksAt = -1;
  let statusCode = 0;
  let messageStart = 0;
  let messageEnd = 0;
  let flags = 0;
  let droppedAttributes = 0;
  let droppedEvents = 0;
  let droppedLinks = 0;
  r.pos = s;
  while (r.pos < e) {
    const at = r.pos;
    const t = r.tag(e);
    switch (t) {
      case TAG_1_LEN:
        traceIdStart = r.bytes(e);
        traceIdEnd = r.pos;
        break;
      case TAG_2_LEN:
        spanIdStart = r.bytes(e);
        spanIdEnd = r.pos;
        break;
      case TAG_3_LEN:
        traceStateStart = r.string(e);
        traceStateEnd = r.pos;
        break;
      case TAG_4_LEN:
        parentStart = r.bytes(e);
        parentEnd = r.pos;
        break;
      case TAG_5_LEN:
        nameStart = r.string(e);
        nameEnd = r.pos;
        break;
      case TAG_SPAN_KIND:
        kind = r.varint(e) | 0;
        break;
      case TAG_SPAN_START:
        startAt = r.fixed64(e);
        break;
      case TAG_SPAN_END:
        endAt = r.fixed64(e);
        break;
      case TAG_SPAN_ATTRIBUTES:
        if (attributesAt < 0) attributesAt = at;
        r.pos = r.delimited(e);
        break;
      case TAG_SPAN_EVENTS:
        if (eventsAt < 0) eventsAt = at;
        r.pos = r.delimited(e);
        break;
      case TAG_SPAN_LINKS:
        if (linksAt < 0) linksAt = at;
        r.pos = r.delimited(e);
        break;
      case TAG_SPAN_STATUS: {
        // Status (merged when repeated: the last message and code win).
        const end = r.delimited(e);
        while (r.pos < end) {
          const st = r.tag(end);
          if (st === TAG_2_LEN) {
            messageStart = r.string(end);
            messageEnd = r.pos;
          } else if (st === TAG_3_VARINT) statusCode = r.varint(end) | 0;
          else r.other(st, S_STATUS, end);
        }
        break;
      }
      case TAG_SPAN_DROPPED_ATTRIBUTES:
        droppedAttributes = r.varint(e);
        break;
      case TAG_SPAN_DROPPED_EVENTS:
        droppedEvents = r.varint(e);
        break;
      case TAG_SPAN_DROPPED_LINKS:
        droppedLinks = r.varint(e);
        break;
      case TAG_SPAN_FLAGS:
        flags = r.fixed32(e);
        break;
      default:
        r.other(t, S_SPAN, e);
    }
  }

  const traceIdLength = traceIdEnd - traceIdStart;
  const spanIdLength = spanIdEnd - spanIdStart;
  const parentLength = parentEnd - parentStart;
  checkIdLengths(traceIdLength, spanIdLength, parentLength, ctx.path, k);
  let rejected: string | null = null;
  if (traceIdLength === 0 || isZero(buf, traceIdStart, traceIdEnd)) rejected = REJECT.emptyTraceId;
  else if (spanIdLength === 0 || isZero(buf, spanIdStart, spanIdEnd)) rejected = REJECT.emptySpanId;
  else if (kind < 0 || kind > 5) rejected = REJECT.unknownKind(kind);
  else if (statusCode < 0 || statusCode > 2) rejected = REJECT.unknownStatusCode(statusCode);
  else if ((startAt >= 0 && buf[startAt + 7]! >= 0x80) || (endAt >= 0 && buf[endAt + 7]! >= 0x80)) {
    rejected = REJECT.spanTimestamp;
  }
  if (rejected !== null) {
    totals.rejections.add(rejected);
    validateSpanParts(r, s, e);
    return null;
  }

  const m = rowMarks(SPAN_MARKS);
  writeColumn(m + M_TRACE_STATE, r, traceStateStart, traceStateEnd);
  writeColumn(m + M_NAME, r, nameStart, nameEnd);
  writeColumn(m + M_STATUS_MESSAGE, r, messageStart, messageEnd);
  marks[m + M_ATTRIBUTES] = -1;
  if (attributesAt >= 0) {
    marks[m + M_ATTRIBUTES] = op - extra;
    writeObject(r, attributesAt, e, TAG_SPAN_ATTRIBUTES, 0, ctx.attrPath, null);
    marks[m + M_ATTRIBUTES + 1] = op - extra;
  }
  marks[m + M_EVENTS] = -1;
  if (eventsAt >= 0) {
    marks[m + M_EVENTS] = op - extra;
    writeList(r, eventsAt, e, TAG_SPAN_EVENTS, ctx.attrPath, writeEvent);
    marks[m + M_EVENTS + 1] = op - extra;
  }
  marks[m + M_LINKS] = -1;
  if (linksAt >= 0) {
    marks[m + M_LINKS] = op - extra;
    writeList(r, linksAt, e, TAG_SPAN_LINKS, `${ctx.path}[${k}]`, writeLink);
    marks[m + M_LINKS + 1] = op - extra;
  }
  const startNs = startAt >= 0 ? r.uint64At(startAt) : 0n;
  const endNs = endAt >= 0 ? r.uint64At(endAt) : 0n;
  // String columns are filled in by `fillSpan`.
  return {
    traceId: hexSlice(buf, traceIdStart, traceIdEnd),
    spanId: hexSlice(buf, spanIdStart, spanIdEnd),
    parentSpanId: parentLength === 0 ? '' : hexSlice(buf, parentStart, parentEnd),
    traceState: '',
    name: '',
    kind,
    service: ctx.res.service,
    startNs,
    endNs,
    durationNs: endNs - startNs,
    statusCode,
    statusMessage: '',
    attributes: '',
    resource: ctx.res.json,
    scopeName: ctx.scopeName,
    events: '',
    links: '',
    scopeVersion: ctx.envelope.scopeVersion,
    scopeAttributes: ctx.envelope.scopeAttributes,
    scopeSchemaUrl: ctx.envelope.scopeSchemaUrl,
    resourceSchemaUrl: ctx.envelope.resourceSchemaUrl,
    flags,
    droppedAttributesCount: droppedAttributes,
    droppedEventsCount: droppedEvents,
    droppedLinksCount: droppedLinks,
  };
}

/** Fills in the string columns of a span row; see `Signal.fill`. */
function fillSpan(row: SpanRow, text: string, m: number): number {
  row.traceState = column(text, m + M_TRACE_STATE, '');
  row.name = column(text, m + M_NAME, '');
  row.statusMessage = column(text, m + M_STATUS_MESSAGE, '');
  row.attributes = column(text, m + M_ATTRIBUTES, '{}');
  row.events = column(text, m + M_EVENTS, '[]');
  row.links = column(text, m + M_LINKS, '[]');
  return spanRowBytes(row);
}

/**
 * Writes the span's fields `tag` from `from` (its events or links) as a JSON array: each by
 * `write`, given `path` and its index (convert.ts's eventsJson / linksJson text).
 */
function writeList(
  r: WireReader,
  from: number,
  e: number,
  tag: number,
  path: string,
  write: (r: WireReader, s: number, e: number, path: string, i: number) => void,
): void {
  putByte(0x5b); // [
  let i = 0;
  r.pos = from;
  while (r.pos < e) {
    const t = r.tag(e);
    if (t !== tag) {
      r.skip(t & 7, e);
      continue;
    }
    const end = r.delimited(e);
    if (i > 0) putByte(COMMA);
    write(r, r.pos, end, path, i++);
    r.pos = end;
  }
  putByte(0x5d); // ]
}

/** A `,"member":n` of an event or link, only when `n` is not 0 (convert.ts's droppedJson / link flags). */
function writeCount(member: Uint8Array, n: number): void {
  if (n === 0) return;
  putBytes(member);
  writeUint(n);
}

/** An Event; `path` is its span's attribute path (convert.ts's, for errors in its attributes). */
function writeEvent(r: WireReader, s: number, e: number, path: string): void {
  let timeAt = -1;
  let nameStart = 0;
  let nameEnd = 0;
  let attributesAt = -1;
  let dropped = 0;
  r.pos = s;
  while (r.pos < e) {
    const at = r.pos;
    const t = r.tag(e);
    if (t === TAG_1_FIXED64) timeAt = r.fixed64(e);
    else if (t === TAG_4_VARINT) dropped = r.varint(e);
    else if (t === TAG_2_LEN) {
      nameStart = r.string(e);
      nameEnd = r.pos;
    } else if (t === TAG_3_LEN) {
      if (attributesAt < 0) attributesAt = at;
      r.pos = r.delimited(e);
    } else r.other(t, S_EVENT, e);
  }
  putBytes(EVENT_NAME);
  writeJsonString(r, nameStart, nameEnd);
  putBytes(EVENT_TIME);
  writeUint64At(r, timeAt);
  putBytes(EVENT_ATTRIBUTES);
  if (attributesAt >= 0) writeObject(r, attributesAt, e, TAG_3_LEN, 0, path, null);
  else putBytes(EMPTY_OBJECT);
  writeCount(DROPPED_ATTRIBUTES, dropped);
  putByte(0x7d); // }
}

/** The `l`th Link of the span at `at`. */
function writeLink(r: WireReader, s: number, e: number, at: string, l: number): void {
  let traceIdStart = 0;
  let traceIdEnd = 0;
  let spanIdStart = 0;
  let spanIdEnd = 0;
  let stateStart = 0;
  let stateEnd = 0;
  let attributesAt = -1;
  let dropped = 0;
  let flags = 0;
  r.pos = s;
  while (r.pos < e) {
    const fieldAt = r.pos;
    const t = r.tag(e);
    if (t === TAG_1_LEN) {
      traceIdStart = r.bytes(e);
      traceIdEnd = r.pos;
    } else if (t === TAG_2_LEN) {
      spanIdStart = r.bytes(e);
      spanIdEnd = r.pos;
    } else if (t === TAG_3_LEN) {
      stateStart = r.string(e);
      stateEnd = r.pos;
    } else if (t === TAG_4_LEN) {
      if (attributesAt < 0) attributesAt = fieldAt;
      r.pos = r.delimited(e);
    } else if (t === TAG_5_VARINT) dropped = r.varint(e);
    else if (t === TAG_6_FIXED32) flags = r.fixed32(e);
    else r.other(t, S_LINK, e);
  }
  const traceIdLength = traceIdEnd - traceIdStart;
  const spanIdLength = spanIdEnd - spanIdStart;
  checkIdLengths(traceIdLength, spanIdLength, 0, `${at}.links`, l);
  putBytes(LINK_TRACE_ID);
  writeHex(r.buf, traceIdStart, traceIdEnd);
  putBytes(LINK_SPAN_ID);
  writeHex(r.buf, spanIdStart, spanIdEnd);
  putBytes(LINK_TRACE_STATE);
  writeJsonString(r, stateStart, stateEnd);
  putBytes(LINK_ATTRIBUTES);
  if (attributesAt >= 0) writeObject(r, attributesAt, e, TAG_4_LEN, 0, at, null);
  else putBytes(EMPTY_OBJECT);
  writeCount(DROPPED_ATTRIBUTES, dropped);
  writeCount(LINK_FLAGS, flags);
  putByte(0x7d); // }
}

// ---------------------------------------------------------------------------------------------
// Logs

interface LogTotals extends Totals {
  nowNs: () => bigint;
  /** The receiver's time, read at most once per request (lazily, as convert.ts does). */
  received: bigint | undefined;
}

const LOGS: Signal<LogRow, LogTotals> = {
  request: 'ExportLogsServiceRequest',
  resources: 'resourceLogs',
  scopes: 'scopeLogs',
  items: 'logRecords',
  noun: 'log records',
  item: logRecord,
  marks: LOG_MARKS,
  fill: fillLog,
  batch: (logs, approxBytes) => ({ spans: [], logs, metricPoints: [], approxBytes }),
};

/** Rows of an OTLP ExportLogsServiceRequest in protobuf; see the module comment. */
export function logRowsFromProtobuf(buf: Uint8Array, nowNs: () => bigint = defaultNowNs): Converted {
  const totals: LogTotals = { rejections: new Rejections(), bytes: 0, items: 0, nowNs, received: undefined };
  return rowsFromProtobuf(buf, LOGS, totals);
}

function logRecord(
  r: WireReader,
  s: number,
  e: number,
  ctx: ItemContext,
  k: number,
  totals: LogTotals,
): LogRow | null {
  const buf = r.buf;
  let timeAt = -1;
  let observedAt = -1;
  let severityNumber = 0;
  let severityTextStart = 0;
  let severityTextEnd = 0;
  let bodyStart = -1;
  let bodyEnd = -1;
  let bodyRanges: number[] | null = null;
  let attributesAt = -1;
  let traceIdStart = 0;
  let traceIdEnd = 0;
  let spanIdStart = 0;
  let spanIdEnd = 0;
  let eventNameStart = 0;
  let eventNameEnd = 0;
  let flags = 0;
  let droppedAttributes = 0;
  r.pos = s;
  while (r.pos < e) {
    const at = r.pos;
    const t = r.tag(e);
    switch (t) {
      case TAG_1_FIXED64:
        timeAt = r.fixed64(e);
        break;
      case TAG_LOG_OBSERVED:
        observedAt = r.fixed64(e);
        break;
      case TAG_2_VARINT:
        severityNumber = r.varint(e) | 0;
        break;
      case TAG_3_LEN:
        severityTextStart = r.string(e);
        severityTextEnd = r.pos;
        break;
      case TAG_5_LEN: {
        const end = r.delimited(e);
        if (bodyStart < 0) {
          bodyStart = r.pos;
          bodyEnd = end;
        } else bodyRanges = withRange(bodyRanges, bodyStart, bodyEnd, r.pos, end);
        r.pos = end;
        break;
      }
      case TAG_6_LEN:
        if (attributesAt < 0) attributesAt = at;
        r.pos = r.delimited(e);
        break;
      case TAG_LOG_TRACE_ID:
        traceIdStart = r.bytes(e);
        traceIdEnd = r.pos;
        break;
      case TAG_LOG_SPAN_ID:
        spanIdStart = r.bytes(e);
        spanIdEnd = r.pos;
        break;
      case TAG_LOG_EVENT_NAME:
        eventNameStart = r.string(e);
        eventNameEnd = r.pos;
        break;
      case TAG_LOG_DROPPED_ATTRIBUTES:
        droppedAttributes = r.varint(e);
        break;
      case TAG_LOG_FLAGS:
        flags = r.fixed32(e);
        break;
      default:
        r.other(t, S_LOG, e);
    }
  }

  const traceIdLength = traceIdEnd - traceIdStart;
  const spanIdLength = spanIdEnd - spanIdStart;
  checkIdLengths(traceIdLength, spanIdLength, 0, ctx.path, k);
  let rejected: string | null = null;
  if (severityNumber < 0 || severityNumber > 24) rejected = REJECT.severity(severityNumber);
  else if ((timeAt >= 0 && buf[timeAt + 7]! >= 0x80) || (observedAt >= 0 && buf[observedAt + 7]! >= 0x80)) {
    rejected = REJECT.logTimestamp;
  }
  if (rejected !== null) {
    totals.rejections.add(rejected);
    validateLogParts(r, s, e);
    return null;
  }

  const time = timeAt >= 0 ? r.uint64At(timeAt) : 0n;
  const observed = observedAt >= 0 ? r.uint64At(observedAt) : 0n;
  // Per the logs data model: no observed time → the receiver's; no event time → observed.
  totals.received ??= totals.nowNs();
  const observedNs = observed === 0n ? totals.received : observed;

  const m = rowMarks(LOG_MARKS);
  marks[m + M_BODY] = -1;
  if (bodyStart >= 0) {
    const br = bodyRanges ? merged(r, bodyRanges) : r;
    const member = scanAnyValue(br, bodyRanges ? 0 : bodyStart, bodyRanges ? br.buf.length : bodyEnd, 0);
    marks[m + M_BODY] = op - extra;
    if (member === AV_STRING) writeRaw(br, avStart, avEnd);
    else writeMember(br, member, 0, `${ctx.path}[${k}].body`);
    marks[m + M_BODY + 1] = op - extra;
  }
  marks[m + M_LOG_ATTRIBUTES] = -1;
  if (attributesAt >= 0) {
    marks[m + M_LOG_ATTRIBUTES] = op - extra;
    writeObject(r, attributesAt, e, TAG_6_LEN, 0, ctx.attrPath, null);
    marks[m + M_LOG_ATTRIBUTES + 1] = op - extra;
  }
  writeColumn(m + M_SEVERITY_TEXT, r, severityTextStart, severityTextEnd);
  writeColumn(m + M_EVENT_NAME, r, eventNameStart, eventNameEnd);
  // String columns are filled in by `fillLog`.
  return {
    timeNs: time === 0n ? observedNs : time,
    observedNs,
    severityNumber,
    severityText: '',
    body: '',
    service: ctx.res.service,
    traceId:
      traceIdLength === 0 || isZero(buf, traceIdStart, traceIdEnd)
        ? ''
        : hexSlice(buf, traceIdStart, traceIdEnd),
    spanId:
      spanIdLength === 0 || isZero(buf, spanIdStart, spanIdEnd) ? '' : hexSlice(buf, spanIdStart, spanIdEnd),
    attributes: '',
    resource: ctx.res.json,
    scopeName: ctx.scopeName,
    eventName: '',
    scopeVersion: ctx.envelope.scopeVersion,
    scopeAttributes: ctx.envelope.scopeAttributes,
    scopeSchemaUrl: ctx.envelope.scopeSchemaUrl,
    resourceSchemaUrl: ctx.envelope.resourceSchemaUrl,
    flags,
    droppedAttributesCount: droppedAttributes,
  };
}

/** Fills in the string columns of a log row; see `Signal.fill`. */
function fillLog(row: LogRow, text: string, m: number): number {
  row.severityText = column(text, m + M_SEVERITY_TEXT, '');
  row.body = column(text, m + M_BODY, '');
  row.attributes = column(text, m + M_LOG_ATTRIBUTES, '{}');
  row.eventName = column(text, m + M_EVENT_NAME, '');
  return logRowBytes(row);
}

import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Converted, convertLogs, convertTraces, OtlpInvalidError } from './convert.js';
import { decodeLogsRequest, decodeTraceRequest, encodeExportRequest } from './proto.js';
import { isValidUtf8 } from './proto-reader.js';
import { logRowsFromProtobuf, plainAscii4, traceRowsFromProtobuf } from './proto-rows.js';

/*
 * The fused decoder against the reference (protobufjs decode + convert.ts), on generated
 * requests, malformed ones and hand-encoded wire-format corner cases.
 */

const NOW = 1_700_000_000_123_456_789n;
const now = () => NOW;

const refTraces = (b: Uint8Array) => convertTraces(decodeTraceRequest(b));
const refLogs = (b: Uint8Array) => convertLogs(decodeLogsRequest(b), now);
const newLogs = (b: Uint8Array) => logRowsFromProtobuf(b, now);

type Outcome = { ok: Converted } | { error: { name: string; message: string; field?: string } };

function outcome(fn: () => Converted): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    const e = err as Error & { field?: string };
    return { error: { name: e.name, message: e.message, field: e.field } };
  }
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}
type Rng = ReturnType<typeof prng>;

// ---------------------------------------------------------------------------------------------
// Generators (protobufjs object form for encodeExportRequest)

const SERVICES = ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment'];
const STRINGS = [
  '',
  'ok',
  'GET /api/orders/:id',
  'héllo wörld',
  '日本語のテキスト',
  'astral 🎉🚀 𝄞',
  'quote " and backslash \\ and slash /',
  'controls \u0000\u0001\u0008\u000b\u001f\u007f',
  'whitespace \n\r\t\b\f',
  'separators \u2028\u2029',
  '\ufeffBOM first',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  'x'.repeat(300),
  'mixed é\n"🎉"\\\u0000',
];
const KEYS = [
  'http.request.method',
  'http.route',
  'url.path',
  'server.port',
  'db.query.text',
  'service.name',
  'k',
  '',
  'ключ',
  'key "quoted"',
  '__proto__',
];
const INTS = [
  '0',
  '1',
  '-1',
  '42',
  '-2147483648',
  '2147483647',
  '4294967296',
  '9007199254740991',
  '-9007199254740991',
  '9007199254740992',
  '-9007199254740992',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
  '123456789012345678',
];
const DOUBLES = [0, -0, 0.1, -2.5, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 3];

function str(rng: Rng): string {
  if (rng.chance(0.7)) return rng.pick(STRINGS);
  return rng.pick(STRINGS) + rng.pick(STRINGS);
}

function anyValue(rng: Rng, depth: number): Record<string, unknown> {
  const kind = rng.int(depth > 2 ? 5 : 9);
  switch (kind) {
    case 0:
      return { stringValue: str(rng) };
    case 1:
      return { intValue: rng.chance(0.5) ? String(rng.int(100_000)) : rng.pick(INTS) };
    case 2:
      return { boolValue: rng.chance(0.5) };
    case 3:
      return { doubleValue: rng.chance(0.3) ? rng.next() * 1e6 : rng.pick(DOUBLES) };
    case 4:
      return rng.chance(0.5) ? { bytesValue: rng.bytes(rng.int(12)) } : {};
    case 5:
    case 6:
      return { arrayValue: { values: Array.from({ length: rng.int(4) }, () => anyValue(rng, depth + 1)) } };
    default:
      return { kvlistValue: { values: keyValues(rng, rng.int(4), depth + 1) } };
  }
}

function keyValues(rng: Rng, n: number, depth = 0): Record<string, unknown>[] {
  const kvs: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.15) ? rng.pick(KEYS) : `attr.${rng.int(n * 3)}.${rng.pick(['a', 'b', 'é'])}`;
    kvs.push(rng.chance(0.03) ? { key } : { key, value: anyValue(rng, depth) });
  }
  if (n > 1 && rng.chance(0.1)) kvs.push({ ...kvs[rng.int(kvs.length)]!, value: anyValue(rng, depth) });
  return kvs;
}

function id(rng: Rng, n: number, zero = 0.04): Buffer {
  const r = rng.next();
  if (r < zero) return Buffer.alloc(0);
  if (r < 2 * zero) return Buffer.alloc(n);
  return rng.bytes(n);
}

const T0 = 1_800_000_000_000_000_000n;

function time(rng: Rng): string | undefined {
  const r = rng.next();
  if (r < 0.03) return undefined;
  if (r < 0.05) return '0';
  if (r < 0.07) return rng.pick(['18446744073709551615', '9223372036854775808', '9223372036854775807']);
  return String(T0 + BigInt(rng.int(1e9)));
}

function resource(rng: Rng): Record<string, unknown> | undefined {
  if (rng.chance(0.1)) return undefined;
  const attributes = keyValues(rng, rng.int(5));
  const r = rng.next();
  if (r < 0.6) attributes.unshift({ key: 'service.name', value: { stringValue: rng.pick(SERVICES) } });
  else if (r < 0.7) attributes.push({ key: 'service.name', value: { stringValue: '' } });
  else if (r < 0.8) attributes.push({ key: 'service.name', value: { intValue: '7' } });
  else if (r < 0.9) {
    attributes.push({ key: 'service.name', value: { stringValue: 'first' } });
    attributes.push({ key: 'service.name', value: { stringValue: str(rng) } });
  }
  return { attributes };
}

function scope(rng: Rng): Record<string, unknown> | undefined {
  if (rng.chance(0.15)) return undefined;
  return {
    name: rng.chance(0.8) ? '@opentelemetry/instrumentation-http' : str(rng),
    version: rng.chance(0.5) ? '0.57.0' : '',
    attributes: rng.chance(0.2) ? keyValues(rng, 2) : [],
  };
}

const SCHEMA_URLS = ['https://opentelemetry.io/schemas/1.26.0', 'https://example.com/schemas/é'];
const schemaUrl = (rng: Rng) => (rng.chance(0.3) ? rng.pick(SCHEMA_URLS) : undefined);
/** A uint32 count or flags value, often 0 (absent), sometimes beyond int32. */
const uint32 = (rng: Rng) => (rng.chance(0.6) ? 0 : rng.pick([1, 3, 0x100, 0x301, 2 ** 31, 2 ** 32 - 1]));

function spanObject(rng: Rng): Record<string, unknown> {
  const s: Record<string, unknown> = {
    traceId: id(rng, 16),
    spanId: id(rng, 8),
    parentSpanId: rng.chance(0.3) ? Buffer.alloc(0) : id(rng, 8, 0.02),
    name: rng.chance(0.7) ? `GET /api/${rng.pick(SERVICES)}` : str(rng),
    kind: rng.chance(0.95) ? rng.int(6) : rng.pick([-1, 6, 7, 100]),
    startTimeUnixNano: time(rng),
    endTimeUnixNano: time(rng),
    attributes: keyValues(rng, 8 + rng.int(5)),
  };
  if (rng.chance(0.2)) s.traceState = rng.chance(0.5) ? 'vendor=abc,other=1' : str(rng);
  s.flags = uint32(rng);
  s.droppedAttributesCount = uint32(rng);
  s.droppedEventsCount = uint32(rng);
  s.droppedLinksCount = uint32(rng);
  const st = rng.next();
  if (st < 0.6) s.status = { code: rng.int(3), message: rng.chance(0.3) ? str(rng) : '' };
  else if (st < 0.65) s.status = { code: rng.pick([-1, 3, 9]) };
  if (rng.chance(0.2)) {
    s.events = Array.from({ length: 1 + rng.int(3) }, () => ({
      name: rng.chance(0.7) ? 'exception' : str(rng),
      timeUnixNano: rng.chance(0.1) ? '18446744073709551615' : time(rng),
      attributes: keyValues(rng, rng.int(4)),
      droppedAttributesCount: uint32(rng),
    }));
  }
  if (rng.chance(0.15)) {
    s.links = Array.from({ length: 1 + rng.int(2) }, () => ({
      traceId: id(rng, 16, 0.1),
      spanId: id(rng, 8, 0.1),
      traceState: rng.chance(0.3) ? str(rng) : '',
      attributes: keyValues(rng, rng.int(3)),
      droppedAttributesCount: uint32(rng),
      flags: uint32(rng),
    }));
  }
  return s;
}

function traceRequest(rng: Rng): Record<string, unknown> {
  return {
    resourceSpans: Array.from({ length: 1 + rng.int(3) }, () => ({
      resource: resource(rng),
      schemaUrl: schemaUrl(rng),
      scopeSpans: Array.from({ length: rng.int(4) }, () => ({
        scope: scope(rng),
        schemaUrl: schemaUrl(rng),
        spans: Array.from({ length: rng.int(6) }, () => spanObject(rng)),
      })),
    })),
  };
}

function logObject(rng: Rng): Record<string, unknown> {
  const r: Record<string, unknown> = {
    timeUnixNano: time(rng),
    observedTimeUnixNano: rng.chance(0.3) ? undefined : time(rng),
    severityNumber: rng.chance(0.9) ? rng.int(25) : rng.pick([-1, 25, 100, -2147483648]),
    severityText: rng.chance(0.8) ? rng.pick(['INFO', 'WARN', 'ERROR', '']) : str(rng),
    attributes: keyValues(rng, rng.int(8)),
    traceId: rng.chance(0.2) ? Buffer.alloc(0) : id(rng, 16, 0.1),
    spanId: rng.chance(0.2) ? Buffer.alloc(0) : id(rng, 8, 0.1),
  };
  const b = rng.next();
  if (b < 0.5) r.body = { stringValue: str(rng) };
  else if (b < 0.9) r.body = anyValue(rng, 0);
  else if (b < 0.95) r.body = {};
  if (rng.chance(0.2)) r.eventName = rng.chance(0.5) ? 'order.created' : str(rng);
  r.flags = uint32(rng);
  r.droppedAttributesCount = uint32(rng);
  return r;
}

function logsRequest(rng: Rng): Record<string, unknown> {
  return {
    resourceLogs: Array.from({ length: 1 + rng.int(3) }, () => ({
      resource: resource(rng),
      schemaUrl: schemaUrl(rng),
      scopeLogs: Array.from({ length: rng.int(4) }, () => ({
        scope: scope(rng),
        schemaUrl: schemaUrl(rng),
        logRecords: Array.from({ length: rng.int(6) }, () => logObject(rng)),
      })),
    })),
  };
}

/** The benchmark's shape: 512 spans over 7 services, 8-10 attributes, an error with an event. */
function realisticTraces(rng: Rng): Uint8Array {
  const byService = new Map<string, Record<string, unknown>[]>();
  for (let i = 0; i < 512; i++) {
    const service = SERVICES[i % 7]!;
    const attributes = [
      { key: 'http.request.method', value: { stringValue: rng.pick(['GET', 'POST']) } },
      { key: 'http.route', value: { stringValue: '/api/orders/:id' } },
      { key: 'url.path', value: { stringValue: `/api/orders/${i}` } },
      { key: 'http.response.status_code', value: { intValue: 200 } },
      { key: 'server.address', value: { stringValue: 'localhost' } },
      { key: 'server.port', value: { intValue: 8080 } },
      { key: 'network.protocol.version', value: { stringValue: '1.1' } },
      { key: 'glassbox.tenant_id', value: { stringValue: `tenant-${i % 5}` } },
    ];
    const list = byService.get(service) ?? [];
    list.push({
      traceId: rng.bytes(16),
      spanId: rng.bytes(8),
      parentSpanId: i % 10 === 0 ? Buffer.alloc(0) : rng.bytes(8),
      name: `GET /api/orders/:id`,
      kind: 2,
      startTimeUnixNano: String(T0 + BigInt(i) * 1000n),
      endTimeUnixNano: String(T0 + BigInt(i) * 1000n + 500n),
      attributes,
      status: i % 20 === 0 ? { code: 2, message: 'insufficient stock' } : { code: 0 },
      events:
        i % 20 === 0 ? [{ name: 'exception', timeUnixNano: String(T0), attributes: [attributes[0]!] }] : [],
    });
    byService.set(service, list);
  }
  return encodeExportRequest('traces', {
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' }, spans }],
    })),
  });
}

// ---------------------------------------------------------------------------------------------
// A small protobuf encoder for hand-made messages

function varintBytes(v: bigint): number[] {
  let x = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}
const cat = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const tag = (field: number, wt: number) => varintBytes(BigInt(field * 8 + wt));
const fVarint = (field: number, v: bigint | number) => cat(tag(field, 0), varintBytes(BigInt(v)));
const fFixed64 = (field: number, v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return cat(tag(field, 1), b);
};
const fFixed32 = (field: number, v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return cat(tag(field, 5), b);
};
const fDouble = (field: number, v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return cat(tag(field, 1), b);
};
const fLen = (field: number, ...content: (Uint8Array | number[])[]) => {
  const c = cat(...content);
  return cat(tag(field, 2), varintBytes(BigInt(c.length)), c);
};
const fStr = (field: number, s: string) => fLen(field, Buffer.from(s, 'utf8'));

const TRACE_ID = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
const SPAN_ID = Buffer.from('1112131415161718', 'hex');

/** Counts rows whose envelope fields are set, so the equivalence tests are known to cover them. */
class EnvelopeSeen {
  private readonly seen = new Map<string, number>();

  count(row: object): void {
    for (const [k, v] of Object.entries(row)) {
      const set = typeof v === 'number' ? v !== 0 : v !== '' && v !== '{}' && v !== '[]';
      if (set && (this.seen.get(k) ?? 0) < 1000) this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
    }
  }

  expectAllSeen(extra: string[]): void {
    const keys = ['scopeVersion', 'scopeAttributes', 'scopeSchemaUrl', 'resourceSchemaUrl', 'flags'];
    for (const k of [...keys, 'droppedAttributesCount', ...extra]) {
      expect(this.seen.get(k) ?? 0, k).toBeGreaterThan(10);
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('traceRowsFromProtobuf / logRowsFromProtobuf: equivalence with protobufjs + convert.ts', () => {
  it('equals the reference on 400 generated trace requests', () => {
    const rng = prng(1);
    let spans = 0;
    let rejected = 0;
    const envelope = new EnvelopeSeen();
    for (let n = 0; n < 400; n++) {
      const buf = encodeExportRequest('traces', traceRequest(rng));
      const expected = outcome(() => refTraces(buf));
      const actual = outcome(() => traceRowsFromProtobuf(buf));
      expect(actual, `request ${n}`).toEqual(expected);
      if ('ok' in expected) {
        spans += expected.ok.batch.spans.length;
        rejected += expected.ok.rejected;
        for (const row of expected.ok.batch.spans) envelope.count(row);
      }
    }
    // The generator covers both accepted and rejected spans in quantity, and every envelope field.
    expect(spans).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(100);
    envelope.expectAllSeen(['droppedEventsCount', 'droppedLinksCount']);
  });

  it('equals the reference on 400 generated log requests (nowNs called as often)', () => {
    const rng = prng(2);
    let logs = 0;
    const envelope = new EnvelopeSeen();
    for (let n = 0; n < 400; n++) {
      const buf = encodeExportRequest('logs', logsRequest(rng));
      let refCalls = 0;
      let newCalls = 0;
      const expected = outcome(() =>
        convertLogs(decodeLogsRequest(buf), () => {
          refCalls++;
          return NOW;
        }),
      );
      const actual = outcome(() =>
        logRowsFromProtobuf(buf, () => {
          newCalls++;
          return NOW;
        }),
      );
      expect(actual, `request ${n}`).toEqual(expected);
      expect(newCalls).toBe(refCalls);
      expect(newCalls).toBeLessThanOrEqual(1);
      if ('ok' in expected) {
        logs += expected.ok.batch.logs.length;
        for (const row of expected.ok.batch.logs) envelope.count(row);
      }
    }
    expect(logs).toBeGreaterThan(1000);
    envelope.expectAllSeen([]);
  });

  it('equals the reference on the benchmark-shaped 512-span batch', () => {
    const buf = realisticTraces(prng(3));
    const actual = traceRowsFromProtobuf(buf);
    expect(actual).toEqual(refTraces(buf));
    expect(actual.batch.spans).toHaveLength(512);
  });

  it('accepts a Uint8Array that is not a Buffer, at an offset', () => {
    const buf = encodeExportRequest('traces', traceRequest(prng(4)));
    const ab = new ArrayBuffer(buf.length + 7);
    const view = new Uint8Array(ab, 7);
    view.set(buf);
    expect(outcome(() => traceRowsFromProtobuf(view))).toEqual(outcome(() => refTraces(buf)));
  });

  it('decodes a request with more than 4 MB of text, then smaller ones (scratch memory shrinks)', () => {
    const rng = prng(8);
    const big = encodeExportRequest('traces', {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: Array.from({ length: 3000 }, () => ({
                traceId: rng.bytes(16),
                spanId: rng.bytes(8),
                name: 'é'.repeat(300),
                attributes: [{ key: 'k', value: { stringValue: 'x"'.repeat(500) } }],
              })),
            },
          ],
        },
      ],
    });
    expect(traceRowsFromProtobuf(big)).toEqual(refTraces(big));
    for (let n = 0; n < 5; n++) {
      const buf = encodeExportRequest('traces', traceRequest(rng));
      expect(outcome(() => traceRowsFromProtobuf(buf))).toEqual(outcome(() => refTraces(buf)));
    }
  });

  it('gives an empty result for an empty request', () => {
    expect(traceRowsFromProtobuf(new Uint8Array(0))).toEqual(refTraces(new Uint8Array(0)));
    expect(newLogs(new Uint8Array(0))).toEqual(refLogs(new Uint8Array(0)));
  });
});

describe('malformed input', () => {
  const samples = () => {
    const rng = prng(5);
    const traces: Uint8Array[] = [];
    const logs: Uint8Array[] = [];
    while (traces.length < 4) {
      const buf = encodeExportRequest('traces', traceRequest(rng));
      if ('ok' in outcome(() => refTraces(buf)) && buf.length > 200) traces.push(buf);
    }
    while (logs.length < 4) {
      const buf = encodeExportRequest('logs', logsRequest(rng));
      if ('ok' in outcome(() => refLogs(buf)) && buf.length > 200) logs.push(buf);
    }
    return { traces, logs };
  };
  const { traces, logs } = samples();

  /** Either the reference's result, or OtlpInvalidError; when the reference refuses, always the error. */
  function checkAgainstReference(buf: Uint8Array, signal: 'traces' | 'logs', what: string): void {
    const expected = outcome(() => (signal === 'traces' ? refTraces(buf) : refLogs(buf)));
    const actual = outcome(() => (signal === 'traces' ? traceRowsFromProtobuf(buf) : newLogs(buf)));
    if ('error' in actual) {
      expect(actual.error.name, `${what}: ${actual.error.message}`).toBe('OtlpInvalidError');
      return;
    }
    if (!isDeepStrictEqual(actual, expected)) expect(actual, what).toEqual(expected);
  }

  it('refuses every truncation of valid requests with OtlpInvalidError', () => {
    let refused = 0;
    for (const [signal, bufs] of [
      ['traces', traces],
      ['logs', logs],
    ] as const) {
      for (const buf of bufs) {
        for (let cut = 1; cut < buf.length; cut++) {
          const b = buf.subarray(0, cut);
          const expected = outcome(() => (signal === 'traces' ? refTraces(b) : refLogs(b)));
          const actual = outcome(() => (signal === 'traces' ? traceRowsFromProtobuf(b) : newLogs(b)));
          if ('error' in expected) {
            refused++;
            expect('error' in actual && actual.error.name, `${signal} cut at ${cut}`).toBe(
              'OtlpInvalidError',
            );
          } else expect(actual, `${signal} cut at ${cut}`).toEqual(expected);
        }
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });

  it('on random byte flips equals the reference or throws OtlpInvalidError', () => {
    const rng = prng(6);
    for (let n = 0; n < 3000; n++) {
      const signal = n % 2 === 0 ? 'traces' : 'logs';
      const src = rng.pick(signal === 'traces' ? traces : logs);
      const buf = Buffer.from(src);
      const flips = 1 + rng.int(3);
      for (let f = 0; f < flips; f++) {
        const at = rng.int(buf.length);
        buf[at] = rng.chance(0.5) ? rng.int(256) : buf[at]! ^ (1 << rng.int(8));
      }
      checkAgainstReference(buf, signal, `flip ${n}`);
    }
  });

  it('refuses invalid UTF-8 in any string field, with the reference message', () => {
    const INVALID = [
      [0xc3, 0x28], // truncated 2-byte sequence
      [0xa0, 0xa1], // lone continuation bytes
      [0xc0, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe2, 0x82], // truncated 3-byte sequence
      [0xff],
    ];
    const MARK = 'MARK';
    const withMark = (place: string): Record<string, unknown> => {
      const m = (s: string) => (place === s ? `x${MARK}y` : 'plain');
      const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
      return {
        resourceSpans: [
          {
            resource: { attributes: [kv('service.name', 'svc'), kv('r', m('resource'))] },
            scopeSpans: [
              {
                scope: {
                  name: m('scope.name'),
                  version: m('scope.version'),
                  attributes: [kv('s', m('scope.attr'))],
                },
                spans: [
                  {
                    traceId: place === 'rejected' ? Buffer.alloc(0) : TRACE_ID,
                    spanId: SPAN_ID,
                    name: m('name'),
                    traceState: m('traceState'),
                    attributes: [
                      kv(m('key'), 'v'),
                      kv('k', m('value')),
                      kv('rejected', m('rejected')),
                      { key: 'n', value: { arrayValue: { values: [{ stringValue: m('nested') }] } } },
                    ],
                    events: [{ name: m('event'), attributes: [kv('e', m('event.attr'))] }],
                    links: [{ traceId: TRACE_ID, spanId: SPAN_ID, traceState: m('link') }],
                    status: { code: 2, message: m('status') },
                  },
                ],
              },
            ],
          },
        ],
      };
    };
    const places = [
      'resource',
      'scope.name',
      'scope.version',
      'scope.attr',
      'name',
      'traceState',
      'key',
      'value',
      'rejected',
      'nested',
      'event',
      'event.attr',
      'link',
      'status',
    ];
    const message = /not a valid protobuf ExportTraceServiceRequest \(.*not valid for encoding utf-8/i;
    for (const place of places) {
      for (const bad of INVALID) {
        const buf = Buffer.from(encodeExportRequest('traces', withMark(place)));
        const at = buf.indexOf(MARK);
        expect(at, place).toBeGreaterThan(0);
        // Same length: MARK is 4 bytes, pad shorter sequences with ASCII after them.
        Buffer.from([...bad, ...Buffer.from('zzzz')].slice(0, 4)).copy(buf, at);
        expect(() => refTraces(buf), place).toThrow(message);
        expect(() => traceRowsFromProtobuf(buf), place).toThrow(OtlpInvalidError);
        expect(() => traceRowsFromProtobuf(buf), place).toThrow(message);
      }
    }
    // The same for a log body and a log attribute.
    for (const place of ['body', 'attr']) {
      const rec = {
        timeUnixNano: '1',
        body: { stringValue: place === 'body' ? MARK : 'b' },
        attributes: [{ key: 'k', value: { stringValue: place === 'attr' ? MARK : 'a' } }],
      };
      const buf = Buffer.from(
        encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [rec] }] }] }),
      );
      buf[buf.indexOf(MARK)] = 0xc3;
      buf[buf.indexOf('ARK') + 0] = 0x28;
      expect(() => refLogs(buf)).toThrow(/not valid for encoding utf-8/);
      expect(() => newLogs(buf)).toThrow(
        /not a valid protobuf ExportLogsServiceRequest \(.*not valid for encoding utf-8/,
      );
    }
  });

  it('validates UTF-8 exactly as the fatal TextDecoder does', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const rng = prng(7);
    const INTERESTING = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf];
    INTERESTING.push(0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff);
    for (let n = 0; n < 50_000; n++) {
      const len = 1 + rng.int(6);
      const b = Buffer.from(
        Array.from({ length: len }, () => (rng.chance(0.7) ? rng.pick(INTERESTING) : rng.int(256))),
      );
      let valid = true;
      try {
        decoder.decode(b);
      } catch {
        valid = false;
      }
      expect(isValidUtf8(b, 0, b.length), b.toString('hex')).toBe(valid);
    }
  });

  it('refuses ids of the wrong length with the reference message and field path', () => {
    const spans = Array.from({ length: 5 }, (_, k) => ({
      traceId: k === 3 ? Buffer.alloc(5, 1) : TRACE_ID,
      spanId: SPAN_ID,
    }));
    const buf = encodeExportRequest('traces', { resourceSpans: [{ scopeSpans: [{ spans }] }] });
    expect(() => traceRowsFromProtobuf(buf)).toThrow(
      'resourceSpans[0].scopeSpans[0].spans[3].traceId: must be 16 bytes (32 hex digits), got 5',
    );
    const cases: [string, Record<string, unknown>, string][] = [
      ['spanId', { traceId: TRACE_ID, spanId: Buffer.alloc(9, 1) }, 'spans[0].spanId'],
      [
        'parent',
        { traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: Buffer.alloc(16, 1) },
        'spans[0].parentSpanId',
      ],
      [
        'link traceId',
        { traceId: TRACE_ID, spanId: SPAN_ID, links: [{}, { traceId: Buffer.alloc(8, 1), spanId: SPAN_ID }] },
        'spans[0].links[1].traceId',
      ],
      [
        'link spanId',
        { traceId: TRACE_ID, spanId: SPAN_ID, links: [{ traceId: TRACE_ID, spanId: Buffer.alloc(1) }] },
        'spans[0].links[0].spanId',
      ],
      [
        'rejected span still checked',
        { traceId: Buffer.alloc(3), spanId: Buffer.alloc(0) },
        'spans[0].traceId',
      ],
    ];
    for (const [what, span, path] of cases) {
      const b = encodeExportRequest('traces', {
        resourceSpans: [{}, { scopeSpans: [{}, { spans: [span] }] }],
      });
      const expected = outcome(() => refTraces(b));
      const actual = outcome(() => traceRowsFromProtobuf(b));
      expect(actual, what).toEqual(expected);
      expect('error' in actual && actual.error.field, what).toBe(`resourceSpans[1].scopeSpans[1].${path}`);
    }
    for (const [what, rec, path] of [
      ['log traceId', { traceId: Buffer.alloc(15) }, 'logRecords[0].traceId'],
      ['log spanId', { spanId: Buffer.alloc(7) }, 'logRecords[0].spanId'],
    ] as const) {
      const b = encodeExportRequest('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: [rec] }] }] });
      const actual = outcome(() => newLogs(b));
      expect(actual, what).toEqual(outcome(() => refLogs(b)));
      expect('error' in actual && actual.error.field, what).toBe(`resourceLogs[0].scopeLogs[0].${path}`);
    }
  });

  it('refuses AnyValues nested 40 deep like the reference, and 5000 deep without exhausting the stack', () => {
    /** `d` levels of arrays (or alternately kvlists), around a string. */
    const nest = (d: number, kvlists = false): Record<string, unknown> =>
      d === 0
        ? { stringValue: 'leaf' }
        : kvlists && d % 2 === 1
          ? { kvlistValue: { values: [{ key: 'k', value: nest(d - 1, kvlists) }] } }
          : { arrayValue: { values: [nest(d - 1, kvlists)] } };
    const traces = (value: Record<string, unknown>, traceId: Buffer = TRACE_ID) =>
      encodeExportRequest('traces', {
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId, spanId: SPAN_ID, attributes: [{ key: 'd', value }] }] }] },
        ],
      });
    const deep40 = traces(nest(40));
    const expected = outcome(() => refTraces(deep40));
    expect(expected).toEqual({
      error: {
        name: 'OtlpInvalidError',
        message: 'resourceSpans[0].scopeSpans[].spans[].attributes: AnyValue nested too deeply',
        field: 'resourceSpans[0].scopeSpans[].spans[].attributes',
      },
    });
    expect(outcome(() => traceRowsFromProtobuf(deep40))).toEqual(expected);
    // With kvlists too; 32 levels are fine.
    for (const d of [32, 33, 34]) {
      const buf = traces(nest(d, true));
      expect(
        outcome(() => traceRowsFromProtobuf(buf)),
        `depth ${d}`,
      ).toEqual(outcome(() => refTraces(buf)));
    }
    expect(() => traceRowsFromProtobuf(traces(nest(33, true)))).toThrow('AnyValue nested too deeply');
    expect(traceRowsFromProtobuf(traces(nest(32, true))).batch.spans).toHaveLength(1);

    const logs = encodeExportRequest('logs', {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: nest(40) }] }] }],
    });
    expect(outcome(() => newLogs(logs))).toEqual(outcome(() => refLogs(logs)));
    expect(() => newLogs(logs)).toThrow(
      'resourceLogs[0].scopeLogs[0].logRecords[0].body: AnyValue nested too deeply',
    );

    // A rejected span (empty trace id) is not converted: as deep as protobufjs decodes is fine.
    const rejected = traces(nest(36, true), Buffer.alloc(0));
    expect(traceRowsFromProtobuf(rejected)).toEqual(refTraces(rejected));
    expect(traceRowsFromProtobuf(rejected).rejected).toBe(1);

    // 5000 levels, hand-encoded (AnyValue{array_value: ArrayValue{values: AnyValue{...}}}).
    let value = fStr(1, 'leaf');
    for (let d = 0; d < 5000; d++) value = fLen(5, fLen(1, value));
    const span = fLen(2, fLen(1, TRACE_ID), fLen(2, SPAN_ID), fLen(9, fStr(1, 'k'), fLen(2, value)));
    const deep = fLen(1, fLen(2, span));
    expect(() => traceRowsFromProtobuf(deep)).toThrow(OtlpInvalidError);
    const deepRejected = fLen(1, fLen(2, fLen(2, fLen(2, SPAN_ID), fLen(9, fStr(1, 'k'), fLen(2, value)))));
    expect(() => traceRowsFromProtobuf(deepRejected)).toThrow(/nested deeper than 100/);
    expect(() => refTraces(deepRejected)).toThrow(OtlpInvalidError);
  });

  it('refuses wire-level errors with OtlpInvalidError', () => {
    const span = (...extra: Uint8Array[]) =>
      fLen(1, fLen(2, fLen(2, fLen(1, TRACE_ID), fLen(2, SPAN_ID), ...extra)));
    const cases: [string, Uint8Array, RegExp][] = [
      ['name as a varint', span(fVarint(5, 3)), /field 5 has wire type 0, expected 2/],
      ['kind as a string', span(fStr(6, 'x')), /field 6 has wire type 2, expected 0/],
      ['start time as fixed32', span(fFixed32(7, 1)), /field 7 has wire type 5, expected 1/],
      ['start group (3)', span(cat(tag(100, 3), tag(100, 4))), /group wire type 3/],
      ['end group (4)', span(cat(tag(100, 4))), /group wire type 4/],
      ['wire type 6', span(cat(tag(100, 6), [0])), /invalid wire type 6/],
      ['wire type 7', span(cat(tag(100, 7), [0])), /invalid wire type 7/],
      ['field number 0', span(cat([0x02, 0x00])), /field number 0/],
      ['varint of 11 bytes', span(cat(tag(6, 0), Array(10).fill(0x80), [0])), /longer than 10 bytes/],
      ['truncated varint', cat([0x0a, 0x03], tag(1, 2), [0x80, 0x80]), /truncated varint/],
      ['length past the buffer', cat([0x0a, 0x10, 0x01]), /runs past the end/],
      [
        'length past the enclosing message',
        cat(fLen(1, fLen(2, cat(tag(2, 2), [0x20]), fStr(5, 'name-in-the-parent'))), fStr(2, 'x'.repeat(40))),
        /runs past the end/,
      ],
      ['truncated fixed64', span(cat(tag(7, 1), [1, 2, 3])), /truncated fixed64/],
      ['tag longer than 5 bytes', cat([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00]), /invalid tag/],
    ];
    for (const [what, buf, message] of cases) {
      const actual = outcome(() => traceRowsFromProtobuf(buf));
      expect('error' in actual && actual.error.name, what).toBe('OtlpInvalidError');
      expect(() => traceRowsFromProtobuf(buf), what).toThrow(message);
      expect(() => traceRowsFromProtobuf(buf), what).toThrow(
        /^not a valid protobuf ExportTraceServiceRequest \(/,
      );
    }
    const log = cat(fLen(1, fLen(2, fLen(2, fStr(2, 'sev')))));
    expect(() => newLogs(log)).toThrow(
      /not a valid protobuf ExportLogsServiceRequest \(field 2 has wire type 2/,
    );
  });
});

describe('string copying', () => {
  it('plainAscii4 flags exactly the words with a byte to escape or a non-ASCII byte', () => {
    const special = (b: number) => b < 0x20 || b === 0x22 || b === 0x5c || b >= 0x80;
    const wrong: string[] = [];
    const check = (bytes: number[]) => {
      const word = bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24);
      if ((plainAscii4(word >>> 0) !== 0) !== bytes.some(special)) wrong.push(bytes.join(','));
    };
    // Every pair of byte values in every pair of positions, the other bytes plain or borderline.
    for (const fill of [0x61, 0x20, 0x7f, 0x21, 0x23, 0x5b, 0x5d]) {
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          for (const [i, j] of [
            [0, 1],
            [1, 2],
            [2, 3],
            [0, 3],
          ] as const) {
            const bytes = [fill, fill, fill, fill];
            bytes[i] = a;
            bytes[j] = b;
            check(bytes);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('escapes a special character at every position of strings of every length up to 13', () => {
    const specials = ['"', '\\', '\n', '\u0000', '\u001f', 'é', '🎉', '\u007f'];
    const attributes: Record<string, unknown>[] = [];
    for (let len = 1; len <= 13; len++) {
      for (let at = 0; at < len; at++) {
        for (const c of specials) {
          const text = `${'abcdefghijklm'.slice(0, at)}${c}${'nopqrstuvwxyz'.slice(0, len - at - 1)}`;
          attributes.push({ key: text, value: { stringValue: text } });
        }
      }
    }
    const buf = encodeExportRequest('traces', {
      resourceSpans: [
        { scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'n\u0001é', attributes }] }] },
      ],
    });
    const rows = traceRowsFromProtobuf(buf);
    expect(rows).toEqual(refTraces(buf));
    expect(JSON.parse(rows.batch.spans[0]!.attributes)).toEqual(
      Object.fromEntries(attributes.map((kv) => [kv.key, (kv.value as { stringValue: string }).stringValue])),
    );
  });
});

describe('wire-format corner cases', () => {
  /** A hand-encoded trace request; `extra` adds unknown fields (100+, every wire type) to every message. */
  function handTraces(extra: boolean): Buffer {
    const x = () =>
      extra ? [fVarint(100, 123456789012n), fFixed64(101, 7n), fStr(102, 'unknown'), fFixed32(103, 9)] : [];
    const av = (...member: Uint8Array[]) => fLen(2, ...x(), ...member, ...x());
    const kv = (key: string, ...value: Uint8Array[]) =>
      cat(...x(), fStr(1, key), ...(value.length ? [av(...value)] : []));
    const attributes = (field: number) => [
      fLen(field, kv('s', fStr(1, 'é"\n'))),
      fLen(field, kv('b', fVarint(2, 1))),
      fLen(field, kv('i', fVarint(3, -5n))),
      fLen(field, kv('big', fVarint(3, 1n << 60n))),
      fLen(field, kv('d', fDouble(4, Number.NaN))),
      fLen(field, kv('a', fLen(5, ...x(), fLen(1, ...x(), fStr(1, 'x')), fLen(1, fVarint(3, 1)), ...x()))),
      fLen(field, kv('kv', fLen(6, ...x(), fLen(1, kv('n', fVarint(2, 0))), ...x()))),
      fLen(field, kv('bytes', fLen(7, [1, 2, 3, 4]))),
      fLen(field, kv('none')),
    ];
    const span = fLen(
      2,
      ...x(),
      fLen(1, TRACE_ID),
      fLen(2, SPAN_ID),
      fStr(3, 'ts=1'),
      fStr(5, 'span name'),
      fVarint(6, 2),
      fFixed64(7, 1_700_000_000_000_000_000n),
      fFixed64(8, 1_700_000_000_000_001_000n),
      ...x(),
      ...attributes(9),
      fLen(11, ...x(), fFixed64(1, 5n), fStr(2, 'ev'), ...attributes(3), ...x()),
      fLen(13, ...x(), fLen(1, TRACE_ID), fLen(2, SPAN_ID), fStr(3, 'st'), ...attributes(4), ...x()),
      fLen(15, ...x(), fStr(2, 'boom'), fVarint(3, 2), ...x()),
      ...x(),
    );
    const scope = fLen(1, ...x(), fStr(1, 'scope'), fStr(2, '1.0'), fLen(3, kv('sa', fStr(1, 'v'))), ...x());
    const resource = fLen(1, ...x(), ...attributes(1), fLen(1, kv('service.name', fStr(1, 'svc'))), ...x());
    return cat(...x(), fLen(1, ...x(), resource, fLen(2, ...x(), scope, span, span, ...x()), ...x()), ...x());
  }

  it('skips unknown fields of every wire type in every message', () => {
    const plain = traceRowsFromProtobuf(handTraces(false));
    expect(plain).toEqual(refTraces(handTraces(false)));
    expect(plain.batch.spans).toHaveLength(2);
    expect(plain.batch.spans[0]!.attributes).toBe(
      '{"s":"é\\"\\n","b":true,"i":-5,"big":"1152921504606846976","d":"NaN","a":["x",1],"kv":{"n":false},"bytes":"AQIDBA==","none":null}',
    );
    expect(traceRowsFromProtobuf(handTraces(true))).toEqual(plain);
    expect(refTraces(handTraces(true))).toEqual(plain);
  });

  it('skips unknown fields in log records', () => {
    const x = [
      fVarint(100, 1),
      fFixed64(101, 2n),
      fStr(102, 'u'),
      fFixed32(103, 3),
      fVarint(13, 1),
      fFixed32(4, 0),
    ];
    const rec = (extra: boolean) =>
      fLen(
        1,
        fLen(
          2,
          fLen(
            2,
            ...(extra ? x : []),
            fFixed64(1, 5n),
            fVarint(2, 9),
            fStr(3, 'INFO'),
            fLen(5, fStr(1, 'hello')),
            fLen(6, fStr(1, 'k'), fLen(2, fVarint(3, 4))),
            ...(extra ? x : []),
          ),
        ),
      );
    expect(newLogs(rec(true))).toEqual(newLogs(rec(false)));
    expect(newLogs(rec(true))).toEqual(refLogs(rec(true)));
  });

  it('takes the last of a repeated scalar field and merges repeated messages (like protobufjs)', () => {
    const span = fLen(
      2,
      fLen(1, Buffer.alloc(16, 9)),
      fLen(1, TRACE_ID),
      fLen(2, SPAN_ID),
      fStr(5, 'first'),
      fStr(5, 'second'),
      fVarint(6, 9),
      fVarint(6, 1),
      fLen(15, fVarint(3, 2), fStr(2, 'm1')),
      fLen(15, fStr(2, 'm2')),
      // One KeyValue whose value arrives twice, and an AnyValue whose array member does.
      fLen(9, fStr(1, 'v'), fLen(2, fLen(5, fLen(1, fStr(1, 'a')))), fLen(2, fLen(5, fLen(1, fStr(1, 'b'))))),
      fLen(9, fStr(1, 'w'), fLen(2, fLen(6, fLen(1, fStr(1, 'x'))), fLen(6, fLen(1, fStr(1, 'y'))))),
    );
    const buf = cat(
      fLen(
        1,
        fLen(1, fLen(1, fStr(1, 'service.name'), fLen(2, fStr(1, 'one')))),
        fLen(2, fLen(1, fStr(1, 'scope-a'), fStr(2, 'v1')), span, fLen(1, fStr(2, 'v2'))),
        fLen(1, fLen(1, fStr(1, 'extra'), fLen(2, fVarint(2, 1)))),
      ),
    );
    const rows = traceRowsFromProtobuf(buf);
    expect(rows).toEqual(refTraces(buf));
    const row = rows.batch.spans[0]!;
    expect(row).toMatchObject({
      traceId: TRACE_ID.toString('hex'),
      name: 'second',
      kind: 1,
      statusCode: 2,
      statusMessage: 'm2',
      service: 'one',
      scopeName: 'scope-a',
      resource: '{"service.name":"one","extra":true}',
      attributes: '{"v":["a","b"],"w":{"x":null,"y":null}}',
    });

    // A repeated log body merges too.
    const logs = fLen(
      1,
      fLen(2, fLen(2, fLen(5, fLen(5, fLen(1, fVarint(3, 1)))), fLen(5, fLen(5, fLen(1, fVarint(3, 2)))))),
    );
    expect(newLogs(logs)).toEqual(refLogs(logs));
    expect(newLogs(logs).batch.logs[0]!.body).toBe('[1,2]');
  });

  it('takes the last AnyValue member on the wire (oneof semantics; the reference takes the first set)', () => {
    const attr = fLen(9, fStr(1, 'k'), fLen(2, fStr(1, 'text'), fVarint(3, 5)));
    const span = fLen(2, fLen(1, TRACE_ID), fLen(2, SPAN_ID), attr);
    const buf = fLen(1, fLen(2, span));
    expect(traceRowsFromProtobuf(buf).batch.spans[0]!.attributes).toBe('{"k":5}');
    expect(refTraces(buf).batch.spans[0]!.attributes).toBe('{"k":"text"}');
    // The member that lost must still be well-formed.
    const bad = fLen(
      1,
      fLen(
        2,
        fLen(
          2,
          fLen(1, TRACE_ID),
          fLen(2, SPAN_ID),
          fLen(9, fStr(1, 'k'), fLen(2, fLen(1, [0xff]), fVarint(3, 5))),
        ),
      ),
    );
    expect(() => traceRowsFromProtobuf(bad)).toThrow(/not valid for encoding utf-8/);
  });

  it('handles duplicate attribute keys like convert.ts (first position, last value), also nested and >32 keys', () => {
    const kvs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i % 20}`, value: { intValue: i } }));
    const attrs = [
      { key: 'a', value: { stringValue: '1' } },
      {
        key: 'b',
        value: { kvlistValue: { values: [{ key: 'x' }, { key: 'x', value: { boolValue: true } }] } },
      },
      { key: 'a', value: { stringValue: '2' } },
      { key: 'many', value: { kvlistValue: { values: kvs(50) } } },
    ];
    const buf = encodeExportRequest('traces', {
      resourceSpans: [
        {
          resource: { attributes: kvs(40) },
          scopeSpans: [{ spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: attrs }] }],
        },
      ],
    });
    const rows = traceRowsFromProtobuf(buf);
    expect(rows).toEqual(refTraces(buf));
    expect(rows.batch.spans[0]!.attributes.startsWith('{"a":"2","b":{"x":true},"many":{"k0":40,')).toBe(true);
  });
});

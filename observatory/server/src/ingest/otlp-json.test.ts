import { describe, expect, it } from 'vitest';
import { convertLogs, convertMetrics, convertTraces, OtlpInvalidError } from './convert.js';
import { decodeLogsJson, decodeMetricsJson, decodeTraceJson, quoteLongIntegers } from './otlp-json.js';

const spanJson = (span: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeSpans: [{ scope: { name: 'manual', version: '1' }, spans: [span] }],
        ...extra,
      },
    ],
  });

const traces = (text: string) => convertTraces(decodeTraceJson(text));

function invalid(fn: () => unknown): OtlpInvalidError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OtlpInvalidError) return err;
    throw err;
  }
  throw new Error('expected OtlpInvalidError');
}

describe('OTLP/JSON traces', () => {
  it('decodes the spec example: uppercase hex ids, int64 strings, integer enums', () => {
    const out = traces(
      spanJson({
        traceId: '5B8EFFF798038103D269B633813FC60C',
        spanId: 'EEE19B7EC3C1B174',
        parentSpanId: 'EEE19B7EC3C1B173',
        name: "I'm a server span",
        startTimeUnixNano: '1544712660000000000',
        endTimeUnixNano: '1544712661000000000',
        kind: 2,
        attributes: [{ key: 'my.span.attr', value: { stringValue: 'some value' } }],
        status: { code: 2, message: 'bad' },
      }),
    );
    expect(out.rejected).toBe(0);
    expect(out.batch.spans).toEqual([
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: 'eee19b7ec3c1b173',
        traceState: '',
        name: "I'm a server span",
        kind: 2,
        service: 'checkout',
        startNs: 1_544_712_660_000_000_000n,
        endNs: 1_544_712_661_000_000_000n,
        durationNs: 1_000_000_000n,
        statusCode: 2,
        statusMessage: 'bad',
        attributes: '{"my.span.attr":"some value"}',
        resource: '{"service.name":"checkout"}',
        scopeName: 'manual',
        events: '[]',
        links: '[]',
        scopeVersion: '1',
        scopeAttributes: '{}',
        scopeSchemaUrl: '',
        resourceSchemaUrl: '',
        flags: 0,
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      },
    ]);
  });

  it('accepts int64 as JSON numbers without losing nanoseconds, and as strings', () => {
    // 1700000000123456789 is not representable as a double; it must still arrive exactly.
    const text =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331",' +
      '"startTimeUnixNano":1700000000123456789,"endTimeUnixNano":"1700000000123456999","kind":1,' +
      '"events":[{"timeUnixNano":1700000000123456790,"name":"e"}],' +
      '"attributes":[{"key":"small","value":{"intValue":42}},{"key":"str","value":{"intValue":"-17"}},' +
      '{"key":"beyond.double","value":{"intValue":"9007199254740993"}},{"key":"text","value":{"stringValue":"id 12345678901234567890"}}]}]}]}]}';
    const [span] = traces(text).batch.spans;
    expect(span!.startNs).toBe(1_700_000_000_123_456_789n);
    expect(span!.endNs).toBe(1_700_000_000_123_456_999n);
    expect(span!.durationNs).toBe(210n);
    expect(JSON.parse(span!.events)[0].timeUnixNano).toBe('1700000000123456790');
    expect(JSON.parse(span!.attributes)).toEqual({
      small: 42,
      str: -17,
      'beyond.double': '9007199254740993',
      text: 'id 12345678901234567890',
    });
    expect(span!.service).toBe('unknown_service');
  });

  it('ignores unknown fields (including snake_case spellings), and treats null as default', () => {
    const out = traces(
      spanJson(
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          trace_id: 'not-looked-at',
          flags: 257,
          droppedAttributesCount: 4,
          someFutureField: { nested: [1, 2, 3] },
          name: null,
          kind: null,
          status: null,
          events: null,
          attributes: [{ key: 'k', value: { stringValue: 'v', futureValue: 1 } }],
        },
        { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0', extra: true },
      ),
    );
    expect(out.rejected).toBe(0);
    expect(out.batch.spans[0]).toMatchObject({ name: '', kind: 0, statusCode: 0, attributes: '{"k":"v"}' });
  });

  it('flattens every AnyValue kind', () => {
    const [span] = traces(
      spanJson({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        attributes: [
          { key: 's', value: { stringValue: 'x' } },
          { key: 'b', value: { boolValue: true } },
          { key: 'd', value: { doubleValue: 1.5 } },
          { key: 'nan', value: { doubleValue: 'NaN' } },
          { key: 'inf', value: { doubleValue: '-Infinity' } },
          { key: 'bytes', value: { bytesValue: 'aGVsbG8=' } },
          { key: 'arr', value: { arrayValue: { values: [{ intValue: '1' }, { stringValue: 'two' }, {}] } } },
          { key: 'map', value: { kvlistValue: { values: [{ key: 'inner', value: { boolValue: false } }] } } },
          { key: 'empty', value: {} },
          { key: '__proto__', value: { stringValue: 'plain key' } },
        ],
      }),
    ).batch.spans;
    expect(JSON.parse(span!.attributes)).toEqual({
      s: 'x',
      b: true,
      d: 1.5,
      nan: 'NaN',
      inf: '-Infinity',
      bytes: 'aGVsbG8=', // bytes are stored base64-encoded
      arr: [1, 'two', null],
      map: { inner: false },
      empty: null,
      ['__proto__']: 'plain key',
    });
  });

  it('rejects wrongly typed fields with the field path, whole request', () => {
    const base = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, name: 5 }, /spans\[0\]\.name: expected a string, got number/],
      [{ ...base, attributes: 'x' }, /spans\[0\]\.attributes: expected an array/],
      [{ ...base, startTimeUnixNano: true }, /startTimeUnixNano: expected an integer/],
      [{ ...base, startTimeUnixNano: '12a' }, /startTimeUnixNano: expected an integer/],
      [{ ...base, startTimeUnixNano: '-1' }, /out of uint64 range/],
      [{ ...base, kind: 'SPAN_KIND_SERVER' }, /kind: expected an integer enum value/],
      [{ ...base, kind: 1.5 }, /kind: expected an integer enum value/],
      [{ ...base, status: { code: '2' } }, /status\.code: expected an integer enum value/],
      [
        { ...base, attributes: [{ key: 1, value: { stringValue: 'v' } }] },
        /attributes\[0\]\.key: expected a string/,
      ],
      [{ ...base, attributes: [{ key: 'k', value: { intValue: 1.5 } }] }, /intValue: expected an integer/],
      [
        { ...base, attributes: [{ key: 'k', value: { stringValue: 'a', intValue: 1 } }] },
        /both stringValue and intValue/,
      ],
      [{ ...base, events: [{ name: [] }] }, /events\[0\]\.name: expected a string, got array/],
      [{ ...base, flags: 'sampled' }, /spans\[0\]\.flags: expected an integer/],
      [{ ...base, flags: 2 ** 32 }, /spans\[0\]\.flags: expected an integer in 0\.\.4294967295/],
      [{ ...base, droppedAttributesCount: -1 }, /droppedAttributesCount: expected an integer in 0\.\./],
      [{ ...base, droppedEventsCount: 1.5 }, /droppedEventsCount: expected an integer/],
      [{ ...base, droppedLinksCount: true }, /droppedLinksCount: expected an integer/],
      [{ ...base, events: [{ droppedAttributesCount: 'x' }] }, /events\[0\]\.droppedAttributesCount/],
      [{ ...base, links: [{ flags: -1 }] }, /links\[0\]\.flags: expected an integer in 0\.\./],
    ];
    for (const [span, message] of cases) {
      expect(invalid(() => traces(spanJson(span))).message).toMatch(message);
    }
    expect(invalid(() => traces('{"resourceSpans":{}}')).field).toBe('resourceSpans');
    // The envelope: schema URLs are strings, the scope version a string, its attributes KeyValues.
    for (const [text, field] of [
      ['{"resourceSpans":[{"schemaUrl":1}]}', 'resourceSpans[0].schemaUrl'],
      ['{"resourceSpans":[{"scopeSpans":[{"schemaUrl":{}}]}]}', 'resourceSpans[0].scopeSpans[0].schemaUrl'],
      [
        '{"resourceSpans":[{"scopeSpans":[{"scope":{"version":2}}]}]}',
        'resourceSpans[0].scopeSpans[0].scope.version',
      ],
      [
        '{"resourceSpans":[{"scopeSpans":[{"scope":{"attributes":[{"key":3}]}}]}]}',
        'resourceSpans[0].scopeSpans[0].scope.attributes[0].key',
      ],
    ] as const) {
      expect(invalid(() => traces(text)).field, text).toBe(field);
    }
    expect(invalid(() => traces('[1,2]')).message).toMatch(/must be a JSON object/);
    expect(invalid(() => traces('{"resourceSpans":[')).message).toMatch(/malformed JSON/);
  });

  it('rejects bad ids: wrong length, non-hex, odd length — whole request', () => {
    const ok = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    expect(
      invalid(() => traces(spanJson({ ...ok, traceId: '0af7651916cd43dd8448eb211c8031' }))).message,
    ).toMatch(/traceId: must be 16 bytes \(32 hex digits\), got 15/);
    expect(invalid(() => traces(spanJson({ ...ok, spanId: 'b7ad6b71692033' }))).field).toMatch(/spanId$/);
    expect(invalid(() => traces(spanJson({ ...ok, spanId: 'zzad6b7169203331' }))).message).toMatch(
      /hex-encoded/,
    );
    expect(invalid(() => traces(spanJson({ ...ok, parentSpanId: 'abc' }))).message).toMatch(/hex-encoded/);
    expect(
      invalid(() => traces(spanJson({ ...ok, links: [{ traceId: 'ab', spanId: 'b7ad6b7169203331' }] })))
        .field,
    ).toMatch(/links\[0\]\.traceId$/);
  });

  it('drops invalid items alone and reports them as a partial success', () => {
    const good = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'ok' };
    const text = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                good,
                { ...good, traceId: '' },
                { ...good, spanId: '0000000000000000' },
                { ...good, kind: 9 },
                { ...good, status: { code: 7 } },
                { ...good, startTimeUnixNano: '18446744073709551615' },
              ],
            },
          ],
        },
      ],
    });
    const out = traces(text);
    expect(out.items).toBe(6);
    expect(out.batch.spans.map((s) => s.name)).toEqual(['ok']);
    expect(out.rejected).toBe(5);
    expect(out.errorMessage).toMatch(/^5 spans rejected: /);
    expect(out.errorMessage).toContain('empty or all-zero traceId (1)');
    expect(out.errorMessage).toContain('unknown kind 9 (1)');
    expect(out.errorMessage).toContain('timestamp beyond int64');
  });
});

describe('OTLP/JSON metrics', () => {
  const metricsJson = (metrics: unknown[]) =>
    JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'inventory' } }] },
          scopeMetrics: [{ scope: { name: 'm' }, metrics }],
        },
      ],
    });

  it('decodes every point type, with int values as strings and numbers', () => {
    const out = convertMetrics(
      decodeMetricsJson(
        metricsJson([
          {
            name: 'stock.level',
            unit: '{item}',
            gauge: { dataPoints: [{ asInt: '17', timeUnixNano: '1700000000000000001', attributes: [] }] },
          },
          {
            name: 'orders.total',
            description: 'orders',
            sum: {
              aggregationTemporality: 1,
              isMonotonic: true,
              dataPoints: [{ asDouble: 2.5, startTimeUnixNano: 1, timeUnixNano: 1700000000000000000 }],
            },
          },
          {
            name: 'latency',
            histogram: {
              aggregationTemporality: 2,
              dataPoints: [
                {
                  count: '6',
                  sum: 3.5,
                  min: 0.1,
                  max: 2,
                  explicitBounds: [0.5, 1],
                  bucketCounts: ['3', 2, '1'],
                  attributes: [{ key: 'route', value: { stringValue: '/a' } }],
                },
              ],
            },
          },
          {
            name: 'size',
            exponentialHistogram: {
              aggregationTemporality: 1,
              dataPoints: [
                {
                  count: 4,
                  scale: -1,
                  zeroCount: '1',
                  positive: { offset: -2, bucketCounts: ['1', 2] },
                  negative: { bucketCounts: [] },
                },
              ],
            },
          },
          {
            name: 'rpc.duration.summary',
            summary: {
              dataPoints: [
                {
                  count: '10',
                  sum: 55,
                  quantileValues: [
                    { quantile: 0.5, value: 5 },
                    { quantile: 0.99, value: 'Infinity' },
                  ],
                },
              ],
            },
          },
        ]),
      ),
    );
    expect(out.rejected).toBe(0);
    const [gauge, sum, hist, exp, summary] = out.batch.metricPoints;
    expect(gauge).toMatchObject({
      type: 'gauge',
      value: 17,
      temporality: 0,
      isMonotonic: null,
      unit: '{item}',
    });
    expect(gauge!.timeNs).toBe(1_700_000_000_000_000_001n);
    expect(sum).toMatchObject({ type: 'sum', value: 2.5, temporality: 1, isMonotonic: true, startNs: 1n });
    expect(sum!.timeNs).toBe(1_700_000_000_000_000_000n);
    expect(hist).toMatchObject({
      type: 'histogram',
      count: 6n,
      sum: 3.5,
      min: 0.1,
      max: 2,
      bounds: [0.5, 1],
      bucketCounts: [3n, 2n, 1n],
      attributes: '{"route":"/a"}',
      service: 'inventory',
    });
    expect(exp).toMatchObject({
      type: 'exp_histogram',
      count: 4n,
      sum: null,
      expScale: -1,
      expZeroCount: 1n,
      expPosOffset: -2,
      expPosCounts: [1n, 2n],
      expNegOffset: 0,
      expNegCounts: [],
    });
    expect(summary).toMatchObject({ type: 'summary', count: 10n, sum: 55 });
    expect(JSON.parse(summary!.quantiles!)).toEqual([
      { quantile: 0.5, value: 5 },
      { quantile: 0.99, value: 'Infinity' },
    ]);
  });

  it('rejects bad points alone (partial success) and bad types whole', () => {
    const out = convertMetrics(
      decodeMetricsJson(
        metricsJson([
          { name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, {}, { flags: 1 }] } },
          { name: 'h', histogram: { dataPoints: [{ count: 1, explicitBounds: [1, 2], bucketCounts: [1] }] } },
          { name: '', sum: { dataPoints: [{ asInt: 1 }, { asInt: 2 }] } },
          { name: 'no-data' },
        ]),
      ),
    );
    expect(out.batch.metricPoints.map((p) => [p.name, p.value])).toEqual([
      ['g', 1],
      ['g', null], // NO_RECORDED_VALUE flag: stored without a value
    ]);
    expect(out.rejected).toBe(4);
    expect(out.errorMessage).toContain('number data point without value (1)');
    expect(out.errorMessage).toContain('1 bucket counts for 2 bounds');
    expect(out.errorMessage).toContain('metric without name (2)');
    expect(
      invalid(() =>
        decodeMetricsJson(metricsJson([{ name: 'x', gauge: { dataPoints: [{ asDouble: 'lots' }] } }])),
      ).message,
    ).toMatch(/asDouble: expected a number/);
    expect(
      invalid(() => decodeMetricsJson(metricsJson([{ name: 'x', sum: { aggregationTemporality: 'DELTA' } }])))
        .message,
    ).toMatch(/aggregationTemporality: expected an integer enum value/);
    expect(
      invalid(() => decodeMetricsJson(metricsJson([{ name: 'x', gauge: { dataPoints: [] }, sum: {} }])))
        .message,
    ).toMatch(/both gauge and sum/);
  });
});

describe('OTLP/JSON logs', () => {
  it('decodes bodies, severities, ids and falls back to observed time', () => {
    const out = convertLogs(
      decodeLogsJson(
        JSON.stringify({
          resourceLogs: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'payment' } }] },
              scopeLogs: [
                {
                  scope: { name: 'pino' },
                  logRecords: [
                    {
                      timeUnixNano: '1700000000000000001',
                      observedTimeUnixNano: '1700000000000000002',
                      severityNumber: 17,
                      severityText: 'ERROR',
                      body: { stringValue: 'card declined' },
                      traceId: '0AF7651916CD43DD8448EB211C80319C',
                      spanId: 'B7AD6B7169203331',
                      eventName: 'payment.declined',
                    },
                    {
                      observedTimeUnixNano: '1700000000000000009',
                      body: { kvlistValue: { values: [{ key: 'a', value: { intValue: '1' } }] } },
                      traceId: '00000000000000000000000000000000',
                    },
                    { body: { arrayValue: { values: [{ stringValue: 'x' }] } } },
                    { severityNumber: 25 },
                  ],
                },
              ],
            },
          ],
        }),
      ),
      () => 1_800_000_000_000_000_000n,
    );
    const [a, b, c] = out.batch.logs;
    expect(a).toEqual({
      timeNs: 1_700_000_000_000_000_001n,
      observedNs: 1_700_000_000_000_000_002n,
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'card declined',
      service: 'payment',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      attributes: '{}',
      resource: '{"service.name":"payment"}',
      scopeName: 'pino',
      eventName: 'payment.declined',
      scopeVersion: '',
      scopeAttributes: '{}',
      scopeSchemaUrl: '',
      resourceSchemaUrl: '',
      flags: 0,
      droppedAttributesCount: 0,
    });
    expect(b).toMatchObject({ timeNs: 1_700_000_000_000_000_009n, body: '{"a":1}', traceId: '' });
    expect(c).toMatchObject({
      timeNs: 1_800_000_000_000_000_000n,
      observedNs: 1_800_000_000_000_000_000n,
      body: '["x"]',
    });
    expect(out.rejected).toBe(1);
    expect(out.errorMessage).toMatch(/severityNumber 25 outside 0\.\.24/);
    expect(
      invalid(() =>
        decodeLogsJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"ERROR"}]}]}]}'),
      ).field,
    ).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber');
  });
});

describe('quoteLongIntegers', () => {
  it('quotes long integer literals outside strings only', () => {
    expect(
      quoteLongIntegers('{"a":1700000000123456789,"b":"x 1700000000123456789","c":[-12345678901234567]}'),
    ).toBe('{"a":"1700000000123456789","b":"x 1700000000123456789","c":["-12345678901234567"]}');
    expect(quoteLongIntegers('{"a":"q\\"1234567890123456789","b":1.2345678901234567e5}')).toBe(
      '{"a":"q\\"1234567890123456789","b":1.2345678901234567e5}',
    );
    const short = '{"a":123456789012345}';
    expect(quoteLongIntegers(short)).toBe(short);
  });
});

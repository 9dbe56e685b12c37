import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { TelemetryStore } from './telemetry-store.js';
import type { LogRow, MetricPointRow, SpanRow, WriteMode } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const span = (i: number): SpanRow => ({
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: `eee19b7ec3c1b1${String(i).padStart(2, '0')}`,
  parentSpanId: i === 0 ? '' : 'eee19b7ec3c1b100',
  traceState: 'k=v',
  name: `op-${i}`,
  kind: 2,
  service: 'catalog',
  startNs: 1_700_000_000_123_456_789n + BigInt(i),
  endNs: 1_700_000_000_223_456_789n,
  durationNs: 100_000_000n - BigInt(i),
  statusCode: 2,
  statusMessage: 'boom',
  attributes: JSON.stringify({ 'http.route': '/x', n: i, ok: true, list: [1, 'a'] }),
  resource: JSON.stringify({ 'service.name': 'catalog' }),
  scopeName: 'scope',
  events: JSON.stringify([{ name: 'e', timeUnixNano: '1700000000123456790', attributes: {} }]),
  links: '[]',
  scopeVersion: '1.2.3',
  scopeAttributes: '{"scope.k":"v"}',
  scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
  flags: 0x301,
  droppedAttributesCount: 4_000_000_000,
  droppedEventsCount: 5,
  droppedLinksCount: 6,
});

const log: LogRow = {
  timeNs: 1_700_000_000_000_000_001n,
  observedNs: 1_700_000_000_000_000_002n,
  severityNumber: 17,
  severityText: 'ERROR',
  body: 'payment failed',
  service: 'payment',
  traceId: '',
  spanId: '',
  attributes: '{"a":1}',
  resource: '{"service.name":"payment"}',
  scopeName: 'pino',
  eventName: 'payment.failed',
  scopeVersion: '9.0.0',
  scopeAttributes: '{"l":true}',
  scopeSchemaUrl: 'https://s/scope',
  resourceSchemaUrl: 'https://s/resource',
  flags: 1,
  droppedAttributesCount: 7,
};

const histogram: MetricPointRow = {
  name: 'http.server.request.duration',
  description: 'd',
  unit: 's',
  type: 'histogram',
  service: 'order',
  attributes: '{}',
  resource: '{}',
  scopeName: 's',
  startNs: 1n,
  timeNs: 1_700_000_000_000_000_000n,
  temporality: 2,
  isMonotonic: null,
  value: null,
  count: 6n,
  sum: 1.5,
  min: 0.01,
  max: 0.9,
  bounds: [0.1, 0.5],
  bucketCounts: [3n, 2n, 1n],
  expScale: null,
  expZeroCount: null,
  expPosOffset: null,
  expPosCounts: null,
  expNegOffset: null,
  expNegCounts: null,
  quantiles: null,
  scopeVersion: '0.1.0',
  scopeAttributes: '{"m":[1]}',
  scopeSchemaUrl: 'https://s/metric-scope',
  resourceSchemaUrl: 'https://s/metric-resource',
  flags: 1,
};

const expHistogram: MetricPointRow = {
  ...histogram,
  type: 'exp_histogram',
  bounds: null,
  bucketCounts: null,
  expScale: -2,
  expZeroCount: 1n,
  expPosOffset: -3,
  expPosCounts: [1n, 2n],
  expNegOffset: 0,
  expNegCounts: [],
};

describe.each<[string, WriteMode]>([
  ['memory/appender', 'appender'],
  ['file/appender', 'appender'],
  ['memory/insert', 'insert'],
])('TelemetryStore (%s)', (label, writeMode) => {
  it('stores and reads back every column exactly', async () => {
    const path = label.startsWith('file') ? join(dir, `t-${writeMode}.duckdb`) : ':memory:';
    const store = await TelemetryStore.open(path, { writeMode });
    try {
      await store.insertSpans([span(0), span(1)]);
      await store.insertLogs([log]);
      await store.insertMetricPoints([histogram, expHistogram]);

      const spans = await store.query<Record<string, unknown>>('SELECT * FROM spans ORDER BY span_id');
      expect(spans).toHaveLength(2);
      const s1 = spans[1]!;
      expect(s1).toMatchObject({
        trace_id: '5b8efff798038103d269b633813fc60c',
        span_id: 'eee19b7ec3c1b101',
        parent_span_id: 'eee19b7ec3c1b100',
        trace_state: 'k=v',
        name: 'op-1',
        kind: 2,
        service: 'catalog',
        start_ns: 1_700_000_000_123_456_790n,
        end_ns: 1_700_000_000_223_456_789n,
        duration_ns: 99_999_999n,
        status_code: 2,
        status_message: 'boom',
        scope_name: 'scope',
        links: '[]',
        scope_version: '1.2.3',
        scope_attributes: '{"scope.k":"v"}',
        scope_schema_url: 'https://opentelemetry.io/schemas/1.26.0',
        resource_schema_url: 'https://opentelemetry.io/schemas/1.27.0',
        flags: 0x301,
        dropped_attributes_count: 4_000_000_000,
        dropped_events_count: 5,
        dropped_links_count: 6,
      });
      expect(JSON.parse(s1.attributes as string)).toEqual({
        'http.route': '/x',
        n: 1,
        ok: true,
        list: [1, 'a'],
      });
      expect(JSON.parse(s1.events as string)[0].timeUnixNano).toBe('1700000000123456790');
      expect(typeof s1.ingested_ns).toBe('bigint');

      const [l] = await store.query<Record<string, unknown>>('SELECT * FROM logs');
      expect(l).toMatchObject({
        time_ns: 1_700_000_000_000_000_001n,
        observed_ns: 1_700_000_000_000_000_002n,
        severity_number: 17,
        severity_text: 'ERROR',
        body: 'payment failed',
        trace_id: '',
        event_name: 'payment.failed',
        scope_version: '9.0.0',
        scope_attributes: '{"l":true}',
        scope_schema_url: 'https://s/scope',
        resource_schema_url: 'https://s/resource',
        flags: 1,
        dropped_attributes_count: 7,
      });

      const points = await store.query<Record<string, unknown>>(
        'SELECT * EXCLUDE (ingested_ns) FROM metric_points ORDER BY type',
      );
      expect(points[0]).toMatchObject({
        type: 'exp_histogram',
        exp_scale: -2,
        exp_zero_count: 1n,
        exp_pos_offset: -3,
        exp_pos_counts: [1n, 2n],
        exp_neg_counts: [],
        bounds: null,
      });
      expect(points[1]).toMatchObject({
        type: 'histogram',
        count: 6n,
        sum: 1.5,
        min: 0.01,
        max: 0.9,
        bounds: [0.1, 0.5],
        bucket_counts: [3n, 2n, 1n],
        value: null,
        is_monotonic: null,
        temporality: 2,
        scope_version: '0.1.0',
        scope_attributes: '{"m":[1]}',
        scope_schema_url: 'https://s/metric-scope',
        resource_schema_url: 'https://s/metric-resource',
        flags: 1,
      });

      // Parameters of every supported type.
      const byParams = await store.query<{ n: bigint }>(
        'SELECT count(*) AS n FROM spans WHERE service = ? AND kind = ? AND start_ns > ? AND status_code = ANY(?)',
        ['catalog', 2, 1_700_000_000_123_456_789n, [2]],
      );
      expect(byParams[0]!.n).toBe(1n);
      await expect(store.query('SELECT ?', [{}])).rejects.toThrow(/unsupported type/);

      expect(await store.counts()).toEqual({ spans: 2, logs: 1, metricPoints: 2 });
      expect(await store.sizeBytes()).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

describe('TelemetryStore lifecycle', () => {
  it('keeps data in a file across reopen and gives each batch a later ingested_ns', async () => {
    const path = join(dir, 'reopen', 'telemetry.duckdb');
    const a = await TelemetryStore.open(path);
    await a.insertSpans([span(0)]);
    await a.insertSpans([span(1)]);
    await a.close();
    const b = await TelemetryStore.open(path);
    const rows = await b.query<{ span_id: string; ingested_ns: bigint }>(
      'SELECT span_id, ingested_ns FROM spans ORDER BY span_id',
    );
    expect(rows.map((r) => r.span_id)).toEqual(['eee19b7ec3c1b100', 'eee19b7ec3c1b101']);
    expect(rows[1]!.ingested_ns).toBeGreaterThan(rows[0]!.ingested_ns);
    expect(b.fileBytes()).toBeGreaterThan(0);
    await b.close();
    await expect(b.query('SELECT 1')).rejects.toThrow(/closed/);
  });

  it('applies the DuckDB settings it is given, and keeps data committed under a large WAL threshold', async () => {
    const path = join(dir, 'wal', 'telemetry.duckdb');
    const a = await TelemetryStore.open(path, { walAutocheckpoint: '64MB', threads: 1 });
    const [setting] = await a.query<{ wal: string; threads: bigint }>(
      "SELECT current_setting('wal_autocheckpoint') AS wal, current_setting('threads') AS threads",
    );
    expect(setting?.wal).toMatch(/^6[0-9](\.\d+)? ?MiB$|^64\.0 ?MB$/);
    expect(Number(setting?.threads)).toBe(1);
    await a.insertSpans([span(0), span(1)]);
    await a.close();
    const b = await TelemetryStore.open(path);
    expect((await b.counts()).spans).toBe(2);
    await b.close();
  });

  it('adds and fills trace_key in a store file written before the column existed', async () => {
    const path = join(dir, 'upgrade', 'telemetry.duckdb');
    const fresh = await TelemetryStore.open(path);
    await fresh.close();
    // Recreate the spans table the way the first release wrote it: no trace_key column (and no schema_version).
    const raw = await DuckDBInstance.create(path);
    const conn = await raw.connect();
    await conn.run('DROP TABLE schema_version');
    await conn.run('DROP TABLE spans');
    await conn.run(`CREATE TABLE spans (trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR,
      trace_state VARCHAR, name VARCHAR, kind UTINYINT, service VARCHAR, start_ns BIGINT, end_ns BIGINT,
      duration_ns BIGINT, status_code UTINYINT, status_message VARCHAR, attributes JSON, resource JSON,
      scope_name VARCHAR, events JSON, links JSON, ingested_ns BIGINT)`);
    await conn.run(
      `INSERT INTO spans VALUES ('ffeeddccbbaa99887766554433221100', '0102030405060708', '', '', 'old', 1,
       'svc', 1, 2, 1, 0, '', '{}', '{}', '', '[]', '[]', 1)`,
    );
    conn.closeSync();
    raw.closeSync();

    const upgraded = await TelemetryStore.open(path);
    await upgraded.insertSpans([span(0)]);
    const rows = await upgraded.query<{ name: string; trace_key: bigint }>(
      'SELECT name, trace_key FROM spans ORDER BY ingested_ns',
    );
    expect(rows[0]).toEqual({ name: 'old', trace_key: 0xffeeddccbbaa9988n });
    expect(rows[1]!.trace_key).toBe(BigInt(`0x${span(0).traceId.slice(0, 16)}`));
    await upgraded.close();
  });

  it('migrates a store written by the previous schema (no envelope columns, no schema_version)', async () => {
    const path = join(dir, 'v1', 'telemetry.duckdb');
    mkdirSync(dirname(path), { recursive: true });
    // The tables exactly as the release before schema_version created them.
    const raw = await DuckDBInstance.create(path);
    const conn = await raw.connect();
    await conn.run(`CREATE TABLE spans (trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR,
      trace_state VARCHAR, name VARCHAR, kind UTINYINT, service VARCHAR, start_ns BIGINT, end_ns BIGINT,
      duration_ns BIGINT, status_code UTINYINT, status_message VARCHAR, attributes JSON, resource JSON,
      scope_name VARCHAR, events JSON, links JSON, ingested_ns BIGINT, trace_key UBIGINT)`);
    await conn.run(`CREATE TABLE logs (time_ns BIGINT, observed_ns BIGINT, severity_number UTINYINT,
      severity_text VARCHAR, body VARCHAR, service VARCHAR, trace_id VARCHAR, span_id VARCHAR, attributes JSON,
      resource JSON, scope_name VARCHAR, ingested_ns BIGINT, event_name VARCHAR)`);
    await conn.run(`CREATE TABLE metric_points (name VARCHAR, description VARCHAR, unit VARCHAR, type VARCHAR,
      service VARCHAR, attributes JSON, resource JSON, scope_name VARCHAR, start_ns BIGINT, time_ns BIGINT,
      temporality UTINYINT, is_monotonic BOOLEAN, value DOUBLE, count UBIGINT, sum DOUBLE, min DOUBLE, max DOUBLE,
      bounds DOUBLE[], bucket_counts UBIGINT[], exp_scale INTEGER, exp_zero_count UBIGINT, exp_pos_offset INTEGER,
      exp_pos_counts UBIGINT[], exp_neg_offset INTEGER, exp_neg_counts UBIGINT[], quantiles JSON, ingested_ns BIGINT)`);
    await conn.run(
      `INSERT INTO spans VALUES ('ffeeddccbbaa99887766554433221100', '0102030405060708', '', '', 'old', 1,
       'svc', 1, 2, 1, 0, '', '{}', '{}', 'old-scope', '[]', '[]', 1, 18441921395520346504)`,
    );
    await conn.run(
      `INSERT INTO logs VALUES (1, 1, 9, 'INFO', 'old log', 'svc', '', '', '{}', '{}', 'pino', 1, '')`,
    );
    await conn.run(
      `INSERT INTO metric_points (name, type, service, ingested_ns, value) VALUES ('old.m', 'gauge', 'svc', 1, 2)`,
    );
    conn.closeSync();
    raw.closeSync();

    for (const writeMode of ['appender', 'insert'] as const) {
      const store = await TelemetryStore.open(path, { writeMode });
      const [version] = await store.query<{ version: number }>('SELECT version FROM schema_version');
      expect(version?.version).toBe(SCHEMA_VERSION);
      // Old rows read back with the new columns' defaults.
      const [oldSpan] = await store.query<Record<string, unknown>>("SELECT * FROM spans WHERE name = 'old'");
      expect(oldSpan).toMatchObject({
        scope_name: 'old-scope',
        scope_version: '',
        scope_attributes: '{}',
        scope_schema_url: '',
        resource_schema_url: '',
        flags: 0,
        dropped_attributes_count: 0,
        dropped_events_count: 0,
        dropped_links_count: 0,
      });
      const [oldLog] = await store.query<Record<string, unknown>>(
        "SELECT * FROM logs WHERE body = 'old log'",
      );
      expect(oldLog).toMatchObject({
        scope_version: '',
        scope_attributes: '{}',
        flags: 0,
        dropped_attributes_count: 0,
      });
      const [oldPoint] = await store.query<Record<string, unknown>>(
        "SELECT * FROM metric_points WHERE name = 'old.m'",
      );
      expect(oldPoint).toMatchObject({ scope_version: '', resource_schema_url: '', flags: 0 });
      // New rows land in the migrated tables with every column in its place.
      await store.insertSpans([span(writeMode === 'appender' ? 1 : 2)]);
      await store.insertLogs([log]);
      await store.insertMetricPoints([histogram]);
      await store.close();
    }
    const store = await TelemetryStore.open(path);
    try {
      await store.compact(); // rewrites each table with the DDL's columns: same order as the migrated ones
      const spans = await store.query<Record<string, unknown>>(
        "SELECT span_id, scope_version, flags, dropped_links_count FROM spans WHERE name <> 'old' ORDER BY span_id",
      );
      expect(spans).toEqual([
        { span_id: 'eee19b7ec3c1b101', scope_version: '1.2.3', flags: 0x301, dropped_links_count: 6 },
        { span_id: 'eee19b7ec3c1b102', scope_version: '1.2.3', flags: 0x301, dropped_links_count: 6 },
      ]);
      const logs = await store.query<Record<string, unknown>>(
        "SELECT event_name, scope_schema_url, dropped_attributes_count FROM logs WHERE body <> 'old log'",
      );
      expect(logs).toEqual([
        { event_name: 'payment.failed', scope_schema_url: 'https://s/scope', dropped_attributes_count: 7 },
        { event_name: 'payment.failed', scope_schema_url: 'https://s/scope', dropped_attributes_count: 7 },
      ]);
      const points = await store.query<Record<string, unknown>>(
        "SELECT resource_schema_url, scope_attributes, flags, bucket_counts FROM metric_points WHERE name <> 'old.m'",
      );
      expect(points).toHaveLength(2);
      expect(points[1]).toEqual({
        resource_schema_url: 'https://s/metric-resource',
        scope_attributes: '{"m":[1]}',
        flags: 1,
        bucket_counts: [3n, 2n, 1n],
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a store file written by a newer schema version instead of appending wrong rows', async () => {
    const path = join(dir, 'newer', 'telemetry.duckdb');
    const fresh = await TelemetryStore.open(path);
    await fresh.close();
    const raw = await DuckDBInstance.create(path);
    const conn = await raw.connect();
    await conn.run(`UPDATE schema_version SET version = ${SCHEMA_VERSION + 1}`);
    conn.closeSync();
    raw.closeSync();
    await expect(TelemetryStore.open(path)).rejects.toThrow(
      /schema version \d+, newer than this observatory/,
    );
  });

  it('close() waits for queries in flight', async () => {
    const store = await TelemetryStore.open(':memory:', { readers: 1 });
    const q1 = store.query<{ n: bigint }>('SELECT count(*) AS n FROM range(2000000)');
    const q2 = store.query<{ n: bigint }>('SELECT 42 AS n');
    const closing = store.close();
    expect((await q1)[0]!.n).toBe(2_000_000n);
    expect((await q2)[0]!.n).toBe(42);
    await closing;
  });
});

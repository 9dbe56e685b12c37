/**
 * A transaction is one span (db-trace.ts): statements are events on it, BEGIN/COMMIT make no span, a slow
 * statement gets a child span, a lone statement gets a span of its own. Every statement is measured in
 * `db.client.operation.duration` and the pools in `db.client.connection.*` (db-telemetry.ts). Against
 * PostgreSQL.
 */

import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db.js';
import { startDbTelemetry, stopDbTelemetry } from '../src/db-telemetry.js';
import { setSlowStatementThreshold } from '../src/db-trace.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';
import { captureTelemetry } from '../src/testing/telemetry.js';

const telemetry = captureTelemetry();
startDbTelemetry();

let database: TestDatabase;
let db: Db;
const tracer = trace.getTracer('test');

/** Runs `fn` inside a root span, as a request handler would. */
function inTrace<T>(fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan('request', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

beforeAll(async () => {
  database = await createTestDatabase('gbdbtrace');
  db = createDb(database.url);
  await db.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
  stopDbTelemetry();
  await telemetry.shutdown();
});
beforeEach(() => {
  setSlowStatementThreshold(100);
  telemetry.reset();
});

const names = () => telemetry.spans().map((s) => s.name);

describe('Db.tx traced as one span', () => {
  it('makes one db.transaction span with its statements as events, none for BEGIN/COMMIT', async () => {
    const before = await operationCount('INSERT');
    const begins = await operationCount('BEGIN');
    await inTrace(() =>
      db.tx(async (q) => {
        await q.query("INSERT INTO items VALUES (1, 'one')");
        await q.query("UPDATE items SET name = 'uno' WHERE id = 1");
        await q.query('SELECT name FROM items WHERE id = $1', [1]);
      }),
    );
    expect(names().sort()).toEqual(['db.transaction', 'request']);
    const root = telemetry.spans().find((s) => s.name === 'request')!;
    const tx = telemetry.spans().find((s) => s.name === 'db.transaction')!;
    expect(tx.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(tx.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(tx.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': database.name,
      'db.operation.name': 'TRANSACTION',
      'server.address': '127.0.0.1',
      'glassbox.db.statement_count': 4,
      'glassbox.db.transaction.outcome': 'commit',
    });
    expect(tx.events.map((e) => e.attributes?.['db.operation.name'])).toEqual([
      'INSERT',
      'UPDATE',
      'SELECT',
      'COMMIT',
    ]);
    expect(tx.events[2]?.attributes?.['db.query.text']).toBe('SELECT name FROM items WHERE id = $1');
    expect(tx.events[0]?.attributes?.['glassbox.db.duration_ms']).toBeGreaterThan(0);
    expect(tx.status.code).toBe(SpanStatusCode.UNSET);
    // No span for the statement, but it is measured (alerts read the histogram), and BEGIN too.
    expect(await operationCount('INSERT')).toBe(before + 1);
    expect(await operationCount('BEGIN')).toBe(begins + 1);
  });

  it('gives a statement slower than the threshold a child span of its own', async () => {
    setSlowStatementThreshold(50);
    await inTrace(() =>
      db.tx(async (q) => {
        await q.query('SELECT pg_sleep(0.08)');
        await q.query('SELECT 1');
      }),
    );
    const tx = telemetry.spans().find((s) => s.name === 'db.transaction')!;
    const slow = telemetry.spans().filter((s) => s.parentSpanContext?.spanId === tx.spanContext().spanId);
    expect(slow.map((s) => [s.name, s.attributes['db.query.text']])).toEqual([
      [`SELECT ${database.name}`, 'SELECT pg_sleep(0.08)'],
    ]);
    expect(tx.events).toHaveLength(3);
  });

  it('marks a transaction that a failed statement rolled back as an error, not one the code rolled back', async () => {
    await db.query("INSERT INTO items VALUES (2, 'two')");
    await expect(
      inTrace(() => db.tx(async (q) => q.query("INSERT INTO items VALUES (2, 'dup')"))),
    ).rejects.toMatchObject({ code: '23505' });
    let tx = telemetry.spans().find((s) => s.name === 'db.transaction')!;
    expect(tx.status.code).toBe(SpanStatusCode.ERROR);
    expect(tx.attributes['error.type']).toBe('23505');
    expect(tx.attributes['glassbox.db.transaction.outcome']).toBe('rollback');
    expect(tx.events[0]?.attributes?.['error.type']).toBe('23505');

    telemetry.reset();
    await expect(
      inTrace(() =>
        db.tx(async (q) => {
          await q.query('SELECT 1');
          throw new Error('out of stock');
        }),
      ),
    ).rejects.toThrow('out of stock');
    tx = telemetry.spans().find((s) => s.name === 'db.transaction')!;
    expect(tx.attributes['glassbox.db.transaction.outcome']).toBe('rollback');
    expect(tx.status.code).toBe(SpanStatusCode.UNSET);
    expect(names().sort()).toEqual(['db.transaction', 'request']);
  });

  it('gives a lone statement a client span of its own, and makes no span outside a trace', async () => {
    await inTrace(() => db.query('SELECT count(*) FROM items'));
    expect(names()).toEqual([`SELECT ${database.name}`, 'request']);
    const span = telemetry.spans()[0]!;
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': database.name,
      'db.operation.name': 'SELECT',
      'db.query.text': 'SELECT count(*) FROM items',
      'server.address': '127.0.0.1',
    });
    telemetry.reset();
    await db.tx(async (q) => q.query('SELECT 1'));
    await db.query('SELECT 1');
    expect(names()).toEqual([]);
  });

  it('marks a lone statement that failed with its SQLSTATE, on the span and the metric', async () => {
    const failures = () => operationCount('SELECT', '22012');
    const before = await failures();
    await expect(inTrace(() => db.query('SELECT 1/0'))).rejects.toMatchObject({ code: '22012' });
    const span = telemetry.spans().find((s) => s.name !== 'request')!;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('22012');
    expect(await failures()).toBe(before + 1);
  });
});

describe('statement and pool metrics', () => {
  it('measures statements outside a trace too', async () => {
    const before = await operationCount('SELECT');
    await db.query('SELECT 1');
    await db.tx(async (q) => q.query('SELECT 2'));
    expect(await operationCount('SELECT')).toBe(before + 2);
  });

  it("does not count the wait for a connection as the statement's time", async () => {
    const small = createDb(database.url, { max: 1 });
    try {
      const before = await slowSelects();
      const held = small.tx(async (q) => {
        await q.query('SELECT pg_sleep(0.3)');
      });
      // Queued behind the transaction for ~0.3 s, then run in far less than 0.1 s.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await small.query('SELECT 42');
      await held;
      expect(await operationCount('SELECT')).toBeGreaterThan(0);
      // Of the two SELECTs, only the sleep took 0.1 s or more.
      expect((await slowSelects()) - before).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('drops a connection whose lone statement failed, as pool.query does', async () => {
    const small = createDb(database.url, { max: 2 });
    try {
      await small.query('SELECT 1');
      expect(small.pool.totalCount).toBe(1);
      await expect(small.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
      expect(small.pool.totalCount).toBe(0);
    } finally {
      await small.close();
    }
  });

  it("reports the pools' connections per pool name, summing the pools of one database", async () => {
    const second = createDb(database.url, { max: 3 });
    const name = `127.0.0.1:${new URL(database.url).port || 5432}/${database.name}`;
    const connections = async (metric: string, where: Record<string, string> = {}) =>
      telemetry.sum(metric, { 'db.client.connection.pool.name': name, ...where });
    try {
      let release!: () => void;
      const holding = second.tx(async (q) => {
        await q.query('SELECT 1');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
      await waitUntil(() => release !== undefined);
      await db.query('SELECT 1'); // the first pool has an idle connection now
      expect(await connections('db.client.connection.count', { 'db.client.connection.state': 'used' })).toBe(
        1,
      );
      expect(await connections('db.client.connection.count', { 'db.client.connection.state': 'idle' })).toBe(
        db.pool.idleCount + second.pool.idleCount,
      );
      expect(await connections('db.client.connection.max')).toBe(10 + 3);
      expect(await connections('db.client.connection.pending_requests')).toBe(0);
      release();
      await holding;
      expect(await connections('db.client.connection.count', { 'db.client.connection.state': 'used' })).toBe(
        0,
      );
    } finally {
      await second.close();
    }
    // A closed pool is no longer reported.
    expect(await connections('db.client.connection.max')).toBe(10);
  });

  it('records nothing while database telemetry is off', async () => {
    const small = createDb(database.url, { max: 1 });
    stopDbTelemetry();
    try {
      const before = await operationCount('SELECT');
      await inTrace(() => small.query('SELECT 1'));
      expect(await operationCount('SELECT')).toBe(before);
      expect(names()).toEqual(['request']);
    } finally {
      startDbTelemetry();
      await small.close();
    }
  });
});

/** SELECTs measured at 0.1 s or more (the histogram's buckets above 0.1 s). */
async function slowSelects(): Promise<number> {
  const points = (await telemetry.points('db.client.operation.duration')) as DataPoint<Histogram>[];
  let n = 0;
  for (const p of points) {
    if (p.attributes['db.operation.name'] !== 'SELECT') continue;
    const { boundaries, counts } = p.value.buckets;
    n += counts.slice(boundaries.indexOf(0.1) + 1).reduce((a, c) => a + c, 0);
  }
  return n;
}

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met');
}

/** Statements of `operation` measured so far (failed with `errorType`, or succeeded when none is given). */
async function operationCount(operation: string, errorType?: string): Promise<number> {
  const points = (await telemetry.points('db.client.operation.duration')) as DataPoint<Histogram>[];
  return points
    .filter((p) => p.attributes['db.operation.name'] === operation)
    .filter((p) => p.attributes['error.type'] === errorType)
    .reduce((n, p) => n + p.value.count, 0);
}

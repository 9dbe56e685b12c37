/**
 * A transaction is one span (db-trace.ts): statements are events on it, BEGIN/COMMIT make no span, the pg
 * instrumentation makes none inside it (yet still measures every statement), a slow statement gets a child
 * span, a lone statement keeps its pg span. Runs the real pg instrumentation against PostgreSQL.
 */

import { SpanStatusCode, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db.js';
import type { TestDatabase } from '../src/testing/index.js';
import { captureTelemetry } from '../src/testing/telemetry.js';

// The instrumentation must patch pg before db.ts loads it: register first, import after.
const telemetry = captureTelemetry();
const unregister = registerInstrumentations({
  instrumentations: [new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true })],
});
const { createDb } = await import('../src/db.js');
const { setSlowStatementThreshold } = await import('../src/db-trace.js');
const { createTestDatabase } = await import('../src/testing/index.js');

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
  unregister();
  await telemetry.shutdown();
});
beforeEach(() => {
  setSlowStatementThreshold(100);
  telemetry.reset();
});

const names = () => telemetry.spans().map((s) => s.name);

describe('Db.tx traced as one span', () => {
  it('makes one db.transaction span with its statements as events, none for BEGIN/COMMIT or pg', async () => {
    const before = await operationCount('INSERT');
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
    // The pg instrumentation made no span, but still measured the statement (alerts read the histogram).
    expect(await operationCount('INSERT')).toBe(before + 1);
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

  it('keeps the pg span of a lone statement, and makes no span outside a trace', async () => {
    await inTrace(() => db.query('SELECT count(*) FROM items'));
    expect(names()).toEqual([expect.stringMatching(/SELECT /), 'request']);
    telemetry.reset();
    await db.tx(async (q) => q.query('SELECT 1'));
    await db.query('SELECT 1');
    expect(names()).toEqual([]);
  });
});

async function operationCount(operation: string): Promise<number> {
  const points = (await telemetry.points('db.client.operation.duration')) as DataPoint<Histogram>[];
  return points
    .filter((p) => p.attributes['db.operation.name'] === operation)
    .reduce((n, p) => n + p.value.count, 0);
}

/**
 * pg-boss's SQL is the bus's plumbing, not part of a request's trace: publishing and consuming inside a trace
 * make the bus's own spans (`send`, `process`) and no span for pg-boss's statements (its lookups, inserts,
 * claims, BEGIN/COMMIT), while every one of them is measured under the bus database's namespace
 * (db-telemetry.ts), and pg-boss's pool is reported with the others. Against PostgreSQL.
 */
import { trace } from '@opentelemetry/api';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEventCatalog } from '../../src/bus/events.js';
import { createPostgresBus } from '../../src/bus/postgres-bus.js';
import type { Bus } from '../../src/bus/types.js';
import { startDbTelemetry, stopDbTelemetry } from '../../src/db-telemetry.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';
import { logger, ping, TEST_TYPES, waitFor } from './contract.js';

const telemetry = captureTelemetry();
startDbTelemetry();

let database: TestDatabase;
let bus: Bus;

beforeAll(async () => {
  database = await createTestDatabase('gbbustrace');
  bus = await createPostgresBus({ url: database.url, logger, catalog: createEventCatalog(TEST_TYPES) });
});
afterAll(async () => {
  await bus?.close();
  await database?.drop();
  stopDbTelemetry();
  await telemetry.shutdown();
});

/** Statements measured on the bus's database. */
async function statementsMeasured(): Promise<number> {
  const points = (await telemetry.points('db.client.operation.duration')) as DataPoint<Histogram>[];
  return points
    .filter((p) => p.attributes['db.namespace'] === database.name)
    .reduce((n, p) => n + p.value.count, 0);
}

it('publishing and consuming in a trace make the bus spans and no statement span, yet the publish is measured', async () => {
  const seen: number[] = [];
  // The handler's own work is traced as usual: a span it makes is a child of `process`.
  await bus.subscribe({
    group: 'trace-test',
    types: ['test.ping'],
    handle: async (event) => {
      trace.getTracer('test').startSpan('handler work').end();
      seen.push((event.data as { n: number }).n);
    },
  });
  telemetry.reset();
  const before = await statementsMeasured();
  await trace.getTracer('test').startActiveSpan('request', async (span) => {
    await bus.publish([ping(1), ping(2)]);
    span.end();
  });
  // The publish's statement (pg-boss's insert, a `WITH`) was measured.
  expect((await statementsMeasured()) - before).toBeGreaterThanOrEqual(1);
  await waitFor(() => seen.length === 2, 'both events to be consumed');
  // What follows the handlers (pg-boss completing the jobs) must not add a span either.
  await new Promise((resolve) => setTimeout(resolve, 300));

  // Exactly the bus's own spans (a `create` per message), the request's and the handlers': none for pg-boss's SQL.
  const names = telemetry.spans().map((s) => s.name.split(' ')[0]);
  expect(names.sort()).toEqual([
    'create',
    'create',
    'handler',
    'handler',
    'process',
    'process',
    'request',
    'send',
  ]);
  const pgBossPool = await telemetry.sum('db.client.connection.max', {
    'db.client.connection.pool.name': `127.0.0.1:${new URL(database.url).port || 5432}/${database.name}`,
  });
  expect(pgBossPool).toBe(4);
});

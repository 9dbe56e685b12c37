/**
 * pg-boss's SQL is the bus's plumbing, not part of a request's trace: publishing and consuming inside a trace
 * make the bus's own spans (`send`, `process`) and no pg span for pg-boss's statements (its lookups, inserts,
 * claims, BEGIN/COMMIT), while the pg instrumentation still measures those run inside the trace. Runs the
 * real pg instrumentation against PostgreSQL.
 */
import { trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/types.js';
import type { TestDatabase } from '../../src/testing/index.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';
import { logger, ping, TEST_TYPES, waitFor } from './contract.js';

// The instrumentation must patch pg before pg-boss loads it: register first, import after.
const telemetry = captureTelemetry();
const unregister = registerInstrumentations({
  instrumentations: [new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true })],
});
const { createPostgresBus } = await import('../../src/bus/postgres-bus.js');
const { createEventCatalog } = await import('../../src/bus/events.js');
const { createTestDatabase } = await import('../../src/testing/index.js');

let database: TestDatabase;
let bus: Bus;

beforeAll(async () => {
  database = await createTestDatabase('gbbustrace');
  bus = await createPostgresBus({ url: database.url, logger, catalog: createEventCatalog(TEST_TYPES) });
});
afterAll(async () => {
  await bus?.close();
  await database?.drop();
  unregister();
  await telemetry.shutdown();
});

async function statementsMeasured(): Promise<number> {
  const points = (await telemetry.points('db.client.operation.duration')) as DataPoint<Histogram>[];
  return points.reduce((n, p) => n + p.value.count, 0);
}

it('publishing and consuming in a trace make the bus spans and no pg span, yet the publish is measured', async () => {
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
  // The publish's statement ran inside the trace: measured (the instrumentation measures only those).
  expect((await statementsMeasured()) - before).toBeGreaterThanOrEqual(1);
  await waitFor(() => seen.length === 2, 'both events to be consumed');
  // What follows the handlers (pg-boss completing the jobs) must not add a span either.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const names = telemetry.spans().map((s) => s.name);
  expect(names).toContain('request');
  expect(names.filter((n) => n.startsWith('send '))).toHaveLength(1);
  expect(names.filter((n) => n.startsWith('process '))).toHaveLength(2);
  expect(names.filter((n) => n === 'handler work')).toHaveLength(2);
  const pgSpans = telemetry.spans().filter((s) => s.instrumentationScope.name.includes('instrumentation-pg'));
  expect(pgSpans.map((s) => s.name)).toEqual([]);
});

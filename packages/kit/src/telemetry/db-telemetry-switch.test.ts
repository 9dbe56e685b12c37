/**
 * `pg` among OTEL_NODE_DISABLED_INSTRUMENTATIONS turns the kit's database telemetry off (db-telemetry.ts), as
 * it turned the pg instrumentation off before; by default services have it on (the e2e shop test reads
 * `db_client_operation_duration` from a running service's /metrics).
 */
import { afterAll, expect, it } from 'vitest';
import { dbTelemetryOn } from '../db-telemetry.js';
import { startTelemetry, type Telemetry } from './index.js';

let telemetry: Telemetry | undefined;
afterAll(async () => {
  await telemetry?.shutdown();
});

it('leaves database telemetry off when pg is disabled', async () => {
  expect(dbTelemetryOn()).toBe(false);
  telemetry = await startTelemetry({
    serviceName: 'db-switch-test',
    env: {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
    },
  });
  expect(dbTelemetryOn()).toBe(false);
  expect(await telemetry.prometheusText()).not.toContain('db_client_connection_max');
});

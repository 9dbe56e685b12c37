/**
 * `http` and `pg` among OTEL_NODE_DISABLED_INSTRUMENTATIONS turn the kit's HTTP and database telemetry off
 * (http-telemetry.ts, db-telemetry.ts), as they turned the HTTP and pg instrumentations off before. By default
 * services have both on: the e2e shop test reads `http_server_request_duration` and
 * `db_client_operation_duration` from running services' /metrics, and the process tests read `traceresponse`.
 */
import { afterAll, expect, it } from 'vitest';
import { dbTelemetryOn } from '../db-telemetry.js';
import { httpTelemetryOn } from '../http-telemetry.js';
import { startTelemetry, type Telemetry } from './index.js';

let telemetry: Telemetry | undefined;
afterAll(async () => {
  await telemetry?.shutdown();
});

it('leaves HTTP and database telemetry off when http and pg are disabled', async () => {
  expect(dbTelemetryOn()).toBe(false);
  expect(httpTelemetryOn()).toBe(false);
  telemetry = await startTelemetry({
    serviceName: 'switch-test',
    env: {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http,pg',
    },
  });
  expect(dbTelemetryOn()).toBe(false);
  expect(httpTelemetryOn()).toBe(false);
  expect(await telemetry.prometheusText()).not.toContain('db_client_connection_max');
});

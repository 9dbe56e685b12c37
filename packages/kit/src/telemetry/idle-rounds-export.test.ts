/**
 * The kit's telemetry, as a service starts it, exports a periodic worker's busy rounds and not its idle ones:
 * startTelemetry against an OTLP/HTTP JSON sink on loopback.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { createPeriodicWorker } from '../worker/periodic-worker.js';
import { startTelemetry, type Telemetry } from './index.js';

const received: { name: string; attributes: { key: string }[] }[] = [];
const sink = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/v1/traces') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: { name: string; attributes: { key: string }[] }[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
let telemetry: Telemetry;

beforeAll(async () => {
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  telemetry = await startTelemetry({
    serviceName: 'idle-rounds-test',
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
});
afterAll(async () => {
  await telemetry?.shutdown();
  sink.close();
});

it("exports a worker's busy rounds and nothing of its idle ones", async () => {
  let found = 0;
  const worker = createPeriodicWorker<number>({
    name: 'test.poll',
    intervalMs: 60_000,
    logger: createLogger('idle-rounds-test', 'silent'),
    run: async () => found,
    idle: (n) => n === 0,
    describe: (n) => ({ 'glassbox.test.found': n }),
  });
  await worker.runOnce();
  await worker.runOnce();
  found = 3;
  await worker.runOnce();
  await worker.stop();
  await telemetry.shutdown(); // flushes the batch to the sink
  const rounds = received.filter((s) => s.name === 'test.poll');
  expect(rounds).toHaveLength(1);
  expect(rounds[0]?.attributes.map((a) => a.key)).toContain('glassbox.test.found');
  expect(rounds[0]?.attributes.map((a) => a.key)).not.toContain('glassbox.worker.idle');
});

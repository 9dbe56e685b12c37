/**
 * A development server for the console: the real query API (`queryRoutes`) over an in-memory
 * TelemetryStore filled with synthetic shop telemetry for the last hour, plus live traffic, and
 * the built console from web/dist. For working on the UI without the whole stack:
 *
 *   npm run build -w @glassbox/observatory
 *   node --import tsx observatory/web/test/dev-server.ts        # DEV_PORT=3300 by default
 *
 * or run `vite web` (from observatory/) with OBSERVATORY_URL=http://127.0.0.1:3300 for hot reload.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import { jaegerRoutes, queryRoutes } from '../../server/src/query/index.js';
import { SelfStats } from '../../server/src/self/index.js';
import { TelemetryStore } from '../../server/src/store/index.js';
import { generateTrace, MetricAccumulator, mulberry32, type Telemetry } from './demo-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');

export interface DevServer {
  url: string;
  store: TelemetryStore;
  close(): Promise<void>;
}

export async function startDevServer(
  options: { port?: number; minutes?: number; live?: boolean; seed?: number } = {},
): Promise<DevServer> {
  const minutes = options.minutes ?? 60;
  const rng = mulberry32(options.seed ?? 42);
  const store = await TelemetryStore.open(':memory:');
  const self = new SelfStats({ storeMaxBytes: 512 * 1024 * 1024, retentionHours: 24 });

  const write = async (t: Telemetry, points: Awaited<ReturnType<MetricAccumulator['collect']>> = []) => {
    if (t.spans.length) await store.insertSpans(t.spans);
    if (t.logs.length) await store.insertLogs(t.logs);
    if (points.length) await store.insertMetricPoints(points);
    self.recordAccepted('spans', t.spans.length);
    self.recordAccepted('logs', t.logs.length);
    self.recordAccepted('metricPoints', points.length);
  };

  // History: about one request per second, an incident (slow, failing payments) 25–20 min ago.
  const now = Date.now();
  const start = now - minutes * 60_000;
  const metrics = new MetricAccumulator(start);
  for (let windowStart = start; windowStart < now; windowStart += 10_000) {
    const batch: Telemetry = { spans: [], logs: [] };
    const minutesAgo = (now - windowStart) / 60_000;
    const incident = minutesAgo <= 25 && minutesAgo >= 20;
    const n = 6 + Math.floor(rng() * 8);
    for (let i = 0; i < n; i++) {
      const t = generateTrace(rng, windowStart + rng() * 10_000, incident);
      batch.spans.push(...t.spans);
      batch.logs.push(...t.logs);
    }
    metrics.record(batch.spans);
    await write(batch, metrics.collect(windowStart + 10_000, rng));
  }
  self.setStoreBytes(await store.sizeBytes());

  const app = Fastify({ logger: false });
  await app.register(queryRoutes, { prefix: '/api', store, selfStats: self });
  await app.register(jaegerRoutes, { prefix: '/jaeger/api', store });
  if (existsSync(dist)) {
    await app.register(fastifyStatic, { root: dist });
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).type('application/problem+json').send({ title: 'Not Found', status: 404 });
    });
  }
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  // Live traffic: a couple of requests a second, metrics every 10 s.
  let timer: NodeJS.Timeout | undefined;
  let metricTimer: NodeJS.Timeout | undefined;
  if (options.live ?? true) {
    timer = setInterval(() => {
      const batch: Telemetry = { spans: [], logs: [] };
      for (let i = 0; i < 1 + Math.floor(rng() * 3); i++) {
        const t = generateTrace(rng, Date.now() - 800 + rng() * 200);
        batch.spans.push(...t.spans);
        batch.logs.push(...t.logs);
      }
      metrics.record(batch.spans);
      void write(batch);
    }, 1000);
    metricTimer = setInterval(() => {
      void write({ spans: [], logs: [] }, metrics.collect(Date.now(), rng)).then(async () =>
        self.setStoreBytes(await store.sizeBytes()),
      );
    }, 10_000);
  }

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    async close() {
      clearInterval(timer);
      clearInterval(metricTimer);
      await app.close();
      await store.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startDevServer({
    port: Number(process.env.DEV_PORT ?? 3300),
    minutes: Number(process.env.DEV_MINUTES ?? 60),
    live: process.env.DEV_LIVE !== 'false',
  });
  console.log(
    `console dev server on ${server.url} (dist ${existsSync(dist) ? 'found' : 'missing: build first'})`,
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

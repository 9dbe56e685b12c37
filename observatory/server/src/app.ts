import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type * as grpc from '@grpc/grpc-js';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { AlertingService } from './alerting/alerting-service.js';
import { alertingRoutes } from './alerting/routes.js';
import type { ObservatoryConfig } from './config.js';
import { faultRoutes } from './faults/routes.js';
import { bindGrpc, createOtlpGrpcServer, shutdownGrpc } from './ingest/grpc.js';
import { otlpHttpRoutes } from './ingest/http.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { tailSamplingMetricsText } from './ingest/tail-sampler.js';
import { jaegerRoutes, queryRoutes } from './query/index.js';
import { remediationRoutes } from './remediations/routes.js';
import { selfMetricsText } from './self/prometheus-text.js';
import { SelfStats } from './self/self-stats.js';
import { Retention } from './store/retention.js';
import { TelemetryStore } from './store/telemetry-store.js';
import { WriteQueue } from './store/write-queue.js';

export interface Observatory {
  /** Console (static), query API under `/api`, Jaeger API under `/jaeger/api` (+ OTLP/HTTP if configured). */
  app: FastifyInstance;
  /** OTLP/HTTP receiver for its own port. */
  otlpHttpApp: FastifyInstance;
  /** OTLP/gRPC receiver (not bound yet). */
  grpcServer: grpc.Server;
  store: TelemetryStore;
  queue: WriteQueue;
  pipeline: IngestPipeline;
  selfStats: SelfStats;
  retention: Retention;
  /** Embedded alerting (null when off); its loop starts with `listenObservatory`. */
  alerting: AlertingService | null;
  /** Writes every queued row now (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops listeners and timers, writes what is queued, closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Fastify logger setting; default a pino logger at `config.logLevel`. */
  logger?: boolean | { level: string };
}

export interface BoundPorts {
  port: number;
  otlpHttpPort: number;
  otlpGrpcPort: number;
}

/** How often the store size shown by /api/self is refreshed (retention refreshes it too). */
const SIZE_REFRESH_MS = 5000;

/** Serves the built console at `/`; false when it is not built. */
function registerConsole(app: FastifyInstance, webDist: string): boolean {
  if (!existsSync(join(webDist, 'index.html'))) {
    app.log.info(
      { webDist },
      'console not built; serving the API only (npm run build -w @glassbox/observatory)',
    );
    return false;
  }
  void app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: false, index: 'index.html' });
  // SPA fallback: unknown GET paths outside the APIs get the console's index.html.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?', 1)[0]!;
    const isApi =
      path.startsWith('/api/') ||
      path.startsWith('/jaeger/') ||
      path.startsWith('/v1/') ||
      path.startsWith('/prometheus/');
    if ((req.method === 'GET' || req.method === 'HEAD') && !isApi) {
      return reply.type('text/html').sendFile('index.html');
    }
    return reply
      .code(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: `no route ${req.method} ${path}`,
      });
  });
  return true;
}

/**
 * The embedded evaluator, when alerting is on and the rule files are there (a missing default folder — an
 * observatory run outside the repository — turns it off with a log line; a folder set explicitly must exist).
 * Throws RuleFileError on a bad rule file.
 */
function alertingFor(
  config: ObservatoryConfig,
  store: TelemetryStore,
  selfStats: SelfStats,
  log: FastifyBaseLogger,
): AlertingService | null {
  if (!config.alerting) return null;
  if (!config.rulesDirExplicit && !existsSync(config.rulesDir)) {
    log.info({ rulesDir: config.rulesDir }, 'no rule files; embedded alerting is off');
    return null;
  }
  return new AlertingService(
    {
      rulesDir: config.rulesDir,
      intervalMs: config.alertIntervalMs,
      timeScale: config.timeScale,
      webhooks: config.alertWebhooks,
      alertmanagerUrl: config.alertmanagerUrl,
      controlUrl: config.controlUrl,
      externalUrl: config.externalUrl ?? `http://${config.host}:${config.port}`,
      historyLimit: config.alertHistory,
      maxKeepMs: config.retentionHours * 3_600_000,
    },
    { store, selfSnapshot: () => selfStats.snapshot(), log },
  );
}

/** Wires the observatory without listening (tests use `app.inject()` or `listenObservatory`). */
export async function buildObservatory(
  config: ObservatoryConfig,
  options: BuildOptions = {},
): Promise<Observatory> {
  const logger = options.logger ?? { level: config.logLevel };
  const store = await TelemetryStore.open(config.dbPath, {
    memoryLimit: config.duckdbMemoryLimit,
    threads: config.duckdbThreads,
    walAutocheckpoint: config.duckdbWalCheckpoint,
  });
  const selfStats = new SelfStats({ storeMaxBytes: config.maxBytes, retentionHours: config.retentionHours });

  // Every OTLP export and every console poll is a request: logging each at info would drown the terminal
  // of `glassbox start`. Failures are still logged by the error handlers; the counts are in /api/self.
  const quiet = { disableRequestLogging: true } as const;
  const app = Fastify({ logger, bodyLimit: config.maxBodyBytes, logController: new LogController(quiet) });
  const otlpHttpApp = Fastify({
    logger,
    bodyLimit: config.maxBodyBytes,
    logController: new LogController(quiet),
  });
  const log: FastifyBaseLogger = app.log;

  const queue = new WriteQueue(
    store,
    {
      maxRows: config.queueMaxRows,
      maxBytes: config.queueMaxBytes,
      flushRows: config.flushRows,
      flushIntervalMs: config.flushIntervalMs,
    },
    {
      onWriteFailed: (counts, err) => {
        for (const [signal, n] of Object.entries(counts) as [keyof typeof counts, number][]) {
          if (n > 0) selfStats.recordDropped(signal, n);
        }
        log.error({ err, counts }, 'telemetry write failed; rows dropped');
      },
    },
  );
  selfStats.attach({
    queueDepth: () => queue.depth,
    queueBytes: () => queue.bytes,
    queueLimit: () => ({ rows: queue.limits.maxRows, bytes: queue.limits.maxBytes }),
    storeFileBytes: () => store.fileBytes(),
  });
  const pipeline = new IngestPipeline(queue, selfStats, {
    retryAfterSeconds: config.retryAfterSeconds,
    ...(config.tailSampling ? { tailSampling: config.tailSampling } : {}),
  });
  // Tail sampling: traces quiet for idleMs are decided on a timer (a quarter of that, at most every second).
  const tailSampler = pipeline.tailSampler;
  const tailTimer = tailSampler
    ? setInterval(() => tailSampler.sweep(), Math.min(1_000, Math.max(5, tailSampler.settings.idleMs / 4)))
    : undefined;
  tailTimer?.unref();
  if (tailSampler) log.info({ tailSampling: tailSampler.settings }, 'tail-based sampling of traces on');

  const retention = new Retention(
    store,
    {
      retentionHours: config.retentionHours,
      maxBytes: config.maxBytes,
      intervalMs: config.retentionIntervalMs,
    },
    {
      onEvicted: (counts) => selfStats.recordEvicted(counts),
      onSize: (bytes) => selfStats.setStoreBytes(bytes),
      onError: (err) => log.error({ err }, 'retention pass failed'),
    },
  );

  const otlpOptions = {
    pipeline,
    maxBodyBytes: config.maxBodyBytes,
    maxDecompressedBytes: config.maxDecompressedBytes,
    maxInFlight: config.maxInFlightRequests,
  };
  await otlpHttpApp.register(otlpHttpRoutes, otlpOptions);
  if (config.otlpOnConsolePort) await app.register(otlpHttpRoutes, otlpOptions);
  // `/metrics` is both the console's metrics explorer (a browser asks for HTML) and the observatory's own
  // Prometheus metrics (a scraper asks for text).
  let consoleBuilt = false;
  app.get('/metrics', async (request, reply) => {
    if (consoleBuilt && (request.headers.accept ?? '').includes('text/html')) {
      return reply.type('text/html').sendFile('index.html');
    }
    const text = selfMetricsText(selfStats.snapshot());
    const tail = pipeline.tailSampler ? tailSamplingMetricsText(pipeline.tailSampler.stats()) : '';
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text + tail);
  });
  await app.register(queryRoutes, { prefix: '/api', store, selfStats });
  await app.register(faultRoutes, { prefix: '/api', store, controlUrl: config.controlUrl });
  await app.register(jaegerRoutes, { prefix: '/jaeger/api', store, selfStats });
  const alerting = alertingFor(config, store, selfStats, log);
  await app.register(alertingRoutes, { alerting, runbooksDir: config.runbooksDir });
  await app.register(remediationRoutes, { healerUrl: config.healerUrl });
  consoleBuilt = registerConsole(app, config.webDist);

  const grpcServer = createOtlpGrpcServer({
    pipeline,
    maxMessageBytes: config.maxDecompressedBytes,
    maxConcurrentStreams: 100,
  });

  const refreshSize = async () => {
    try {
      selfStats.setStoreBytes(await store.sizeBytes());
    } catch (err) {
      log.warn({ err }, 'could not measure store size');
    }
  };
  await refreshSize();
  const sizeTimer = setInterval(() => void refreshSize(), SIZE_REFRESH_MS);
  sizeTimer.unref();
  retention.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sizeTimer);
      await alerting?.close();
      await Promise.all([app.close(), otlpHttpApp.close(), shutdownGrpc(grpcServer)]);
      // What the tail sampler still holds is decided now (kept traces are written before the queue closes).
      if (tailTimer) clearInterval(tailTimer);
      tailSampler?.flushAll();
      if (tailSampler) log.info({ tailSampling: tailSampler.stats() }, 'tail sampling at shutdown');
      await retention.stop();
      await queue.close();
      await store.close();
    })();
    return closing;
  };

  return {
    app,
    otlpHttpApp,
    grpcServer,
    store,
    queue,
    pipeline,
    selfStats,
    retention,
    alerting,
    flush: () => queue.flush(),
    close,
  };
}

/** Binds the three listeners on `config.host` (port 0 = any free port) and returns the ports. */
export async function listenObservatory(obs: Observatory, config: ObservatoryConfig): Promise<BoundPorts> {
  await obs.app.listen({ host: config.host, port: config.port });
  await obs.otlpHttpApp.listen({ host: config.host, port: config.otlpHttpPort });
  const otlpGrpcPort = await bindGrpc(obs.grpcServer, config.host, config.otlpGrpcPort);
  obs.alerting?.start();
  const portOf = (app: FastifyInstance) => {
    const a = app.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  return { port: portOf(obs.app), otlpHttpPort: portOf(obs.otlpHttpApp), otlpGrpcPort };
}

import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { dependencyGraph } from './dependencies.js';
import { LatencyTracker } from './latency.js';
import { type LogFilter, searchLogs } from './logs.js';
import { listMetricPoints, listMetrics, parseGroupBy, queryMetric } from './metrics.js';
import {
  LogsQuery,
  MetricPointsQuery,
  MetricQuery,
  parseAttrs,
  parseSeverity,
  RangeQuery,
  RedQuery,
  resolveRange,
  resolveStep,
  ServiceParams,
  TailQuery,
  TraceParams,
  TraceQuery,
  TracesQuery,
} from './params.js';
import { problem, problemErrorHandler, QueryError, refuseNonFiniteQuery, sendProblem } from './problem.js';
import { redByRoute, redByService } from './red.js';
import { LogTailCursor, SseTail, type TailOptions } from './tail.js';
import { getTrace, listOperations, listServices, searchTraces } from './traces.js';
import type { QueryStore } from './types.js';

/** What /api/self reads: the ingest side's SelfStats (observatory/server/src/self) fits this shape. */
export interface SelfStatsSource {
  snapshot(): object;
  recordQueryLatency(ms: number): void;
}

export interface QueryRoutesOptions {
  store: QueryStore;
  /** Ingest-side self-observability; the query handlers' latencies are recorded into it too. */
  selfStats?: SelfStatsSource;
  /** Where handler latencies go when there is no selfStats (and also when there is). */
  latency?: LatencyTracker;
  /** Live-tail tuning (tests poll faster). */
  tail?: Partial<TailOptions> & { maxTails?: number };
  /** Clock for default time ranges (tests pin it). */
  now?: () => number;
}

const DEFAULT_TAIL: TailOptions = { pollMs: 500, heartbeatMs: 15_000, maxBufferedBytes: 1 << 20 };

/**
 * Records every handler's latency (except the long-lived tail) into the tracker and selfStats.
 * Exported for the Jaeger plugin, which shares the numbers.
 */
export function trackLatency(
  app: FastifyInstance,
  latency: LatencyTracker,
  selfStats?: SelfStatsSource,
): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.config && (request.routeOptions.config as { untracked?: boolean }).untracked)
      return;
    const ms = reply.elapsedTime;
    latency.record(ms);
    selfStats?.recordQueryLatency(ms);
  });
}

/**
 * The observatory query API (observatory/API.md), registered by app.ts under `/api`. Read-only: every
 * query goes through `store.query()` with bound parameters.
 */
export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, opts) => {
  const { store, selfStats } = opts;
  const latency = opts.latency ?? new LatencyTracker();
  const now = opts.now ?? Date.now;
  const tailOptions: TailOptions = { ...DEFAULT_TAIL, ...opts.tail };
  const maxTails = opts.tail?.maxTails ?? 32;
  const tails = new Set<SseTail>();

  app.setErrorHandler(problemErrorHandler);
  app.addHook('preHandler', refuseNonFiniteQuery);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('NOT_FOUND', `no route ${request.method} ${request.url}`, request.url)),
  );
  trackLatency(app, latency, selfStats);
  app.addHook('preClose', async () => {
    for (const t of tails) t.stop();
  });

  app.get<{ Querystring: RangeQuery }>(
    '/services',
    { schema: { querystring: RangeQuery } },
    async (request) => {
      const q = request.query;
      const range = q.start === undefined && q.end === undefined ? undefined : resolveRange(q, now());
      return { services: await listServices(store, range) };
    },
  );

  app.get<{ Params: ServiceParams }>(
    '/services/:service/operations',
    { schema: { params: ServiceParams } },
    async (request) => ({ operations: await listOperations(store, request.params.service) }),
  );

  app.get<{ Querystring: TracesQuery }>(
    '/traces',
    { schema: { querystring: TracesQuery } },
    async (request) => {
      const q = request.query;
      if (
        q.minDurationMs !== undefined &&
        q.maxDurationMs !== undefined &&
        q.maxDurationMs < q.minDurationMs
      ) {
        throw new QueryError('BAD_PARAMETER', 'querystring.maxDurationMs: must not be below minDurationMs', [
          { path: 'querystring.maxDurationMs', message: 'must not be below minDurationMs' },
        ]);
      }
      const traces = await searchTraces(store, {
        range: resolveRange(q, now()),
        service: q.service,
        operation: q.operation,
        attrs: parseAttrs(q.attr),
        minDurationMs: q.minDurationMs,
        maxDurationMs: q.maxDurationMs,
        errorsOnly: q.errorsOnly,
        limit: q.limit,
      });
      return { traces };
    },
  );

  app.get<{ Params: TraceParams; Querystring: TraceQuery }>(
    '/traces/:traceId',
    { schema: { params: TraceParams, querystring: TraceQuery } },
    async (request) => {
      const traceId = request.params.traceId.toLowerCase();
      const { start, end } = request.query;
      const hint =
        start === undefined && end === undefined
          ? undefined
          : resolveRange({ start: start ?? 0, end: end ?? now() + 86_400_000 }, now());
      const spans = await getTrace(store, traceId, hint);
      if (spans.length === 0) throw new QueryError('NOT_FOUND', `trace ${traceId} not found`);
      return { traceId, spans };
    },
  );

  const logFilter = (q: TailQuery): LogFilter => ({
    q: q.q,
    minSeverity: parseSeverity(q.severity),
    service: q.service,
    traceId: q.traceId,
    attrs: parseAttrs(q.attr),
  });

  app.get<{ Querystring: LogsQuery }>('/logs', { schema: { querystring: LogsQuery } }, async (request) => {
    const q = request.query;
    return { logs: await searchLogs(store, logFilter(q), resolveRange(q, now()), q.limit) };
  });

  app.get<{ Querystring: TailQuery }>(
    '/logs/tail',
    { schema: { querystring: TailQuery } },
    async (request, reply) => {
      const filter = logFilter(request.query);
      if (tails.size >= maxTails) {
        throw new QueryError('TOO_MANY_TAILS', `at most ${maxTails} live tails may be open; close one first`);
      }
      const cursor = new LogTailCursor(store, filter);
      await cursor.start();
      const tail = new SseTail(request, reply, cursor, tailOptions);
      tails.add(tail);
      reply.hijack();
      await tail.run();
      tails.delete(tail);
    },
  );

  app.get<{ Querystring: RangeQuery }>(
    '/metrics',
    { schema: { querystring: RangeQuery } },
    async (request) => {
      const q = request.query;
      const range = q.start === undefined && q.end === undefined ? undefined : resolveRange(q, now());
      return { metrics: await listMetrics(store, range) };
    },
  );

  app.get<{ Querystring: MetricPointsQuery }>(
    '/metrics/points',
    { schema: { querystring: MetricPointsQuery } },
    async (request) => {
      const q = request.query;
      return {
        points: await listMetricPoints(store, {
          name: q.name,
          range: resolveRange(q, now()),
          service: q.service,
          attrs: parseAttrs(q.attr),
          limit: q.limit,
        }),
      };
    },
  );

  app.get<{ Querystring: MetricQuery }>(
    '/metrics/query',
    { schema: { querystring: MetricQuery } },
    async (request) => {
      const q = request.query;
      const range = resolveRange(q, now());
      return queryMetric(store, {
        name: q.name,
        fn: q.fn,
        range,
        stepMs: resolveStep(range, q.step, 'querystring.step'),
        service: q.service,
        attrs: parseAttrs(q.attr),
        groupBy: parseGroupBy(q.groupBy),
      });
    },
  );

  app.get<{ Querystring: RedQuery }>('/red', { schema: { querystring: RedQuery } }, async (request) => {
    const range = resolveRange(request.query, now());
    const stepMs = resolveStep(range, request.query.stepMs, 'querystring.stepMs');
    return {
      startMs: range.startMs,
      endMs: range.endMs,
      stepMs,
      services: await redByService(store, range, stepMs),
    };
  });

  app.get<{ Params: ServiceParams; Querystring: RedQuery }>(
    '/red/:service/routes',
    { schema: { params: ServiceParams, querystring: RedQuery } },
    async (request) => {
      const range = resolveRange(request.query, now());
      const stepMs = resolveStep(range, request.query.stepMs, 'querystring.stepMs');
      const routes = await redByRoute(store, request.params.service, range, stepMs);
      return { service: request.params.service, startMs: range.startMs, endMs: range.endMs, stepMs, routes };
    },
  );

  app.get<{ Querystring: RangeQuery }>(
    '/dependencies',
    { schema: { querystring: RangeQuery } },
    async (request) => dependencyGraph(store, resolveRange(request.query, now())),
  );

  app.get('/self', async () => {
    if (selfStats) return selfStats.snapshot();
    const mine = latency.snapshot();
    return {
      ingest: null,
      queueDepth: null,
      storeBytes: null,
      queryLatencyMs: { p50: mine.p50, p95: mine.p95, samples: mine.count },
    };
  });
};

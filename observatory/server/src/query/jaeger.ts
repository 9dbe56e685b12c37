import { type Static, Type } from '@sinclair/typebox';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { dependencyEdges } from './dependencies.js';
import {
  envelope,
  JAEGER_SPAN_KINDS,
  type JaegerDependencyLink,
  type JaegerResponse,
  toJaegerTraces,
} from './jaeger-model.js';
import { LatencyTracker } from './latency.js';
import { parseGoDuration, type TimeRange } from './params.js';
import { QueryError, refuseNonFiniteQuery } from './problem.js';
import { type SelfStatsSource, trackLatency } from './routes.js';
import { attrCondition, MS_NS, Params } from './sql.js';
import { fetchTraceSpans, fetchTracesSpans } from './traces.js';
import type { QueryStore } from './types.js';

/**
 * A Jaeger-compatible read API (the query service's HTTP JSON API that the Jaeger UI and Grafana's Jaeger
 * data source call), registered by app.ts under `/jaeger/api`. Parameters follow Jaeger's query parser:
 * `start`/`end` in µs, `minDuration`/`maxDuration` as Go durations, `tags` as a JSON map, `tag=k:v`,
 * `endTs`/`lookback` in ms for dependencies. Errors use Jaeger's envelope with `errors[{code,msg}]`.
 */

export interface JaegerRoutesOptions {
  store: QueryStore;
  selfStats?: SelfStatsSource;
  latency?: LatencyTracker;
  now?: () => number;
}

/**
 * Timestamps are stored in nanoseconds as BIGINT: a bound in µs beyond 2^53 (year 2255) or in ms beyond 9e12 would
 * overflow it (and `1e309` is Infinity to JavaScript). Beyond them, a parameter is a 400, not a failed query.
 */
const Micros = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Millis = (minimum: number) => Type.Integer({ minimum, maximum: 9_000_000_000_000 });
const Name = Type.String({ minLength: 1, maxLength: 512 });
const Strings = Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 64 });

const SearchQuery = Type.Object({
  service: Type.Optional(Type.String({ maxLength: 512 })),
  operation: Type.Optional(Type.String({ maxLength: 512 })),
  tags: Type.Optional(Strings),
  tag: Type.Optional(Strings),
  start: Type.Optional(Micros),
  end: Type.Optional(Micros),
  minDuration: Type.Optional(Type.String({ maxLength: 64 })),
  maxDuration: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Integer({ minimum: 0, maximum: 1500, default: 100 }),
  traceID: Type.Optional(Strings),
});
type SearchQuery = Static<typeof SearchQuery>;

const TraceParams = Type.Object({ traceId: Type.String({ maxLength: 64 }) });
const TraceQuery = Type.Object({ start: Type.Optional(Micros), end: Type.Optional(Micros) });
const OperationsQuery = Type.Object({
  service: Type.Optional(Type.String({ maxLength: 512 })),
  spanKind: Type.Optional(Type.String({ maxLength: 32 })),
});
const ServiceParams = Type.Object({ service: Name });
const DependenciesQuery = Type.Object({
  endTs: Type.Optional(Millis(0)),
  lookback: Type.Optional(Millis(1)),
  service: Type.Optional(Type.String({ maxLength: 512 })),
});

/** Jaeger's default search lookback (2 days) and dependency lookback (24 h). */
const DEFAULT_SEARCH_LOOKBACK_MS = 2 * 86_400_000;
const DEFAULT_DEPENDENCY_LOOKBACK_MS = 86_400_000;
/** Spans of a found trace are read from this long around the search window. */
const TRACE_SLACK_NS = 3_600_000n * MS_NS;

function jaegerError(code: number, msg: string): JaegerResponse<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
}

function badRequest(msg: string): QueryError {
  return new QueryError('BAD_PARAMETER', msg);
}

/** Jaeger accepts trace ids of up to 32 hex digits and pads shorter ones (64-bit ids) with zeros. */
export function normaliseTraceId(raw: string): string | undefined {
  if (!/^[0-9a-fA-F]{1,32}$/.test(raw)) return undefined;
  return raw.toLowerCase().padStart(32, '0');
}

function asArray(v: string | readonly string[] | undefined): readonly string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

/** `tag=k:v` (repeated) and `tags={"k":"v"}` → one map, as Jaeger's parseTags. */
export function parseJaegerTags(tag: readonly string[], tags: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tag) {
    const colon = t.indexOf(':');
    if (colon < 0) throw badRequest(`malformed 'tag' parameter, expecting key:value, received: ${t}`);
    out.set(t.slice(0, colon), t.slice(colon + 1));
  }
  for (const json of tags) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw badRequest(`malformed 'tags' parameter, cannot unmarshal JSON: ${json}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw badRequest("malformed 'tags' parameter, expecting a JSON object");
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (v !== null && typeof v === 'object')
        throw badRequest(`malformed 'tags' parameter, value of ${k} is not a scalar`);
      out.set(k, String(v));
    }
  }
  return out;
}

/** A span-level condition for one Jaeger tag; a few tags are columns in our schema, not attributes. */
function tagCondition(p: Params, key: string, value: string): string {
  switch (key) {
    case 'error':
      return value === 'true'
        ? `(status_code = 2 OR ${attrCondition(p, { key, value })})`
        : `(status_code <> 2 AND NOT coalesce(${attrCondition(p, { key, value: 'true' })}, false))`;
    case 'span.kind': {
      const kind = JAEGER_SPAN_KINDS.indexOf(value as (typeof JAEGER_SPAN_KINDS)[number]);
      return kind > 0 ? `kind = ${p.add(kind)}` : 'false';
    }
    case 'otel.status_code': {
      const code = ['UNSET', 'OK', 'ERROR'].indexOf(value.toUpperCase());
      return code >= 0 ? `status_code = ${p.add(code)}` : 'false';
    }
    case 'otel.status_description':
      return `status_message = ${p.add(value)}`;
    case 'otel.scope.name':
      return `scope_name = ${p.add(value)}`;
    case 'otel.scope.version':
      return `scope_version = ${p.add(value)}`;
    default:
      return attrCondition(p, { key, value });
  }
}

function durationNs(raw: string | undefined, name: string): bigint | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ns = parseGoDuration(raw);
  if (ns === undefined) throw badRequest(`unable to parse param '${name}': invalid duration "${raw}"`);
  return ns;
}

function window(startUs: number | undefined, endUs: number | undefined, now: number): TimeRange {
  const endNs = endUs === undefined ? BigInt(now) * MS_NS : BigInt(endUs) * 1000n;
  const startNs =
    startUs === undefined ? endNs - BigInt(DEFAULT_SEARCH_LOOKBACK_MS) * MS_NS : BigInt(startUs) * 1000n;
  if (startNs >= endNs) throw badRequest("'start' should be before 'end'");
  return { startNs, endNs, startMs: Number(startNs / MS_NS), endMs: Number(endNs / MS_NS) };
}

export const jaegerRoutes: FastifyPluginAsync<JaegerRoutesOptions> = async (app, opts) => {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  trackLatency(app, opts.latency ?? new LatencyTracker(), opts.selfStats);
  app.addHook('preHandler', refuseNonFiniteQuery);

  app.setErrorHandler((error: FastifyError | QueryError, request: FastifyRequest, reply: FastifyReply) => {
    let status = 500;
    let msg = 'internal error; see the observatory log';
    if (error instanceof QueryError) {
      status = error.status;
      msg = error.message;
    } else if ((error as FastifyError).validation || ((error as FastifyError).statusCode ?? 500) < 500) {
      status = (error as FastifyError).statusCode ?? 400;
      msg = error.message;
    } else {
      request.log.error({ err: error }, 'jaeger API error');
    }
    return reply.code(status).send(jaegerError(status, msg));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(jaegerError(404, `404 page not found: ${request.url}`)),
  );

  app.get('/services', async () => {
    const rows = await store.query<{ service: string }>(
      'SELECT DISTINCT service FROM spans ORDER BY service',
    );
    const services = rows.map((r) => r.service);
    return envelope(services, services.length);
  });

  app.get<{ Params: Static<typeof ServiceParams> }>(
    '/services/:service/operations',
    { schema: { params: ServiceParams } },
    async (request) => {
      const rows = await store.query<{ name: string }>(
        'SELECT DISTINCT name FROM spans WHERE service = $1 ORDER BY name',
        [request.params.service],
      );
      const names = rows.map((r) => r.name);
      return envelope(names, names.length);
    },
  );

  app.get<{ Querystring: Static<typeof OperationsQuery> }>(
    '/operations',
    { schema: { querystring: OperationsQuery } },
    async (request) => {
      const { service, spanKind } = request.query;
      if (!service) throw badRequest("parameter 'service' is required");
      const p = new Params();
      const where = [`service = ${p.add(service)}`];
      if (spanKind) {
        const kind = JAEGER_SPAN_KINDS.indexOf(spanKind as (typeof JAEGER_SPAN_KINDS)[number]);
        if (kind < 1) throw badRequest(`unsupported span kind: '${spanKind}'`);
        where.push(`kind = ${p.add(kind)}`);
      }
      const rows = await store.query<{ name: string; kind: unknown }>(
        `SELECT DISTINCT name, kind FROM spans WHERE ${where.join(' AND ')} ORDER BY name, kind`,
        p.values,
      );
      const data = rows.map((r) => ({ name: r.name, spanKind: JAEGER_SPAN_KINDS[Number(r.kind)] ?? '' }));
      return envelope(data, data.length);
    },
  );

  app.get<{ Querystring: SearchQuery }>(
    '/traces',
    { schema: { querystring: SearchQuery } },
    async (request) => {
      const q = request.query;
      const range = window(q.start, q.end, now());
      const ids = asArray(q.traceID).map((raw) => {
        const id = normaliseTraceId(raw);
        if (id === undefined) throw badRequest(`cannot parse traceID param: ${raw}`);
        return id;
      });
      const read = {
        startNs: range.startNs - TRACE_SLACK_NS,
        endNs: range.endNs + TRACE_SLACK_NS,
        startMs: 0,
        endMs: 0,
      };
      if (ids.length > 0) {
        const traces = toJaegerTraces(await fetchTracesSpans(store, ids, read));
        const found = new Set(traces.map((t) => t.traceID));
        const missing = ids
          .filter((id) => !found.has(id))
          .map((id) => ({ msg: 'trace not found', traceID: id }));
        return { ...envelope(traces), errors: missing.length > 0 ? missing : null };
      }
      if (!q.service) throw badRequest("parameter 'service' is required");
      const minNs = durationNs(q.minDuration, 'minDuration');
      const maxNs = durationNs(q.maxDuration, 'maxDuration');
      if (minNs !== undefined && maxNs !== undefined && maxNs < minNs) {
        throw badRequest("'maxDuration' should be greater than 'minDuration'");
      }
      const p = new Params();
      const where = [
        `start_ns >= ${p.ns(range.startNs)}`,
        `start_ns < ${p.ns(range.endNs)}`,
        `service = ${p.add(q.service)}`,
      ];
      if (q.operation) where.push(`name = ${p.add(q.operation)}`);
      for (const [k, v] of parseJaegerTags(asArray(q.tag), asArray(q.tags)))
        where.push(tagCondition(p, k, v));
      if (minNs !== undefined) where.push(`duration_ns >= ${p.ns(minNs)}`);
      if (maxNs !== undefined) where.push(`duration_ns <= ${p.ns(maxNs)}`);
      const limit = q.limit > 0 ? q.limit : 100;
      const matched = await store.query<{ trace_id: string }>(
        `SELECT trace_id FROM spans WHERE ${where.join(' AND ')}
       GROUP BY trace_id ORDER BY max(start_ns) DESC, trace_id LIMIT ${p.add(limit)}`,
        p.values,
      );
      const order = matched.map((m) => m.trace_id);
      const traces = toJaegerTraces(await fetchTracesSpans(store, order, read));
      const rank = new Map(order.map((id, i) => [id, i]));
      traces.sort((a, b) => (rank.get(a.traceID) ?? 0) - (rank.get(b.traceID) ?? 0));
      return envelope(traces);
    },
  );

  app.get<{ Params: Static<typeof TraceParams>; Querystring: Static<typeof TraceQuery> }>(
    '/traces/:traceId',
    { schema: { params: TraceParams, querystring: TraceQuery } },
    async (request, reply) => {
      const id = normaliseTraceId(request.params.traceId);
      if (id === undefined) throw badRequest(`cannot parse traceID: ${request.params.traceId}`);
      const { start, end } = request.query;
      const bounded =
        start !== undefined || end !== undefined
          ? {
              startNs: start === undefined ? 0n : BigInt(start) * 1000n,
              endNs:
                end === undefined ? BigInt(Number.MAX_SAFE_INTEGER) * MS_NS : BigInt(end) * 1000n + 1000n,
              startMs: 0,
              endMs: 0,
            }
          : undefined;
      // The window only narrows the scan: Grafana's backend sends it in ms where Jaeger reads µs, so a
      // window that finds nothing falls back to the whole table instead of answering 404.
      let rows = bounded ? await fetchTraceSpans(store, id, bounded) : [];
      if (rows.length === 0) rows = await fetchTraceSpans(store, id);
      const traces = toJaegerTraces(rows);
      if (traces.length === 0) return reply.code(404).send(jaegerError(404, 'trace not found'));
      return envelope(traces);
    },
  );

  app.get<{ Querystring: Static<typeof DependenciesQuery> }>(
    '/dependencies',
    { schema: { querystring: DependenciesQuery } },
    async (request) => {
      const endMs = request.query.endTs ?? now();
      const lookback = request.query.lookback ?? DEFAULT_DEPENDENCY_LOOKBACK_MS;
      const startMs = Math.max(0, endMs - lookback);
      if (startMs >= endMs) throw badRequest("'lookback' must be positive");
      const range = { startMs, endMs, startNs: BigInt(startMs) * MS_NS, endNs: BigInt(endMs) * MS_NS };
      const service = request.query.service;
      const links: JaegerDependencyLink[] = (await dependencyEdges(store, range))
        .filter((e) => !service || e.parent === service || e.child === service)
        .map((e) => ({ parent: e.parent, child: e.child, callCount: e.callCount }));
      return envelope(links);
    },
  );
};

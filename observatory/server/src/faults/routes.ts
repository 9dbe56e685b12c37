import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Fault } from '@glassbox/contracts';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { problemErrorHandler, QueryError, refuseNonFiniteQuery } from '../query/problem.js';
import type { QueryStore } from '../query/types.js';
import { checkFaultRecord, FaultStore } from './fault-store.js';

const TimeMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description: 'unix milliseconds' });
const FaultsQuery = Type.Object({
  start: Type.Optional(TimeMs),
  end: Type.Optional(TimeMs),
  service: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});
const ExportParams = Type.Object({
  table: Type.Union([
    Type.Literal('spans'),
    Type.Literal('logs'),
    Type.Literal('metrics'),
    Type.Literal('faults'),
  ]),
});
const ExportQuery = Type.Object({ start: TimeMs, end: TimeMs });

/** The time column each exported table is cut on (faults: those in effect during the range). */
const EXPORTS: Record<Static<typeof ExportParams>['table'], (from: bigint, to: bigint) => string> = {
  spans: (from, to) => `SELECT * FROM spans WHERE start_ns >= ${from} AND start_ns < ${to} ORDER BY start_ns`,
  logs: (from, to) => `SELECT * FROM logs WHERE time_ns >= ${from} AND time_ns < ${to} ORDER BY time_ns`,
  metrics: (from, to) =>
    `SELECT * FROM metric_points WHERE time_ns >= ${from} AND time_ns < ${to} ORDER BY time_ns`,
  faults: (from, to) =>
    `SELECT id, kind, service, route, dependency, params, started_ns, ends_ns, ended_ns, injected_by FROM faults
     WHERE started_ns < ${to} AND coalesce(ended_ns, ends_ns) >= ${from} ORDER BY started_ns`,
};

/**
 * Ground truth of injected faults:
 *   POST /api/faults                 a fault record (the supervisor posts each start and end) → 204
 *   GET  /api/faults?start&end&service&limit  → { faults: [Fault] } in effect during the range (default: last hour)
 *   GET  /api/faults/export/:table.parquet?start&end  spans | logs | metrics | faults of the range, as Parquet
 *        (DuckDB COPY … (FORMAT parquet)): the labelled dataset `glassbox faults export` writes.
 *   GET|POST /api/chaos/faults, DELETE /api/chaos/faults[/:id]   the supervisor's /faults, for the console's
 *        Faults page (relayed to CONTROL_URL; 503 when the observatory runs without a supervisor). A POST must be
 *        JSON (a cross-site form cannot send it without a preflight the observatory never approves).
 */
export const faultRoutes: FastifyPluginAsync<{ store: QueryStore; controlUrl?: string }> = async (
  app,
  options,
) => {
  const faults = new FaultStore(options.store);
  app.setErrorHandler(problemErrorHandler);
  app.addHook('preHandler', refuseNonFiniteQuery);

  app.post('/faults', async (request, reply) => {
    const problems = checkFaultRecord(request.body);
    if (problems.length > 0) {
      throw new QueryError(
        'BAD_PARAMETER',
        problems.map((p) => `${p.path} ${p.message}`).join('; '),
        problems,
      );
    }
    await faults.upsert(request.body as Fault);
    return reply.code(204).send();
  });

  const relay = async (method: string, path: string, body?: unknown) => {
    if (!options.controlUrl) {
      const detail = 'no supervisor: the observatory was started without CONTROL_URL';
      return {
        status: 503,
        type: 'application/problem+json',
        text: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail }),
      };
    }
    const res = await fetch(new URL(path, options.controlUrl), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? 'application/json',
      text: await res.text(),
    };
  };
  app.get('/chaos/faults', async (_request, reply) => {
    const r = await relay('GET', '/faults');
    return reply.code(r.status).type(r.type).send(r.text);
  });
  app.post('/chaos/faults', async (request, reply) => {
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new QueryError('BAD_PARAMETER', 'the body must be application/json', [
        { path: 'headers.content-type', message: 'must be application/json' },
      ]);
    }
    const body = request.body as Record<string, unknown> | null;
    const r = await relay('POST', '/faults', { by: 'console', ...(body ?? {}) });
    return reply.code(r.status).type(r.type).send(r.text);
  });
  app.delete<{ Params: { id?: string } }>('/chaos/faults/:id?', async (request, reply) => {
    const id = request.params.id;
    const r = await relay('DELETE', `${id ? `/faults/${encodeURIComponent(id)}` : '/faults'}?by=console`);
    return reply.code(r.status).type(r.type).send(r.text);
  });

  app.get<{ Querystring: Static<typeof FaultsQuery> }>(
    '/faults',
    { schema: { querystring: FaultsQuery } },
    async (request) => {
      const toMs = request.query.end ?? Date.now();
      const fromMs = request.query.start ?? toMs - 3_600_000;
      if (fromMs > toMs)
        throw new QueryError('BAD_PARAMETER', 'start must not be after end', [
          { path: 'querystring.start', message: 'must not be after end' },
        ]);
      return {
        faults: await faults.list({
          fromMs,
          toMs,
          service: request.query.service,
          limit: request.query.limit,
        }),
      };
    },
  );

  app.get<{ Params: { file: string }; Querystring: Static<typeof ExportQuery> }>(
    '/faults/export/:file',
    { schema: { querystring: ExportQuery } },
    async (request, reply) => {
      const table = /^(spans|logs|metrics|faults)\.parquet$/.exec(request.params.file)?.[1] as
        | keyof typeof EXPORTS
        | undefined;
      if (!table) {
        throw new QueryError(
          'NOT_FOUND',
          `no export ${request.params.file}; use spans, logs, metrics or faults.parquet`,
        );
      }
      const { start, end } = request.query;
      if (start >= end) {
        throw new QueryError('BAD_PARAMETER', 'start must be before end', [
          { path: 'querystring.start', message: 'must be before end' },
        ]);
      }
      await faults.list({ fromMs: 0, toMs: 0, limit: 1 }); // the faults table exists
      const dir = await mkdtemp(path.join(tmpdir(), 'glassbox-export-'));
      const file = path.join(dir, `${table}.parquet`);
      const from = BigInt(start) * 1_000_000n;
      const to = BigInt(end) * 1_000_000n;
      // Only integers and a path of our own are spliced in: COPY takes no bound parameters.
      await options.store.query(`COPY (${EXPORTS[table](from, to)}) TO '${file}' (FORMAT parquet)`);
      const stream = createReadStream(file);
      stream.on('close', () => void rm(dir, { recursive: true, force: true }));
      return reply.type('application/vnd.apache.parquet').send(stream);
    },
  );
};

/**
 * Query latency of the observatory's read side at 1 M and 10 M spans: trace by id (plain, without the trace_key column, with a window hint,
 * and through the Jaeger API) and trace search (/api/traces with several filters, and Jaeger search).
 *
 * Also the console overview's RED and dependency queries over one hour.
 *
 * Spans are generated in SQL straight into a DuckDB file with the store's schema (default under
 * /tmp/glassbox-bench, reused by later runs): 10 spans per trace across 7 services (gateway → auth or
 * catalog, gateway → order → inventory and payment, order → notification over a queue), HTTP and messaging
 * attributes, 2 % failing traces, one trace every 86.4 ms — so 10 M spans are 24 h of traffic and every
 * size has the same density per hour. Rows are written in time order, one row group (122 880 rows) per
 * INSERT, as the ingest path appends them, so DuckDB's zone maps look like production's.
 * Queries then go through the real stack: TelemetryStore (reader pool) + the Fastify plugins via inject()
 * (routing, validation, SQL, JSON) — everything but the socket.
 *
 *   node --import tsx bench/observatory-query.ts [--spans 1000000,10000000] [--queries 200]
 *        [--search-queries 20] [--dir /tmp/glassbox-bench] [--fresh]
 *
 * Prints a table and writes bench/results/observatory-query.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import Fastify, { type FastifyInstance } from 'fastify';
import { jaegerRoutes, queryRoutes } from '../observatory/server/src/query/index.js';
import { applySchema } from '../observatory/server/src/store/schema.js';
import { TelemetryStore } from '../observatory/server/src/store/telemetry-store.js';

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000,10000000' },
    queries: { type: 'string', default: '200' },
    'search-queries': { type: 'string', default: '20' },
    dir: { type: 'string', default: '/tmp/glassbox-bench' },
    fresh: { type: 'boolean', default: false },
  },
});
const sizes = values.spans.split(',').map((s) => Number(s.replaceAll('_', '')));
const byIdQueries = Number(values.queries);
const searchQueries = Number(values['search-queries']);
if (sizes.some((n) => !Number.isInteger(n) || n < 10 || n % 10 !== 0))
  throw new Error('--spans: multiples of 10');

const GENERATOR = 'v3';
const SPANS_PER_TRACE = 10;
/** The newest trace starts here (2023-11-14T22:13:20Z); older ones every TRACE_STEP_NS before. */
const END_MS = 1_700_000_000_000;
const END_NS = BigInt(END_MS) * 1_000_000n;
const TRACE_STEP_NS = 86_400_000n; // 86.4 ms → 1 M traces (10 M spans) per 24 h
const ROW_GROUP = 122_880;
const HOUR_MS = 3_600_000;

/** Trace t's id, as the generator's `md5(CAST(t AS VARCHAR))`. */
const traceIdOf = (t: number): string => createHash('md5').update(String(t)).digest('hex');
const traceStartMs = (t: number, traces: number): number =>
  Number((END_NS - BigInt(traces - 1 - t) * TRACE_STEP_NS) / 1_000_000n);

/** Span k of a trace: service (a client span k calls span k + 1), kind (OTLP enum), name, parent k, route. */
const SHAPE = `
  list_value('gateway', 'gateway', CASE WHEN t % 2 = 0 THEN 'auth' ELSE 'catalog' END, 'gateway', 'order', 'order', 'inventory', 'order', 'payment', 'notification') AS services,
  services[k + 1] AS service,
  services[k + 2] AS callee,
  list_value(2, 3, 2, 3, 2, 3, 2, 3, 2, 5)[k + 1] AS kind,
  list_value('POST /api/v1/orders', 'GET', CASE WHEN t % 2 = 0 THEN 'GET /.well-known/jwks.json' ELSE 'GET /products/:id' END, 'POST', 'POST /orders', 'POST', 'POST /reservations', 'POST', 'POST /payments', 'orders process')[k + 1] AS name,
  list_value(-1, 0, 1, 0, 3, 4, 5, 4, 7, 4)[k + 1] AS parent_k,
  list_value('/api/v1/orders', '', CASE WHEN t % 2 = 0 THEN '/.well-known/jwks.json' ELSE '/products/:id' END, '', '/orders', '', '/reservations', '', '/payments', '')[k + 1] AS route,
  hash(t) % 50 = 0 AND k IN (0, 4, 8) AS failed`;

/** SQL inserting the spans of traces [lo, hi): ids are hashed once per trace (md5 is the costly part). */
function generateSql(traces: number, lo: number, hi: number): string {
  return `
  INSERT INTO spans (trace_id, span_id, parent_span_id, trace_state, name, kind, service, start_ns, end_ns,
    duration_ns, status_code, status_message, attributes, resource, scope_name, events, links, ingested_ns, trace_key)
  WITH tr AS (
    SELECT t, md5(CAST(t AS VARCHAR)) AS trace_id,
      list_transform(range(${SPANS_PER_TRACE}), k -> substr(md5(CAST(t * ${SPANS_PER_TRACE} + k AS VARCHAR) || 's'), 1, 16)) AS ids
    FROM range(${lo}, ${hi}) r(t)
  ),
  s AS (SELECT tr.*, k, t * ${SPANS_PER_TRACE} + k AS i FROM tr, range(${SPANS_PER_TRACE}) kk(k)),
  d AS (
    SELECT *, ${SHAPE},
      ${END_NS}::BIGINT - (${traces - 1}::BIGINT - t) * ${TRACE_STEP_NS}::BIGINT + k * 2000000 AS start_ns,
      CASE WHEN k = 0 THEN 150 + hash(i) % 250 ELSE 1 + hash(i) % (150 - k * 10) END * 1000000 AS duration_ns
    FROM s
  )
  SELECT
    trace_id,
    ids[k + 1],
    CASE WHEN parent_k < 0 THEN '' ELSE ids[parent_k + 1] END,
    '',
    name,
    kind,
    service,
    start_ns,
    start_ns + duration_ns,
    duration_ns,
    CASE WHEN failed THEN 2 ELSE 0 END,
    CASE WHEN failed THEN 'payment declined' ELSE '' END,
    CASE
      WHEN kind = 2 THEN '{"http.route":"' || route || '","http.request.method":"' || split_part(name, ' ', 1)
        || '","http.response.status_code":' || CASE WHEN failed THEN 500 ELSE 200 END
        || ',"tenant.id":"tenant-' || (t % 20) || '","url.scheme":"http"}'
      WHEN kind = 3 THEN '{"http.request.method":"' || name || '","server.address":"' || callee || '","http.response.status_code":200}'
      ELSE '{"messaging.system":"rabbitmq","messaging.destination.name":"orders","messaging.operation.type":"process"}'
    END,
    '{"service.name":"' || service || '","service.namespace":"glassbox","service.instance.id":"' || service || '-' || (t % 2)
      || '","deployment.environment.name":"bench","telemetry.sdk.language":"nodejs"}',
    '@opentelemetry/instrumentation-http',
    CASE WHEN failed AND k = 8 THEN '[{"name":"exception","timeUnixNano":"' || (start_ns + 1000000) || '","attributes":{"exception.type":"PaymentDeclined"}}]' ELSE '[]' END,
    '[]',
    start_ns + 2000000000,
    CAST('0x' || left(trace_id, 16) AS UBIGINT)
  FROM d`;
}

async function countSpans(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  try {
    const r = await c.runAndReadAll('SELECT count(*) AS n FROM spans');
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  } catch {
    return -1;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

async function generate(path: string, spans: number): Promise<number> {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
  const started = performance.now();
  const instance = await DuckDBInstance.create(path);
  const c = await instance.connect();
  await applySchema(c);
  // Within one row group order does not matter; across row groups it does (zone maps), so each INSERT
  // is exactly one row group of consecutive time and may be written in parallel.
  await c.run('SET preserve_insertion_order = false');
  const traces = spans / SPANS_PER_TRACE;
  const perInsert = ROW_GROUP / SPANS_PER_TRACE;
  for (let lo = 0; lo < traces; lo += perInsert) {
    await c.run(generateSql(traces, lo, Math.min(traces, lo + perInsert)));
    if ((lo / perInsert) % 10 === 0) {
      process.stdout.write(
        `\r\x1b[K  generating ${spans.toLocaleString('en')} spans: ${Math.round((lo / traces) * 100)} %`,
      );
    }
  }
  await c.run('CHECKPOINT');
  c.closeSync();
  instance.closeSync();
  process.stdout.write('\r\x1b[K');
  return performance.now() - started;
}

/** Deterministic PRNG (mulberry32) so every run asks the same questions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CaseResult {
  name: string;
  queries: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Mean number of items in the answers (spans for by-id, traces for searches). */
  meanItems: number;
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

interface CaseSpec {
  name: string;
  urls: readonly string[];
  /** Items in an answer (spans for by-id, traces for searches). */
  items: (body: unknown) => number;
  expectItems: (n: number) => boolean;
}

function spec(
  name: string,
  urls: readonly string[],
  items: (body: unknown) => number,
  expectItems: (n: number) => boolean,
): CaseSpec {
  return { name, urls, items, expectItems };
}

/**
 * Runs the cases interleaved — query i of every case, then query i + 1 — so that load drift on a shared
 * machine hits all cases alike. The first 5 queries of each case are a warm-up and not measured.
 */
async function runInterleaved(app: FastifyInstance, specs: readonly CaseSpec[]): Promise<CaseResult[]> {
  for (const s of specs) for (const url of s.urls.slice(0, 5)) await app.inject({ method: 'GET', url });
  const ms = specs.map(() => [] as number[]);
  const totals = specs.map(() => 0);
  const rounds = Math.max(...specs.map((s) => s.urls.length));
  for (let i = 0; i < rounds; i++) {
    for (const [k, s] of specs.entries()) {
      const url = s.urls[i];
      if (url === undefined) continue;
      const t = performance.now();
      const res = await app.inject({ method: 'GET', url });
      (ms[k] as number[]).push(performance.now() - t);
      if (res.statusCode !== 200) throw new Error(`${url} → ${res.statusCode} ${res.body.slice(0, 300)}`);
      const n = s.items(res.json());
      if (!s.expectItems(n)) throw new Error(`${url} → unexpected answer size ${n}`);
      totals[k] = (totals[k] as number) + n;
    }
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return specs.map((s, k) => {
    const list = ms[k] as number[];
    const sorted = [...list].sort((a, b) => a - b);
    return {
      name: s.name,
      queries: list.length,
      p50Ms: round(percentile(sorted, 0.5)),
      p99Ms: round(percentile(sorted, 0.99)),
      meanMs: round(list.reduce((a, b) => a + b, 0) / list.length),
      maxMs: round(sorted.at(-1) as number),
      meanItems: round((totals[k] as number) / list.length),
    };
  });
}

interface SizeResult {
  spans: number;
  traces: number;
  hours: number;
  fileBytes: number;
  generatedMs: number | null;
  cases: CaseResult[];
}

async function benchSize(spans: number): Promise<SizeResult> {
  await mkdir(values.dir, { recursive: true });
  const path = join(values.dir, `observatory-query-${GENERATOR}-${spans}.duckdb`);
  let generatedMs: number | null = null;
  if (values.fresh || !existsSync(path) || (await countSpans(path)) !== spans)
    generatedMs = await generate(path, spans);
  const traces = spans / SPANS_PER_TRACE;
  const store = await TelemetryStore.open(path);
  const app = Fastify();
  await app.register(queryRoutes, { prefix: '/api', store, now: () => END_MS + 1 });
  await app.register(jaegerRoutes, { prefix: '/jaeger/api', store, now: () => END_MS + 1 });
  // For comparison: the lookup as it was before the trace_key column (string comparison only).
  app.get<{ Params: { id: string } }>('/bench/trace-by-id-without-key/:id', async (req) => ({
    spans: await store.query(
      `SELECT * EXCLUDE (trace_key, start_ns, end_ns, duration_ns, ingested_ns),
         CAST(start_ns AS VARCHAR) AS start_ns, CAST(end_ns AS VARCHAR) AS end_ns,
         CAST(duration_ns AS VARCHAR) AS duration_ns
       FROM spans WHERE trace_id = ? ORDER BY spans.start_ns, span_id`,
      [req.params.id],
    ),
  }));
  await app.ready();

  const rnd = prng(spans);
  const pick = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * traces));
  const firstMs = traceStartMs(0, traces);
  /** A random one-hour window inside the data. */
  const hour = () => {
    const start = firstMs + Math.floor(rnd() * Math.max(1, END_MS - firstMs - HOUR_MS));
    return { start, end: start + HOUR_MS };
  };
  const spansOf = (b: unknown) => (b as { spans: unknown[] }).spans.length;
  const tracesOf = (b: unknown) => (b as { traces: unknown[] }).traces.length;
  const jaegerSpans = (b: unknown) => (b as { data: { spans: unknown[] }[] }).data[0]?.spans.length ?? 0;
  const jaegerTraces = (b: unknown) => (b as { data: unknown[] }).data.length;
  const ten = (n: number) => n === SPANS_PER_TRACE;
  const some = (n: number) => n > 0;

  const byId = pick(byIdQueries);
  const specs: CaseSpec[] = [];
  specs.push(
    spec(
      'trace by id',
      byId.map((t) => `/api/traces/${traceIdOf(t)}`),
      spansOf,
      ten,
    ),
  );
  specs.push(
    spec(
      'trace by id, SQL without trace_key',
      byId.map((t) => `/bench/trace-by-id-without-key/${traceIdOf(t)}`),
      spansOf,
      ten,
    ),
  );
  specs.push(
    spec(
      'trace by id, window hint',
      byId.map((t) => {
        const s = traceStartMs(t, traces);
        return `/api/traces/${traceIdOf(t)}?start=${s - 60_000}&end=${s + 60_000}`;
      }),
      spansOf,
      ten,
    ),
  );
  specs.push(
    spec(
      'jaeger trace by id',
      byId.map((t) => `/jaeger/api/traces/${traceIdOf(t)}`),
      jaegerSpans,
      ten,
    ),
  );

  const search = (make: (w: { start: number; end: number }) => string) =>
    Array.from({ length: searchQueries }, () => make(hour()));
  specs.push(
    spec(
      'search 1h, any',
      search((w) => `/api/traces?start=${w.start}&end=${w.end}`),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'search 1h, service',
      search((w) => `/api/traces?service=payment&start=${w.start}&end=${w.end}`),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'search 1h, service+op+attr',
      search(
        (w) =>
          `/api/traces?service=order&operation=POST%20/orders&attr=tenant.id=tenant-7&start=${w.start}&end=${w.end}`,
      ),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'search 1h, errors only',
      search((w) => `/api/traces?errorsOnly=true&start=${w.start}&end=${w.end}`),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'search 1h, minDuration',
      search((w) => `/api/traces?minDurationMs=390&start=${w.start}&end=${w.end}`),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'search 24h, service+attr',
      search(
        (w) =>
          `/api/traces?service=payment&attr=http.response.status_code=500&start=${w.end - 24 * HOUR_MS}&end=${w.end}`,
      ),
      tracesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'jaeger search 1h, service+tag',
      search(
        (w) =>
          `/jaeger/api/traces?service=payment&tags=${encodeURIComponent('{"tenant.id":"tenant-3"}')}&limit=20&start=${w.start * 1000}&end=${w.end * 1000}`,
      ),
      jaegerTraces,
      some,
    ),
  );
  // What the console's overview and service map ask on every refresh.
  const servicesOf = (b: unknown) => (b as { services: unknown[] }).services.length;
  const routesOf = (b: unknown) => (b as { routes: unknown[] }).routes.length;
  const edgesOf = (b: unknown) => (b as { edges: unknown[] }).edges.length;
  specs.push(
    spec(
      'RED per service 1h',
      search((w) => `/api/red?start=${w.start}&end=${w.end}`),
      servicesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'RED routes 1h',
      search((w) => `/api/red/order/routes?start=${w.start}&end=${w.end}`),
      routesOf,
      some,
    ),
  );
  specs.push(
    spec(
      'dependencies 1h',
      search((w) => `/api/dependencies?start=${w.start}&end=${w.end}`),
      edgesOf,
      some,
    ),
  );

  const cases = await runInterleaved(app, specs);
  await app.close();
  await store.close();
  return {
    spans,
    traces,
    hours: Math.round(((END_MS - firstMs) / HOUR_MS) * 10) / 10,
    fileBytes: statSync(path).size,
    generatedMs: generatedMs === null ? null : Math.round(generatedMs),
    cases,
  };
}

const machine = {
  cpuModel: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  duckdb: await (async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    const v = String((await c.runAndReadAll('SELECT version() AS v')).getRowObjectsJS()[0]?.v);
    c.closeSync();
    instance.closeSync();
    return v;
  })(),
};
console.log(
  `\nObservatory query — ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, DuckDB ${machine.duckdb}\n`,
);

const started = Date.now();
const loadBefore = loadavg();
const results: SizeResult[] = [];
for (const spans of sizes) {
  const r = await benchSize(spans);
  results.push(r);
  const gen = r.generatedMs === null ? 'reused' : `generated in ${(r.generatedMs / 1000).toFixed(1)} s`;
  console.log(
    `${r.spans.toLocaleString('en')} spans (${r.traces.toLocaleString('en')} traces over ${r.hours} h, ${(r.fileBytes / 2 ** 20).toFixed(0)} MiB, ${gen})`,
  );
  console.log(
    `  ${'case'.padEnd(36)} ${'n'.padStart(4)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'mean'.padStart(8)} ${'max'.padStart(8)} ${'items'.padStart(6)}`,
  );
  for (const c of r.cases) {
    console.log(
      `  ${c.name.padEnd(36)} ${String(c.queries).padStart(4)} ${c.p50Ms.toFixed(1).padStart(8)} ${c.p99Ms.toFixed(1).padStart(8)} ${c.meanMs.toFixed(1).padStart(8)} ${c.maxMs.toFixed(1).padStart(8)} ${String(c.meanItems).padStart(6)}`,
    );
  }
  console.log('');
}

const largest = results.at(-1);
const at = (name: string) => largest?.cases.find((c) => c.name === name);
const isTenMillion = largest !== undefined && largest.spans >= 10_000_000;
const under50 = (ms: number | undefined) => isTenMillion && ms !== undefined && ms < 50;
const goal = {
  text: 'trace by id < 50 ms at 10 M spans',
  spans: largest?.spans,
  plain: { p50Ms: at('trace by id')?.p50Ms, p99Ms: at('trace by id')?.p99Ms },
  windowHint: { p50Ms: at('trace by id, window hint')?.p50Ms, p99Ms: at('trace by id, window hint')?.p99Ms },
  withoutTraceKey: {
    p50Ms: at('trace by id, SQL without trace_key')?.p50Ms,
    p99Ms: at('trace by id, SQL without trace_key')?.p99Ms,
  },
  metP50: under50(at('trace by id')?.p50Ms),
  metP99: under50(at('trace by id')?.p99Ms),
  metP99WithHint: under50(at('trace by id, window hint')?.p99Ms),
};
const verdict = (ok: boolean) => (isTenMillion ? (ok ? 'met' : 'not met') : 'n/a, no 10 M run');
const show = (v: { p50Ms?: number; p99Ms?: number }) => `p50 ${v.p50Ms ?? '–'} / p99 ${v.p99Ms ?? '–'} ms`;
console.log(`goal: ${goal.text} (largest run: ${goal.spans?.toLocaleString('en')} spans)`);
console.log(
  `  plain lookup        ${show(goal.plain)}  → p50 ${verdict(goal.metP50)}, p99 ${verdict(goal.metP99)}`,
);
console.log(`  with a window hint  ${show(goal.windowHint)}  → p99 ${verdict(goal.metP99WithHint)}`);
console.log(`  without trace_key   ${show(goal.withoutTraceKey)}  (the string scan it replaced)`);
const loadAfter = loadavg();
const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
console.log(
  `total ${((Date.now() - started) / 1000).toFixed(0)} s; load average before ${fmtLoad(loadBefore)}, after ${fmtLoad(loadAfter)} (${machine.cores} cores)`,
);

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/observatory-query.json', import.meta.url),
  `${JSON.stringify(
    {
      benchmark: 'observatory-query',
      date: new Date().toISOString(),
      machine,
      method:
        'app.inject() against queryRoutes/jaegerRoutes over TelemetryStore on a DuckDB file; one query at a time, cases interleaved query by query, 5 warm-up queries per case not measured',
      options: { spans: sizes, byIdQueries, searchQueries, dir: values.dir, generator: GENERATOR },
      loadAverage: { before: loadBefore, after: loadAfter },
      goal,
      results,
      durationSec: Math.round((Date.now() - started) / 1000),
    },
    null,
    2,
  )}\n`,
);
console.log('wrote bench/results/observatory-query.json');

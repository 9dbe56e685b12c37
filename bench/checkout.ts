/**
 * Checkout throughput and latency through the gateway, telemetry off vs on, measured side by side in one
 * run (alternating rounds, so drift on a shared machine hits every mode alike). Modes:
 *   off        OTEL_SDK_DISABLED=true (no instrumentation at all);
 *   sdk        diagnostic: the SDK and every instrumentation on, nothing exported (what instrumenting costs);
 *   traces     the SDK on, traces exported over OTLP/HTTP protobuf (100 % kept), log and metric export off;
 *   on         the full SDK, 100 % of traces kept: traces, metrics and logs exported over OTLP/HTTP protobuf;
 *   production as `on`, with GLASSBOX_TRACES_POLICY=production (10 % of normal traces, every error and slow one);
 *   head       diagnostic: as `on` with plain head sampling of 10 % (parentbased_traceidratio 0.1; the rest not
 *              recorded, errors outside the 10 % lost): what any policy that records every trace must beat;
 *   nologs     diagnostic: as `on` without exporting logs (OTEL_LOGS_EXPORTER=none);
 *   notraces   diagnostic: as `on` with no trace recorded or exported (OTEL_TRACES_SAMPLER=always_off,
 *              OTEL_TRACES_EXPORTER=none), metrics and logs exported: the floor for any trace policy;
 *   metrics    diagnostic: as `notraces` without exporting logs: metrics exported, nothing else;
 *   sdk-no<names> diagnostic: `sdk` without some instrumentations (OTEL_NODE_DISABLED_INSTRUMENTATIONS), names
 *              joined by `+`: `sdk-nohttp`, `sdk-nopg+undici`, `sdk-nohttp+undici+pg+pino` (none at all).
 * Services log at info (JSON to stdout) in every mode. The OTLP endpoint is a sink on loopback that keeps the
 * request bodies and reads them only after the round (spans, log records and the SQL statements the traces
 * record per checkout); the cost of a backend is not measured.
 *
 *   node --import tsx bench/checkout.ts [--duration 15] [--connections 8] [--rounds 2]
 *     [--modes off,on,production]
 *
 * Prints a table of the rounds, one of the modes with their ratios to off, and writes
 * bench/results/checkout.json.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import autocannon from 'autocannon';
import { throwawayStateDir } from '../cli/src/postgres.js';
import { startStack } from '../cli/src/stack.js';
import { logRowsFromProtobuf, traceRowsFromProtobuf } from '../observatory/server/src/ingest/proto-rows.js';
import { dropDatabasesWithPrefix } from '../test/support/databases.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'off,on,production' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
type Mode =
  | 'off'
  | 'sdk'
  | 'traces'
  | 'on'
  | 'production'
  | 'head'
  | 'nologs'
  | 'notraces'
  | 'metrics'
  | `sdk-no${string}`;
const modes = String(values.modes).split(',') as Mode[];
for (const mode of modes) {
  if (!/^(off|sdk|traces|on|production|head|nologs|notraces|metrics|sdk-no[a-z+]+)$/.test(mode)) {
    console.error(
      `unknown mode ${JSON.stringify(mode)}: off, sdk, traces, on, production, head, nologs, notraces, metrics or sdk-no<names>`,
    );
    process.exit(2);
  }
}

interface Received {
  bytes: number;
  spans: number;
  logRecords: number;
  /** SQL statements the traces record: each transaction's count (COMMIT included, BEGIN not) + lone statements. */
  statements: number;
  transactions: number;
  /** Spans by `service: name`, the most frequent first. */
  byName: Record<string, number>;
}

/**
 * An OTLP/HTTP endpoint that accepts everything and keeps the bodies; `read()` decodes them once the round is
 * over (decoding while the load runs would take CPU from the services being measured).
 */
async function startSink(): Promise<{ url: string; read: () => Received; close: () => Promise<void> }> {
  const bodies: { path: string; body: Buffer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    read() {
      const got: Received = { bytes: 0, spans: 0, logRecords: 0, statements: 0, transactions: 0, byName: {} };
      // A statement span whose parent is a transaction is a slow statement of it, already in its count.
      const transactionIds = new Set<string>();
      const statementSpans: string[] = [];
      for (const { path, body } of bodies) {
        got.bytes += body.length;
        if (path.endsWith('/v1/traces')) {
          for (const span of traceRowsFromProtobuf(body).batch.spans) {
            got.spans++;
            const key = `${span.service}: ${span.name}`;
            got.byName[key] = (got.byName[key] ?? 0) + 1;
            if (span.name === 'db.transaction') {
              got.transactions++;
              got.statements += Number(JSON.parse(span.attributes)['glassbox.db.statement_count'] ?? 0);
              transactionIds.add(span.spanId);
            } else if (span.scopeName === '@glassbox/kit/db') statementSpans.push(span.parentSpanId);
          }
        } else if (path.endsWith('/v1/logs')) got.logRecords += logRowsFromProtobuf(body).batch.logs.length;
      }
      got.statements += statementSpans.filter((parent) => !transactionIds.has(parent)).length;
      return got;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function json<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface RoundResult {
  telemetry: Mode;
  round: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  otlpBytes: number;
  /**
   * CPU time (user + system) of the Glassbox Node processes (gateway, services) during the measured load,
   * per checkout: on a shared machine, less noisy than throughput (PostgreSQL not counted).
   */
  nodeCpuMsPerCheckout: number;
  /** The same, per process (supervisor names: gateway, order, …): where the telemetry's CPU goes. */
  nodeCpuMsPerCheckoutByProcess: Record<string, number>;
  /** Per checkout, counting warm-up and measured requests (what reached the sink). */
  spansPerCheckout: number;
  logRecordsPerCheckout: number;
  sqlStatementsPerCheckout: number;
  spanNamesPerCheckout: Record<string, number>;
}

async function runRound(telemetry: Mode, round: number): Promise<RoundResult> {
  const sink = await startSink();
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const sdkOnly = { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' };
  const env: Record<string, string> = telemetry.startsWith('sdk-no')
    ? {
        ...sdkOnly,
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: telemetry.slice('sdk-no'.length).replaceAll('+', ','),
      }
    : {
        off: { OTEL_SDK_DISABLED: 'true' },
        traces: { ...otlp, OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' },
        on: otlp,
        // Diagnostics: the SDK and instrumentation on, nothing exported; traces only.
        sdk: sdkOnly,
        production: { ...otlp, GLASSBOX_TRACES_POLICY: 'production' },
        // Diagnostic: what plain head sampling of 10 % costs (the other 90 % not recorded at all, so an error
        // or slow trace outside the 10 % is lost): the floor for any policy that records the rest.
        head: { ...otlp, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
        // Diagnostic: `on` without the log export (trace ids still reach the log lines): what exporting logs costs.
        nologs: { ...otlp, OTEL_LOGS_EXPORTER: 'none' },
        // Diagnostic: no trace recorded at all, metrics and logs exported: what no trace policy can go below.
        notraces: { ...otlp, OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_EXPORTER: 'none' },
        // Diagnostic: as `notraces` without the log export: what metrics (and the SDK's context) cost alone.
        metrics: {
          ...otlp,
          OTEL_TRACES_SAMPLER: 'always_off',
          OTEL_TRACES_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        },
      }[telemetry as Exclude<Mode, `sdk-no${string}`>];
  // A PostgreSQL server given by DATABASE_URL, else embedded (as on a laptop); free ports; a fresh state dir.
  const stateDir = await throwawayStateDir('glassbox-bench-');
  const dbPrefix = `gbbench_${randomBytes(3).toString('hex')}_`;
  const stack = await startStack({
    observatory: false,
    logs: 'silent',
    ports: 'auto',
    stateDir,
    dbPrefix,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    // BENCH_NODE_OPTIONS reaches the services (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where time goes).
    env: {
      ...env,
      RATE_LIMIT_MAX: '1000000',
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
  });
  try {
    const gw = stack.urls.gateway;
    const login = (email: string) =>
      json<{ accessToken: string }>(`${gw}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'demo', email, password: DEMO_PASSWORD }),
      });
    const admin = (await login('admin@demo.test')).accessToken;
    const alice = (await login('alice@demo.test')).accessToken;
    const product = DEMO_PRODUCTS[0]!;
    await json(`${gw}/api/v1/admin/stock/${product.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ onHand: 10_000_000 }),
    });
    const body = JSON.stringify({
      items: [{ productId: product.id, quantity: 1 }],
      payment: { method: 'card', token: 'tok_ok' },
    });
    const load = (seconds: number) =>
      autocannon({
        url: `${gw}/api/v1/orders`,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
            body,
            setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
          },
        ],
      });
    const warmUp = await load(3); // warm-up: JIT, pools, caches
    const processes = stack.supervisor.pids();
    const cpuBefore = await cpuTicks(processes.map((p) => p.pid));
    const result = await load(duration);
    const cpuAfter = await cpuTicks(processes.map((p) => p.pid));
    const msPerCheckout = (ticks: number) =>
      round1((ticks * (1000 / CLOCK_TICKS)) / Math.max(1, result.requests.total));
    await stack.stop(); // flushes what the services still hold
    const got = sink.read();
    const checkouts = Math.max(1, warmUp.requests.total + result.requests.total);
    return {
      telemetry,
      round,
      requests: result.requests.total,
      rps: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      otlpBytes: got.bytes,
      nodeCpuMsPerCheckout: msPerCheckout(sum(cpuAfter) - sum(cpuBefore)),
      nodeCpuMsPerCheckoutByProcess: Object.fromEntries(
        processes.map((p, i) => [p.name, msPerCheckout((cpuAfter[i] ?? 0) - (cpuBefore[i] ?? 0))]),
      ),
      spansPerCheckout: round1(got.spans / checkouts),
      logRecordsPerCheckout: round1(got.logRecords / checkouts),
      sqlStatementsPerCheckout: round1(got.statements / checkouts),
      spanNamesPerCheckout: Object.fromEntries(
        Object.entries(got.byName)
          .sort((a, b) => b[1] - a[1])
          .map(([name, n]) => [name, round1(n / checkouts)]),
      ),
    };
  } finally {
    await stack.stop();
    await sink.close();
    if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, dbPrefix);
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Linux clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat's utime and stime. */
const CLOCK_TICKS = 100;

/** utime + stime of each process, in clock ticks (0 for one that is gone). */
async function cpuTicks(pids: number[]): Promise<number[]> {
  const ticks: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.push(Number(fields[11] ?? 0) + Number(fields[12] ?? 0));
  }
  return ticks;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

const results: RoundResult[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const telemetry of round % 2 === 1 ? modes : [...modes].reverse()) {
    process.stderr.write(`round ${round}: telemetry ${telemetry} …\n`);
    results.push(await runRound(telemetry, round));
  }
}

const summary = modes.map((t) => {
  const rs = results.filter((r) => r.telemetry === t);
  return {
    telemetry: t,
    rps: mean(rs.map((r) => r.rps)),
    p50Ms: mean(rs.map((r) => r.p50Ms)),
    p99Ms: mean(rs.map((r) => r.p99Ms)),
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    nodeCpuMsPerCheckout: round1(mean(rs.map((r) => r.nodeCpuMsPerCheckout))),
    spansPerCheckout: round1(mean(rs.map((r) => r.spansPerCheckout))),
    logRecordsPerCheckout: round1(mean(rs.map((r) => r.logRecordsPerCheckout))),
    sqlStatementsPerCheckout: round1(mean(rs.map((r) => r.sqlStatementsPerCheckout))),
    nodeCpuMsPerCheckoutByProcess: Object.fromEntries(
      Object.keys(rs[0]?.nodeCpuMsPerCheckoutByProcess ?? {}).map((name) => [
        name,
        round1(mean(rs.map((r) => r.nodeCpuMsPerCheckoutByProcess[name] ?? 0))),
      ]),
    ),
  };
});
const off = summary.find((m) => m.telemetry === 'off');
const ratios = summary
  .filter((m) => m.telemetry !== 'off' && off)
  .map((m) => ({
    telemetry: m.telemetry,
    throughputOverOff: m.rps / (off?.rps ?? 1),
    cpuPerCheckoutOverOff: m.nodeCpuMsPerCheckout / (off?.nodeCpuMsPerCheckout || 1),
    p50OverOff: m.p50Ms / (off?.p50Ms ?? 1),
    p99OverOff: m.p99Ms / (off?.p99Ms ?? 1),
  }));
const load = await readFile('/proc/loadavg', 'utf8').catch(() => '');

console.log(
  `\nCheckout through the gateway (POST /api/v1/orders, tok_ok), ${connections} connections, ${duration}s × ${rounds} rounds; load average at the end: ${load.split(' ').slice(0, 3).join(' ')}`,
);
console.table(
  results.map(({ spanNamesPerCheckout: _, nodeCpuMsPerCheckoutByProcess: __, ...r }) => ({
    ...r,
    rps: Number(r.rps.toFixed(1)),
  })),
);
console.table(
  summary.map((s) => {
    const r = ratios.find((x) => x.telemetry === s.telemetry);
    return {
      telemetry: s.telemetry,
      'checkouts/s': Number(s.rps.toFixed(1)),
      'p50 ms': Number(s.p50Ms.toFixed(1)),
      'p99 ms': Number(s.p99Ms.toFixed(1)),
      'throughput ×off': r ? Number(r.throughputOverOff.toFixed(3)) : 1,
      'p50 ×off': r ? Number(r.p50OverOff.toFixed(3)) : 1,
      'Node CPU ms/checkout': s.nodeCpuMsPerCheckout,
      'CPU ×off': r ? Number(r.cpuPerCheckoutOverOff.toFixed(3)) : 1,
      'spans/checkout': s.spansPerCheckout,
      'log records/checkout': s.logRecordsPerCheckout,
      'SQL in traces/checkout': s.sqlStatementsPerCheckout,
    };
  }),
);
console.log('Node CPU ms per checkout, per process:');
console.table(Object.fromEntries(summary.map((s) => [s.telemetry, s.nodeCpuMsPerCheckoutByProcess])));
for (const r of ratios) {
  console.log(
    `telemetry ${r.telemetry}/off: throughput ×${r.throughputOverOff.toFixed(3)}, p50 ×${r.p50OverOff.toFixed(3)}, p99 ×${r.p99OverOff.toFixed(3)}, Node CPU per checkout ×${r.cpuPerCheckoutOverOff.toFixed(3)}`,
  );
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/checkout.json', import.meta.url),
  `${JSON.stringify(
    {
      benchmark: 'checkout',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        loadAverage: load.split(' ').slice(0, 3).map(Number),
      },
      config: { duration, connections, rounds, modes, logLevel: 'info' },
      rounds: results,
      summary,
      ratios,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);

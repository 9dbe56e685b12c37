/**
 * Checkout throughput and latency through the gateway, telemetry off vs on, measured side by side in one
 * run (alternating rounds, so drift on a shared machine hits every mode alike). Modes:
 *   off    OTEL_SDK_DISABLED=true (no instrumentation at all);
 *   traces the SDK on, traces exported over OTLP/HTTP protobuf, log and metric export off;
 *   on     the full SDK: traces, metrics and logs exported over OTLP/HTTP protobuf.
 * Services log at info (JSON to stdout) in every mode. The OTLP endpoint is a sink on loopback that only
 * counts bytes (the cost of a backend is not measured).
 *
 *   node --import tsx bench/checkout.ts [--duration 15] [--connections 8] [--rounds 2]
 *
 * Prints a table and writes bench/results/checkout.json.
 *   [--modes off,traces,on]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import autocannon from 'autocannon';
import { startStack } from '../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../test/support/databases.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'off,traces,on' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
type Mode = 'off' | 'traces' | 'on';
const modes = String(values.modes).split(',') as Mode[];

/** An OTLP/HTTP endpoint that accepts everything and counts the bytes (the cost of a backend is not measured). */
async function startSink(): Promise<{ url: string; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
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
}

async function runRound(telemetry: Mode, round: number): Promise<RoundResult> {
  const sink = await startSink();
  const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
  const env: Record<string, string> = {
    off: { OTEL_SDK_DISABLED: 'true' },
    traces: { ...otlp, OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' },
    on: otlp,
  }[telemetry];
  // A PostgreSQL server given by DATABASE_URL, else embedded (as on a laptop); free ports; a fresh state dir.
  const stateDir = await mkdtemp(join(tmpdir(), 'glassbox-bench-'));
  const dbPrefix = `gbbench_${randomBytes(3).toString('hex')}_`;
  const stack = await startStack({
    observatory: false,
    logs: 'silent',
    ports: 'auto',
    stateDir,
    dbPrefix,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    env: { ...env, RATE_LIMIT_MAX: '1000000' },
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
    await load(3); // warm-up: JIT, pools, caches
    const result = await load(duration);
    return {
      telemetry,
      round,
      requests: result.requests.total,
      rps: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      otlpBytes: sink.bytes(),
    };
  } finally {
    await stack.stop();
    await sink.close();
    if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, dbPrefix);
    await rm(stateDir, { recursive: true, force: true });
  }
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
  };
});
const off = summary.find((m) => m.telemetry === 'off');
const ratios = summary
  .filter((m) => m.telemetry !== 'off' && off)
  .map((m) => ({
    telemetry: m.telemetry,
    throughputOverOff: m.rps / (off?.rps ?? 1),
    p50OverOff: m.p50Ms / (off?.p50Ms ?? 1),
    p99OverOff: m.p99Ms / (off?.p99Ms ?? 1),
  }));

console.log(
  `\nCheckout through the gateway (POST /api/v1/orders, tok_ok), ${connections} connections, ${duration}s × ${rounds} rounds`,
);
console.table(results.map((r) => ({ ...r, rps: Number(r.rps.toFixed(1)) })));
console.table(
  summary.map((s) => ({
    ...s,
    rps: Number(s.rps.toFixed(1)),
    p50Ms: Number(s.p50Ms.toFixed(1)),
    p99Ms: Number(s.p99Ms.toFixed(1)),
  })),
);
for (const r of ratios) {
  console.log(
    `telemetry ${r.telemetry}/off: throughput ×${r.throughputOverOff.toFixed(3)}, p50 ×${r.p50OverOff.toFixed(3)}, p99 ×${r.p99OverOff.toFixed(3)}`,
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

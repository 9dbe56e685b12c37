/**
 * Flash sale through the gateway (issue 10): purchase attempts per second and p50/p99, with many users (one
 * token each), for
 *   gateway     the gateway's own ceiling: an unrouted path answered by the gateway alone (same run);
 *   sold-out    a sale much smaller than the demand (most answers 409 SOLD_OUT / LIMIT_REACHED);
 *   all-accept  a sale large enough that every attempt is accepted (202 with a durable purchase);
 * each with telemetry off (OTEL_SDK_DISABLED) and on (traces sampled 10% parent-based as in production,
 * metrics and logs exported over OTLP/HTTP to a byte-counting sink). After each sale the oversell check:
 * units the sale reports sold never exceed its quantity, and equal the 202s the clients received.
 *
 *   node --import tsx bench/flash-sale.ts [--duration 10] [--connections 64] [--users 500] [--admission redis|embedded]
 *
 * Prints a table, writes bench/results/flash-sale.json (flash-sale-embedded.json with --admission embedded), and
 * ends with one line
 * `flash-sale: N attempts/s, p99 M ms, telemetry on, oversold 0` (the telemetry-on sold-out case).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import autocannon from 'autocannon';
import { throwawayStateDir } from '../cli/src/postgres.js';
import { startStack } from '../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../test/support/databases.js';
import { startByteCountingSink } from './otlp-sink.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    users: { type: 'string', default: '500' },
    admission: { type: 'string', default: 'redis' },
    modes: { type: 'string', default: 'off,on' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const userCount = Number(values.users);
const admission = values.admission === 'embedded' ? 'embedded' : 'redis';
type Telemetry = 'off' | 'on';
const modes = String(values.modes).split(',') as Telemetry[];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function inBatches<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => fn(i + j)))));
  }
  return out;
}

interface CaseResult {
  telemetry: Telemetry;
  case: 'gateway' | 'sold-out' | 'all-accept';
  attempts: number;
  attemptsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  accepted: number;
  refused409: number;
  other: number;
  errors: number;
  quantity: number | null;
  sold: number | null;
  oversold: number | null;
}

async function runMode(telemetry: Telemetry): Promise<CaseResult[]> {
  const sink = await startByteCountingSink();
  const env: Record<string, string> =
    telemetry === 'off'
      ? { OTEL_SDK_DISABLED: 'true' }
      : {
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
        };
  const stateDir = await throwawayStateDir('glassbox-bench-');
  const dbPrefix = `gbbench_${randomBytes(3).toString('hex')}_`;
  const stack = await startStack({
    observatory: false,
    logs: 'silent',
    ports: 'auto',
    stateDir,
    dbPrefix,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    env: {
      ...env,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000000',
      AUTH_RATE_LIMIT_MAX: '100000000',
      FLASH_SALE_USER_LIMIT_MAX: '100000000',
      FLASH_SALE_ADDRESS_LIMIT_MAX: '100000000',
      SCRYPT_LOG_N: '10',
      ...(admission === 'redis' ? { REDIS_URL } : {}),
    },
  });
  const results: CaseResult[] = [];
  try {
    const gw = stack.urls.gateway;
    const post = <T>(path: string, body: unknown, token?: string) =>
      json<T>(`${gw}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const login = async (email: string, password = DEMO_PASSWORD) =>
      (await post<{ accessToken: string }>('/api/v1/auth/login', { tenant: 'demo', email, password }))
        .accessToken;
    const admin = await login('admin@demo.test');
    process.stderr.write(`  registering ${userCount} users …\n`);
    const tokens = await inBatches(userCount, 16, async (i) => {
      const email = `buyer-${i}-${randomUUID().slice(0, 6)}@bench.test`;
      await post('/api/v1/auth/register', {
        tenant: 'demo',
        email,
        password: 'bench-password-1',
        name: `Buyer ${i}`,
      });
      return login(email, 'bench-password-1');
    });
    const product = DEMO_PRODUCTS[0];
    if (!product) throw new Error('no demo product');
    await json(`${gw}/api/v1/admin/stock/${product.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ onHand: 50_000_000 }),
    });
    const createSale = (quantity: number, perUserLimit: number) =>
      post<{ id: string }>(
        '/api/v1/admin/flash-sales',
        {
          productId: product.id,
          quantity,
          priceCents: 100,
          startsAt: new Date(Date.now() - 1000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          perUserLimit,
        },
        admin,
      );
    const body = JSON.stringify({ quantity: 1, payment: { method: 'card', token: 'tok_ok' } });
    const attack = (path: string, method: 'GET' | 'POST', seconds: number) =>
      autocannon({
        url: `${gw}${path}`,
        connections,
        duration: seconds,
        requests: [
          {
            method,
            ...(method === 'POST' ? { body } : {}),
            setupRequest: (req) => ({
              ...req,
              headers: {
                ...req.headers,
                'content-type': 'application/json',
                authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}`,
                'idempotency-key': randomUUID(),
              },
            }),
          },
        ],
      });
    const record = (
      name: CaseResult['case'],
      r: autocannon.Result,
      sale: { quantity: number; sold: number } | null,
    ) => {
      const accepted = r['2xx'];
      results.push({
        telemetry,
        case: name,
        attempts: r.requests.total,
        attemptsPerSec: r.requests.average,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        accepted,
        refused409: r.statusCodeStats?.['409']?.count ?? 0,
        other: r.non2xx - (r.statusCodeStats?.['409']?.count ?? 0),
        errors: r.errors,
        quantity: sale?.quantity ?? null,
        sold: sale?.sold ?? null,
        oversold: sale ? Math.max(0, sale.sold - sale.quantity) + Math.max(0, accepted - sale.sold) : null,
      });
    };
    const saleView = (id: string) =>
      json<{ quantity: number; sold: number }>(`${gw}/api/v1/admin/flash-sales/${id}`, {
        headers: { authorization: `Bearer ${admin}` },
      });

    await attack('/api/v1/not-routed', 'GET', 3); // warm-up: JIT, pools, caches
    record('gateway', await attack('/api/v1/not-routed', 'GET', duration), null);

    const warm = await createSale(1_000_000, 1_000);
    await attack(`/api/v1/flash-sales/${warm.id}/purchases`, 'POST', 3);

    const small = await createSale(Math.max(100, Math.floor(userCount / 5)), 1);
    const soldOut = await attack(`/api/v1/flash-sales/${small.id}/purchases`, 'POST', duration);
    record('sold-out', soldOut, await saleView(small.id));

    const large = await createSale(1_000_000, 1_000);
    const all = await attack(`/api/v1/flash-sales/${large.id}/purchases`, 'POST', duration);
    record('all-accept', all, await saleView(large.id));
  } finally {
    await stack.stop();
    await sink.close();
    if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, dbPrefix);
    await rm(stateDir, { recursive: true, force: true });
  }
  return results;
}

const results: CaseResult[] = [];
for (const telemetry of modes) {
  process.stderr.write(`telemetry ${telemetry} (admission ${admission}) …\n`);
  results.push(...(await runMode(telemetry)));
}

const table = results.map((r) => ({
  ...r,
  attemptsPerSec: Number(r.attemptsPerSec.toFixed(0)),
}));
console.log(
  `\nFlash sale through the gateway, admission ${admission}, ${connections} connections, ${userCount} users, ${duration}s per case`,
);
console.table(table);
const ratios = modes.map((t) => {
  const gateway = results.find((r) => r.telemetry === t && r.case === 'gateway');
  const sold = results.find((r) => r.telemetry === t && r.case === 'sold-out');
  const all = results.find((r) => r.telemetry === t && r.case === 'all-accept');
  return {
    telemetry: t,
    soldOutOverGateway: (sold?.attemptsPerSec ?? 0) / (gateway?.attemptsPerSec ?? 1),
    allAcceptOverGateway: (all?.attemptsPerSec ?? 0) / (gateway?.attemptsPerSec ?? 1),
  };
});
for (const r of ratios) {
  console.log(
    `telemetry ${r.telemetry}: sold-out at ×${r.soldOutOverGateway.toFixed(2)} of the gateway's ceiling, all-accept at ×${r.allAcceptOverGateway.toFixed(2)}`,
  );
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL(
    admission === 'redis' ? './results/flash-sale.json' : './results/flash-sale-embedded.json',
    import.meta.url,
  ),
  `${JSON.stringify(
    {
      benchmark: 'flash-sale',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      config: {
        duration,
        connections,
        users: userCount,
        admission,
        modes,
        sampler: 'parentbased_traceidratio 0.1',
      },
      results,
      ratios,
    },
    null,
    2,
  )}\n`,
);
const headline = results.find((r) => r.telemetry === 'on' && r.case === 'sold-out');
const oversold = results.reduce((n, r) => n + (r.oversold ?? 0), 0);
if (headline) {
  console.log(
    `flash-sale: ${headline.attemptsPerSec.toFixed(0)} attempts/s, p99 ${headline.p99Ms} ms, telemetry on, oversold ${oversold}`,
  );
}
process.exit(oversold === 0 ? 0 : 1);

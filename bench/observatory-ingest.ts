/**
 * Observatory ingest benchmark: how fast the OTLP receiver + DuckDB store take spans and logs.
 *
 *   node --import tsx bench/observatory-ingest.ts [--spans 300000] [--logs 300000] [--batch 512]
 *                                                [--concurrency 4] [--pool 200] [--profile DIR]
 *
 * The observatory runs as a child process (`server/src/main.ts`, file-backed DuckDB in a temp dir,
 * DuckDB limited to one thread) so that its CPU time and RSS can be read from /proc; this process
 * only sends pre-encoded OTLP/HTTP protobuf requests (batches of 512 spans of realistic shape:
 * 7 services, ~10-span traces, 8-12 attributes, errors with exception events). A phase ends when
 * every item is written to DuckDB (queue drained per /api/self), so rates are end-to-end.
 *
 * Reported per signal: items/s wall clock; items per CPU-second of the whole observatory process
 * (the "per core" figure: every thread counted — the JS thread, DuckDB's commit/WAL/checkpoint work
 * on the libuv pool, V8's GC helpers), split into µs per item on the JS main thread and on the
 * other threads; bytes stored per item (DuckDB blocks after a checkpoint, and file size); peak RSS;
 * the load average (the machine is shared: CPU-time figures inflate under contention, wall-clock
 * ones much more). Also a store-level comparison of the two write paths (DuckDB appender vs
 * multi-row INSERT). Prints a table; writes bench/results/observatory-ingest.json.
 *
 * Payloads are a pool of `--pool` distinct batches (default 200 = 102,400 spans) sent round-robin,
 * so the client does not compete for CPU by encoding during the run; runs larger than the pool
 * repeat ids and values, which can flatter bytes/item slightly (DuckDB compresses repeats).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeExportRequest } from '../observatory/server/src/ingest/proto.js';
import { TelemetryStore } from '../observatory/server/src/store/telemetry-store.js';
import { EMPTY_ENVELOPE, type SpanRow, type WriteMode } from '../observatory/server/src/store/types.js';

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '300000' },
    logs: { type: 'string', default: '300000' },
    batch: { type: 'string', default: '512' },
    concurrency: { type: 'string', default: '4' },
    pool: { type: 'string', default: '200' },
    profile: { type: 'string' },
  },
});
const SPANS = Number(values.spans);
const LOGS = Number(values.logs);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);
const POOL = Number(values.pool);
/** Directory for V8 CPU profiles of the observatory process (`--profile DIR`). */
const PROFILE_DIR = values.profile;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLK_TCK = 100;

// ---------------------------------------------------------------------------------------------
// Realistic payloads

const SERVICES = ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment'] as const;
const ROUTES = [
  '/api/orders/:id',
  '/api/catalog/products',
  '/api/cart/items',
  '/api/auth/token',
  '/api/users/me',
];
const TABLES = ['orders', 'order_items', 'products', 'stock', 'payments', 'outbox'];

function resourceFor(service: string) {
  const kv = (key: string, v: string | number) => ({
    key,
    value: typeof v === 'number' ? { intValue: v } : { stringValue: v },
  });
  return {
    attributes: [
      kv('service.name', service),
      kv('service.version', '0.1.0'),
      kv('service.instance.id', `${service}-7f9c4d`),
      kv('deployment.environment.name', 'bench'),
      kv('host.name', 'glassbox-bench'),
      kv('process.pid', 4242),
      kv('process.runtime.name', 'nodejs'),
      kv('telemetry.sdk.name', 'opentelemetry'),
      kv('telemetry.sdk.language', 'nodejs'),
      kv('telemetry.sdk.version', '2.12.0'),
    ],
  };
}

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: v } });

let seq = 0;
const T0 = BigInt(Date.now()) * 1_000_000n;

/** One 10-span trace across services; returns spans grouped by service. */
function traceSpans(): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  const traceId = randomBytes(16);
  const start = T0 + BigInt(seq++) * 1_000_000n;
  const route = ROUTES[seq % ROUTES.length]!;
  const error = seq % 20 === 0;
  const ids = Array.from({ length: 10 }, () => randomBytes(8));
  const add = (
    i: number,
    parent: number | null,
    service: string,
    name: string,
    kind: number,
    offsetUs: number,
    durUs: number,
    attributes: object[],
  ) => {
    const s: Record<string, unknown> = {
      traceId,
      spanId: ids[i],
      parentSpanId: parent === null ? Buffer.alloc(0) : ids[parent],
      name,
      kind,
      startTimeUnixNano: (start + BigInt(offsetUs) * 1000n).toString(),
      endTimeUnixNano: (start + BigInt(offsetUs + durUs) * 1000n).toString(),
      attributes,
      status: error && i === 6 ? { code: 2, message: 'insufficient stock' } : { code: 0 },
    };
    if (error && i === 6) {
      s.events = [
        {
          name: 'exception',
          timeUnixNano: (start + BigInt(offsetUs + durUs - 10) * 1000n).toString(),
          attributes: [
            str('exception.type', 'AppError'),
            str('exception.message', 'INVENTORY_OUT_OF_STOCK: sku-1234 has 0 left'),
            str(
              'exception.stacktrace',
              'AppError: out of stock\n    at reserve (inventory/src/domain/stock.ts:88:11)\n    at ...',
            ),
          ],
        },
      ];
    }
    const list = out.get(service) ?? [];
    list.push(s);
    out.set(service, list);
  };
  const http = (method: string, path: string, status: number) => [
    str('http.request.method', method),
    str('http.route', path),
    str('url.path', path.replace(':id', String(seq))),
    str('url.scheme', 'http'),
    int('http.response.status_code', status),
    str('server.address', 'localhost'),
    int('server.port', 8080),
    str('network.protocol.version', '1.1'),
    str('user_agent.original', 'glassbox-load/0.1'),
    str('glassbox.tenant_id', `tenant-${seq % 5}`),
  ];
  const db = (op: string, table: string) => [
    str('db.system.name', 'postgresql'),
    str('db.operation.name', op),
    str('db.collection.name', table),
    str('db.query.text', `${op} * FROM ${table} WHERE id = $1`),
    str('server.address', '127.0.0.1'),
    int('server.port', 5432),
    str('db.namespace', 'glassbox'),
    int('db.response.returned_rows', seq % 7),
  ];
  const status = error ? 409 : 200;
  add(0, null, 'gateway', `GET ${route}`, 2, 0, 9000, http('GET', route, status));
  add(1, 0, 'gateway', 'POST', 3, 100, 8000, http('POST', '/internal/orders', status));
  add(2, 1, 'order', `POST /internal/orders`, 2, 200, 7600, http('POST', '/internal/orders', status));
  add(3, 2, 'order', 'SELECT', 3, 300, 800, db('SELECT', TABLES[seq % TABLES.length]!));
  add(4, 2, 'order', 'POST', 3, 1200, 4000, http('POST', '/internal/reservations', status));
  add(
    5,
    4,
    'inventory',
    'POST /internal/reservations',
    2,
    1300,
    3700,
    http('POST', '/internal/reservations', status),
  );
  add(6, 5, 'inventory', 'UPDATE', 3, 1400, 1500, db('UPDATE', 'stock'));
  add(7, 2, 'order', 'INSERT', 3, 5400, 900, db('INSERT', 'orders'));
  add(8, 2, 'payment', 'payment.authorize', 1, 6400, 1000, [
    str('payment.provider', 'fake'),
    int('payment.amount_cents', 1999),
  ]);
  add(9, 2, 'order', 'orders.created publish', 4, 7500, 200, [
    str('messaging.system', 'rabbitmq'),
    str('messaging.destination.name', 'orders'),
  ]);
  return out;
}

function spanBatch(size: number): Uint8Array {
  const byService = new Map<string, Record<string, unknown>[]>();
  let n = 0;
  while (n < size) {
    for (const [service, spans] of traceSpans()) {
      for (const s of spans) {
        if (n >= size) break;
        const list = byService.get(service) ?? [];
        list.push(s);
        byService.set(service, list);
        n++;
      }
    }
  }
  return encodeExportRequest('traces', {
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: resourceFor(service),
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.223.0' }, spans }],
    })),
  });
}

function logBatch(size: number): Uint8Array {
  const byService = new Map<string, Record<string, unknown>[]>();
  for (let i = 0; i < size; i++) {
    const service = SERVICES[(seq + i) % SERVICES.length]!;
    const k = seq++;
    const sev = k % 50 === 0 ? [17, 'ERROR'] : k % 10 === 0 ? [13, 'WARN'] : [9, 'INFO'];
    const rec = {
      timeUnixNano: (T0 + BigInt(k) * 100_000n).toString(),
      observedTimeUnixNano: (T0 + BigInt(k) * 100_000n + 5000n).toString(),
      severityNumber: sev[0],
      severityText: sev[1],
      body: { stringValue: `order ${k} reserved ${k % 5} items for tenant-${k % 5} in ${k % 90} ms` },
      attributes: [
        str('request_id', `req-${k.toString(36)}`),
        str('tenant_id', `tenant-${k % 5}`),
        str('http.route', ROUTES[k % ROUTES.length]!),
        int('items', k % 5),
        str('logger', 'pino'),
      ],
      traceId: randomBytes(16),
      spanId: randomBytes(8),
    };
    const list = byService.get(service) ?? [];
    list.push(rec);
    byService.set(service, list);
  }
  return encodeExportRequest('logs', {
    resourceLogs: [...byService].map(([service, logRecords]) => ({
      resource: resourceFor(service),
      scopeLogs: [{ scope: { name: 'pino' }, logRecords }],
    })),
  });
}

// ---------------------------------------------------------------------------------------------
// Server process and /proc sampling

interface Server {
  child: ChildProcess;
  http: number;
  console: number;
  dbPath: string;
  dir: string;
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'obs-bench-'));
  const [http, consolePort, grpc] = [await freePort(), await freePort(), await freePort()];
  const dbPath = join(dir, 'telemetry.duckdb');
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'observatory/server/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      OBSERVATORY_HOST: '127.0.0.1',
      OBSERVATORY_PORT: String(consolePort),
      OTLP_HTTP_PORT: String(http),
      OTLP_GRPC_PORT: String(grpc),
      OBSERVATORY_DB: dbPath,
      OBSERVATORY_DUCKDB_THREADS: '1',
      OBSERVATORY_MAX_BYTES: '4GiB',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${consolePort}/api/self`);
      if (r.ok) return { child, http, console: consolePort, dbPath, dir };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('observatory did not start');
}

/** CPU seconds (user + system) of a process (all threads), or of one thread with `tid`. */
function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(
    tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
    'utf8',
  );
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/**
 * CPU seconds of this process's exited (and reaped) children: cutime + cstime of /proc/self. Read
 * before a server starts and after it exits, it gives the server's whole CPU time, including the
 * work it does on the way out (DuckDB's final checkpoint of what is still only in the WAL).
 */
function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

function rssBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

interface SelfBody {
  ingest: { accepted: { spans: number; logs: number } };
  queueDepth: number;
}

async function self(server: Server): Promise<SelfBody> {
  return (await (await fetch(`http://127.0.0.1:${server.console}/api/self`)).json()) as SelfBody;
}

// ---------------------------------------------------------------------------------------------
// A phase: send N items in pre-encoded batches, wait until all are written

interface PhaseResult {
  signal: 'spans' | 'logs';
  items: number;
  requests: number;
  throttled: number;
  payloadBytesPerItem: number;
  wallSeconds: number;
  itemsPerSecond: number;
  serverCpuSeconds: number;
  /** Of it, spent after the phase while stopping: the final checkpoint. */
  shutdownCpuSeconds: number;
  itemsPerCpuSecond: number;
  /** CPU of the observatory's JS (main) thread alone: decoding, converting, appending. */
  mainThreadCpuSeconds: number;
  mainThreadMicrosPerItem: number;
  /** Other threads: DuckDB commits/WAL/checkpoints (libuv pool), GC helpers. */
  otherThreadsMicrosPerItem: number;
  /** 1-minute load average during the phase (the machine is shared; > cores means contention). */
  loadAverage: number;
  peakRssMiB: number;
  storedBytesPerItem: number;
  fileBytesPerItem: number;
}

async function phase(signal: 'spans' | 'logs', total: number): Promise<PhaseResult> {
  const batches = Math.ceil(total / BATCH);
  const pool: Uint8Array[] = [];
  for (let i = 0; i < Math.min(POOL, batches); i++)
    pool.push(signal === 'spans' ? spanBatch(BATCH) : logBatch(BATCH));
  const payloadBytes = pool.reduce((n, b) => n + b.length, 0) / (pool.length * BATCH);

  const reaped0 = reapedChildrenCpuSeconds();
  const server = await startServer();
  const pid = server.child.pid!;
  const url = `http://127.0.0.1:${server.http}/v1/${signal === 'spans' ? 'traces' : 'logs'}`;
  let peakRss = rssBytes(pid, 'VmRSS');
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(pid, 'VmRSS'));
  }, 100);
  const cpu0 = cpuSeconds(pid);
  const main0 = cpuSeconds(pid, pid);
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  let next = 0;
  let throttled = 0;
  let requests = 0;
  const worker = async () => {
    while (true) {
      const i = next++;
      if (i >= batches) return;
      const body = pool[i % pool.length]!;
      for (;;) {
        requests++;
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-protobuf' },
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (res.status !== 429) throw new Error(`HTTP ${res.status}`);
        throttled++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // Wait until everything sent is in DuckDB.
  for (;;) {
    const s = await self(server);
    if (s.queueDepth === 0 && s.ingest.accepted[signal] >= batches * BATCH) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const mainCpu = cpuSeconds(pid, pid) - main0;
  const load = (load0 + loadavg()[0]!) / 2;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssBytes(pid, 'VmHWM'));

  // Stop the server gracefully (DuckDB checkpoints what is still in the WAL), then measure what it
  // stored. The shutdown's CPU is added to the phase: a checkpoint deferred past the end of the
  // phase is still work done for these items.
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  const serverTotalCpu = reapedChildrenCpuSeconds() - reaped0;
  const shutdownCpu = Math.max(0, serverTotalCpu - cpu0 - cpu);
  const cpuWithShutdown = cpu + shutdownCpu;
  const store = await TelemetryStore.open(server.dbPath);
  await store.checkpoint();
  const stored = await store.sizeBytes();
  const counts = await store.counts();
  await store.close();
  const fileBytes = statSync(server.dbPath).size;
  rmSync(server.dir, { recursive: true, force: true });
  const items = signal === 'spans' ? counts.spans : counts.logs;
  if (items !== batches * BATCH) throw new Error(`stored ${items} ${signal}, sent ${batches * BATCH}`);
  return {
    signal,
    items,
    requests,
    throttled,
    payloadBytesPerItem: Math.round(payloadBytes),
    wallSeconds: round(wall, 2),
    itemsPerSecond: Math.round(items / wall),
    serverCpuSeconds: round(cpuWithShutdown, 2),
    shutdownCpuSeconds: round(shutdownCpu, 2),
    itemsPerCpuSecond: Math.round(items / cpuWithShutdown),
    mainThreadCpuSeconds: round(mainCpu, 2),
    mainThreadMicrosPerItem: round((mainCpu / items) * 1e6, 1),
    otherThreadsMicrosPerItem: round(((cpuWithShutdown - mainCpu) / items) * 1e6, 1),
    loadAverage: round(load, 1),
    peakRssMiB: round(peakRss / 1024 / 1024, 1),
    storedBytesPerItem: round(stored / items, 1),
    fileBytesPerItem: round(fileBytes / items, 1),
  };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------
// Store-level write path comparison

function benchRow(i: number): SpanRow {
  const id = i.toString(16).padStart(16, '0');
  return {
    traceId: id.padStart(32, 'a'),
    spanId: id,
    parentSpanId: i % 10 === 0 ? '' : (i - 1).toString(16).padStart(16, '0'),
    traceState: '',
    name: `GET ${ROUTES[i % ROUTES.length]}`,
    kind: 2,
    service: SERVICES[i % SERVICES.length]!,
    startNs: T0 + BigInt(i) * 1000n,
    endNs: T0 + BigInt(i) * 1000n + 5_000_000n,
    durationNs: 5_000_000n,
    statusCode: 0,
    statusMessage: '',
    attributes: JSON.stringify({
      'http.request.method': 'GET',
      'http.route': ROUTES[i % ROUTES.length],
      'url.path': `/api/orders/${i}`,
      'http.response.status_code': 200,
      'server.address': 'localhost',
      'glassbox.tenant_id': `tenant-${i % 5}`,
    }),
    resource: '{"service.name":"order","service.version":"0.1.0","host.name":"glassbox-bench"}',
    scopeName: '@opentelemetry/instrumentation-http',
    events: '[]',
    links: '[]',
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

async function writeModes(): Promise<{ mode: WriteMode; rows: number; rowsPerSecond: number }[]> {
  const out: { mode: WriteMode; rows: number; rowsPerSecond: number }[] = [];
  const rows = Array.from({ length: 20_480 }, (_, i) => benchRow(i));
  for (const mode of ['appender', 'insert'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'obs-bench-wm-'));
    const store = await TelemetryStore.open(join(dir, 'wm.duckdb'), { writeMode: mode, threads: 1 });
    const n = mode === 'insert' ? 4096 : rows.length; // INSERT is slow; keep the run short
    const t0 = performance.now();
    for (let i = 0; i < n; i += 2048) await store.insertSpans(rows.slice(i, Math.min(n, i + 2048)));
    const s = (performance.now() - t0) / 1000;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    out.push({ mode, rows: n, rowsPerSecond: Math.round(n / s) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const modes = await writeModes();
const spans = await phase('spans', SPANS);
const logs = await phase('logs', LOGS);

const machine = {
  cpuModel: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: round(totalmem() / 1024 ** 3, 1),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};
const result = {
  benchmark: 'observatory-ingest',
  date: new Date().toISOString(),
  machine,
  settings: {
    batch: BATCH,
    concurrency: CONCURRENCY,
    pool: POOL,
    transport: 'OTLP/HTTP protobuf',
    duckdbThreads: 1,
  },
  goal: { spansPerCoreSecond: 50_000 },
  phases: [spans, logs],
  writeModes: modes,
  runtimeSeconds: round((performance.now() - started) / 1000, 1),
};

console.log(`\nObservatory ingest — ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}\n`);
console.table(
  [spans, logs].map((p) => ({
    signal: p.signal,
    items: p.items,
    'items/s (wall)': p.itemsPerSecond,
    'items/CPU-s (server)': p.itemsPerCpuSecond,
    'server CPU s': p.serverCpuSeconds,
    'of it at exit': p.shutdownCpuSeconds,
    'µs/item main': p.mainThreadMicrosPerItem,
    'µs/item other': p.otherThreadsMicrosPerItem,
    'wire B/item': p.payloadBytesPerItem,
    'stored B/item': p.storedBytesPerItem,
    'file B/item': p.fileBytesPerItem,
    'peak RSS MiB': p.peakRssMiB,
    '429s': p.throttled,
    load: p.loadAverage,
  })),
);
console.table(modes.map((m) => ({ 'write path': m.mode, rows: m.rows, 'rows/s': m.rowsPerSecond })));
const out = join(ROOT, 'bench/results/observatory-ingest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out} (${result.runtimeSeconds} s)`);

/**
 * What one piece of telemetry costs on its own: the CPU of one operation with telemetry off, with the SDK and
 * the instrumentations on (nothing exported), and exported over OTLP/HTTP protobuf to a sink on loopback —
 * measured with the kit's own set-up (`startTelemetry`, `createLogger`, `createDb`), in child processes that
 * run with the services' V8 flags (`RUNTIME_FLAGS`). The variants alternate round by round in one run.
 *
 * Parts (one operation each):
 *   log    a request's log line ("request completed" with req/res fields) inside a recording span;
 *   span   a server-like span with 11 attributes, ended;
 *   query  a lone statement inside a trace (`db.query`: its client span and `db.client.operation.duration`);
 *   tx     a transaction of two statements through `db.tx` (one `db.transaction` span, statements as events);
 *   http   a hop: the kit's HTTP client POSTs a small JSON body to a kit service app in the same process
 *          (client and server spans, trace-context propagation, both request histograms, the request's log
 *          line) — both ends of one call between two services.
 * Each part runs twice: `tight` (back to back, batches of 50 between event-loop turns: what a micro-benchmark
 * sees, hot and optimised) and `paced` (a few operations every 10 ms, the rest of the time idle, as a service
 * on a busy machine sees its own code: the same work, run a few hundred times a second instead of
 * thousands).
 *
 *   node --import tsx bench/telemetry-parts.ts [--rounds 3] [--parts log,span,query,tx,http] [--pace 500]
 *
 * PostgreSQL: DATABASE_URL, else an embedded server started for the run. Prints a table and writes
 * bench/results/telemetry-parts.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startByteCountingSink } from './otlp-sink.js';

const PARTS = ['log', 'span', 'query', 'tx', 'http'] as const;
type Part = (typeof PARTS)[number];
const VARIANTS = ['off', 'sdk', 'on'] as const;
type Variant = (typeof VARIANTS)[number];
const PACINGS = ['tight', 'paced'] as const;
type Pacing = (typeof PACINGS)[number];

/** Operations per child: enough for a stable mean, few enough that a round takes seconds. */
const OPS: Record<Part, { tight: number; paced: number }> = {
  log: { tight: 20_000, paced: 1_500 },
  span: { tight: 20_000, paced: 1_500 },
  query: { tight: 4_000, paced: 1_500 },
  tx: { tight: 2_000, paced: 1_000 },
  http: { tight: 4_000, paced: 1_500 },
};

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    parts: { type: 'string', default: PARTS.join(',') },
    pace: { type: 'string', default: '500' },
    worker: { type: 'string' },
    variant: { type: 'string' },
    pacing: { type: 'string' },
  },
});

interface WorkerResult {
  ops: number;
  /** CPU (user + system, every thread of the process) per operation, export flush included. */
  cpuUs: number;
  wallUs: number;
}

if (values.worker) {
  // The variant (off, sdk, on) is in the environment the parent gave; `--variant` only names the process.
  const result = await runWorker(values.worker as Part, values.pacing as Pacing, Number(values.pace));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  await main();
}

async function runWorker(part: Part, pacing: Pacing, pace: number): Promise<WorkerResult> {
  // Telemetry first, as in a service: the instrumentations patch pino and pg when those are loaded.
  const { startTelemetry } = await import('../packages/kit/src/telemetry/index.js');
  const telemetry = await startTelemetry({ serviceName: `bench-${part}` });
  const { context, SpanKind, trace } = await import('@opentelemetry/api');
  const { createLogger } = await import('../packages/kit/src/logger.js');
  const { createDb } = await import('../packages/kit/src/db.js');
  const { createServiceApp } = await import('../packages/kit/src/app.js');
  const { createHttpClient } = await import('../packages/kit/src/http-client.js');
  const { default: pino } = await import('pino');
  const tracer = trace.getTracer('bench');

  const devNull = pino.destination({ dest: '/dev/null', sync: true });
  const logger = createLogger('bench', 'info', {}, devNull).child({ reqId: 'r-1' });
  const db =
    part === 'query' || part === 'tx'
      ? createDb(String(process.env.BENCH_DATABASE_URL), { max: 4 })
      : undefined;
  if (db)
    await db.query('CREATE TABLE IF NOT EXISTS bench_parts (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)');
  if (db)
    await db.query(
      'INSERT INTO bench_parts (id) SELECT g FROM generate_series(1, 64) g ON CONFLICT DO NOTHING',
    );

  // The far end of a hop: a kit service app with one route, its request log line to /dev/null too.
  const app = part === 'http' ? await createServiceApp({ name: 'bench-http', logger }) : undefined;
  app?.post('/api/v1/echo', async (request) => ({ received: request.body }));
  const client = app
    ? createHttpClient({ name: 'bench-http', baseUrl: await app.listen({ host: '127.0.0.1', port: 0 }) })
    : undefined;

  const op = async (i: number): Promise<void> => {
    switch (part) {
      case 'log':
        logger.info(
          {
            req: { method: 'POST', url: '/api/v1/orders', route: '/api/v1/orders' },
            res: { statusCode: 201 },
            responseTime: 12.5 + (i % 7),
          },
          'request completed',
        );
        return;
      case 'span': {
        const span = tracer.startSpan('POST /api/v1/orders', {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': 'POST',
            'url.path': '/api/v1/orders',
            'url.scheme': 'http',
            'server.address': '127.0.0.1',
            'server.port': 8085,
            'network.peer.address': '127.0.0.1',
            'network.peer.port': 40_000 + (i % 1000),
            'network.protocol.version': '1.1',
            'user_agent.original': 'node',
            'client.address': '127.0.0.1',
            'http.route': '/api/v1/orders',
          },
        });
        span.setAttribute('http.response.status_code', 201);
        span.end();
        return;
      }
      case 'query':
        await db?.query('SELECT n FROM bench_parts WHERE id = $1', [1 + (i % 64)]);
        return;
      case 'http':
        await client?.json({
          method: 'POST',
          path: '/api/v1/echo',
          body: { productId: 'p-1', quantity: 1 + (i % 3) },
        });
        return;
      case 'tx':
        await db?.tx(async (q) => {
          await q.query('SELECT n FROM bench_parts WHERE id = $1 FOR UPDATE', [1 + (i % 64)]);
          await q.query('UPDATE bench_parts SET n = n + 1 WHERE id = $1', [1 + (i % 64)]);
        });
        return;
    }
  };
  // Queries and calls run four at a time (a pool of 4, four connections), the rest one after another.
  const width = db || client ? 4 : 1;
  const batch = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += width) {
      await Promise.all(Array.from({ length: Math.min(width, from + count - i) }, (_, k) => op(i + k)));
    }
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const root = tracer.startSpan('bench root');
  const ops = OPS[part][pacing];
  const result = await context.with(trace.setSpan(context.active(), root), async () => {
    await batch(0, Math.min(ops, 2_000)); // warm-up: JIT, pool connections
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (pacing === 'tight') {
      for (let i = 0; i < ops; i += 50) {
        await batch(i, Math.min(50, ops - i));
        await turn();
      }
    } else {
      // `pace` operations a second, in ticks of 10 ms.
      const perTick = Math.max(1, Math.round(pace / 100));
      for (let i = 0; i < ops; i += perTick) {
        const started = performance.now();
        await batch(i, Math.min(perTick, ops - i));
        await sleep(Math.max(0, 10 - (performance.now() - started)));
      }
    }
    root.end();
    await telemetry.shutdown(); // flushes what the batch processors still hold: export is part of the cost
    const cpu = process.cpuUsage(cpu0);
    return { ops, cpuUs: (cpu.user + cpu.system) / ops, wallUs: ((performance.now() - t0) * 1000) / ops };
  });
  await db?.close();
  await app?.close();
  return result;
}

async function main(): Promise<void> {
  const rounds = Number(values.rounds);
  const parts = String(values.parts).split(',') as Part[];
  for (const part of parts) {
    if (!PARTS.includes(part)) {
      console.error(`unknown part ${JSON.stringify(part)}: ${PARTS.join(', ')}`);
      process.exit(2);
    }
  }
  const { RUNTIME_FLAGS } = await import('../cli/src/stack.js');
  const sink = await startByteCountingSink();
  const needsDb = parts.some((p) => p === 'query' || p === 'tx');
  const database = needsDb ? await startDatabase() : undefined;
  const script = fileURLToPath(import.meta.url);

  const variantEnv: Record<Variant, Record<string, string>> = {
    off: { OTEL_SDK_DISABLED: 'true' },
    sdk: { OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' },
    on: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
  };
  const child = (part: Part, variant: Variant, pacing: Pacing) =>
    new Promise<WorkerResult>((resolve, reject) => {
      const proc = spawn(
        process.execPath,
        [
          ...RUNTIME_FLAGS,
          '--import',
          'tsx',
          script,
          `--worker=${part}`,
          `--variant=${variant}`,
          `--pacing=${pacing}`,
          `--pace=${values.pace}`,
        ],
        {
          env: {
            ...process.env,
            ...variantEnv[variant],
            OTEL_SERVICE_NAME: `bench-${part}`,
            ...(database ? { BENCH_DATABASE_URL: database.url } : {}),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      proc.on('error', reject);
      proc.on('exit', (code) => {
        const line = out.trim().split('\n').at(-1) ?? '';
        if (code !== 0 || !line.startsWith('{'))
          reject(new Error(`${part}/${variant}/${pacing} exited ${code}: ${out}`));
        else resolve(JSON.parse(line) as WorkerResult);
      });
    });

  type Row = { part: Part; pacing: Pacing; variant: Variant; round: number } & WorkerResult;
  const rows: Row[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const part of parts) {
        for (const pacing of PACINGS) {
          // Alternate the order of the variants from round to round, so drift hits each alike.
          const order = round % 2 === 1 ? VARIANTS : [...VARIANTS].reverse();
          for (const variant of order) {
            const r = await child(part, variant, pacing);
            rows.push({ part, pacing, variant, round, ...r });
            console.log(
              `round ${round}  ${part.padEnd(5)} ${pacing.padEnd(5)} ${variant.padEnd(3)}  ${r.cpuUs.toFixed(1).padStart(7)} µs CPU/op  ${r.wallUs.toFixed(1).padStart(7)} µs wall/op`,
            );
          }
        }
      }
    }
  } finally {
    await database?.stop();
    await sink.close();
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
  };
  const round1 = (x: number) => Math.round(x * 10) / 10;
  const summary = parts.flatMap((part) =>
    PACINGS.map((pacing) => {
      const cpu = (variant: Variant) =>
        median(
          rows
            .filter((r) => r.part === part && r.pacing === pacing && r.variant === variant)
            .map((r) => r.cpuUs),
        );
      const off = cpu('off');
      return {
        part,
        pacing,
        offCpuUs: round1(off),
        sdkCpuUs: round1(cpu('sdk')),
        onCpuUs: round1(cpu('on')),
        sdkExtraUs: round1(cpu('sdk') - off),
        onExtraUs: round1(cpu('on') - off),
      };
    }),
  );
  console.log('\nmedian CPU per operation (µs), every thread of the process, export flush included:\n');
  console.log('| part | pacing | off | sdk (nothing exported) | on (exported) | sdk − off | on − off |');
  console.log('|---|---|---|---|---|---|---|');
  for (const s of summary) {
    console.log(
      `| ${s.part} | ${s.pacing} | ${s.offCpuUs} | ${s.sdkCpuUs} | ${s.onCpuUs} | +${s.sdkExtraUs} | +${s.onExtraUs} |`,
    );
  }
  const out = fileURLToPath(new URL('./results/telemetry-parts.json', import.meta.url));
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify(
      {
        benchmark: 'telemetry-parts',
        date: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpu: cpus()[0]?.model,
          memGb: Math.round(totalmem() / 2 ** 30),
          node: process.version,
          loadAverageAtEnd: loadavg().map(round1),
        },
        config: { rounds, parts, pace: Number(values.pace), ops: OPS, runtimeFlags: RUNTIME_FLAGS },
        summary,
        rounds: rows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${out}`);
}

/** A database for the query parts: a fresh one on DATABASE_URL's server, else an embedded PostgreSQL. */
async function startDatabase(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { databaseUrlFor, dropDatabases, ensureDatabases, startEmbeddedPostgres, throwawayStateDir } =
    await import('../cli/src/postgres.js');
  const name = `gbparts_${randomBytes(3).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    const admin = process.env.DATABASE_URL;
    await ensureDatabases(admin, [name]);
    return { url: databaseUrlFor(admin, name), stop: () => dropDatabases(admin, [name]) };
  }
  const dir = await throwawayStateDir('glassbox-parts-');
  const { freePorts } = await import('../cli/src/ports.js');
  const [port] = await freePorts(1);
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: Number(port) });
  await ensureDatabases(server.adminUrl, [name]);
  return {
    url: databaseUrlFor(server.adminUrl, name),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The event bus end to end, for each adapter (PostgreSQL through pg-boss, RabbitMQ), telemetry off and on in
 * the same run: a producer process commits state changes, each with its event in the outbox (one event per
 * transaction, as a service does), its relay publishes; a consumer process handles each event in a transaction
 * of its own database that records it in the inbox. An event counts when the consumer's transaction committed.
 *
 * `--per-tx N` puts N state changes and their N events in each producer transaction (default 1, as a service
 * does): the bus downstream of the outbox is the same, the producer's commits per event fall N-fold.
 *
 * Two phases per adapter and mode:
 *   max   N events as fast as 16 concurrent producers commit them → events/s from the first event's creation
 *         to the last consumer commit;
 *   rate  a fixed, open-loop rate (half the goal: 1,000/s PostgreSQL, 2,500/s RabbitMQ) for a few seconds →
 *         delivery latency (event created in the producer's transaction → consumer committed), p50/p99.
 * Telemetry off: OTEL_SDK_DISABLED=true; on: the kit's SDK with traces, metrics and logs exported over
 * OTLP/HTTP to a sink here that only counts bytes.
 *
 * Per step, to see which stage limits: the producer's commits/s on their own, the outbox relay's latency
 * (transaction start → marked published, from the outbox table), and CPU milliseconds per 1,000 events of
 * each process — producer, consumer, the PostgreSQL backends of the step's databases (by database), and for
 * RabbitMQ the broker's whole process (the machine's shared broker, so other users' traffic counts too).
 *
 *   node --import tsx bench/bus.ts [--events 20000] [--seconds 8] [--adapters pg,rabbitmq] [--modes off,on]
 *                                  [--phases max,rate] [--per-tx 1] [--profile DIR]
 *
 * `--profile DIR` writes a V8 CPU profile of every producer and consumer process into DIR (open it in Chrome's
 * DevTools or summarise it with `node bench/cpu-profile-top.ts FILE`).
 *
 * Prints a table and writes bench/results/bus.json (with the machine). Needs the machine's PostgreSQL
 * (TEST_DATABASE_URL or DATABASE_URL, else 127.0.0.1:5432) and RabbitMQ (TEST_BUS_URL, else guest@127.0.0.1),
 * and rabbitmqctl for a throw-away virtual host.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startByteCountingSink } from './otlp-sink.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    events: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '8' },
    adapters: { type: 'string', default: 'pg,rabbitmq' },
    modes: { type: 'string', default: 'off,on' },
    phases: { type: 'string', default: 'max,rate' },
    profile: { type: 'string' },
    'per-tx': { type: 'string', default: '1' },
    // child options
    phase: { type: 'string' },
    db: { type: 'string' },
    bus: { type: 'string' },
    count: { type: 'string' },
    rate: { type: 'string' },
  },
});

type Adapter = 'pg' | 'rabbitmq';
type Mode = 'off' | 'on';
type Phase = 'max' | 'rate';
const GOAL: Record<Adapter, number> = { pg: 2_000, rabbitmq: 5_000 };
const CONCURRENCY = 16;
/** State changes (and events) per producer transaction. */
const PER_TX = Math.max(1, Number(values['per-tx']));

interface ConsumerReport {
  count: number;
  /** CPU time of the consumer process (user + system) from its subscription to the last event. */
  cpuMs: number;
  firstCreatedMs: number;
  lastCommittedMs: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

// ------------------------------------------------------------------------------------------------------
// Children: telemetry first (it must patch pg before pg loads), then the kit.
// ------------------------------------------------------------------------------------------------------

async function child(role: 'producer' | 'consumer'): Promise<void> {
  // Profiled children write their profile on exit; the parent stops them with SIGTERM, so exit on it.
  if (process.execArgv.includes('--cpu-prof')) process.once('SIGTERM', () => process.exit(0));
  const { startTelemetry } = await import('../packages/kit/src/telemetry/index.js');
  await startTelemetry({ serviceName: `bench-${role}` });
  const { createDb, createLogger } = await import('../packages/kit/src/index.js');
  const { createBus, createOutbox, idempotent, migrateKitTables } = await import(
    '../packages/kit/src/bus/index.js'
  );
  const logger = createLogger(`bench-${role}`, 'warn');
  // Open-loop producers may queue for a connection longer than the default 5 s: wait, and let latency show it.
  const db = createDb(String(values.db), {
    max: role === 'producer' ? CONCURRENCY + 4 : 24,
    connectionTimeoutMillis: 0,
  });
  const bus = await createBus({ url: String(values.bus), logger, name: `bench-${role}` });

  if (role === 'consumer') {
    await migrateKitTables(db, ['inbox']);
    await db.query(
      'CREATE TABLE IF NOT EXISTS notifications (order_id uuid PRIMARY KEY, total_cents bigint NOT NULL)',
    );
    const expected = Number(values.count);
    const latencies: number[] = [];
    let firstCreated = Number.POSITIVE_INFINITY;
    let lastCommitted = 0;
    const cpuAtStart = process.cpuUsage();
    await bus.subscribe({
      group: 'bench.consumer',
      types: ['order.confirmed'],
      prefetch: 64,
      handle: idempotent(db, async (event, tx) => {
        const data = event.data as { orderId: string; totalCents: number };
        await tx.query('INSERT INTO notifications (order_id, total_cents) VALUES ($1, $2)', [
          data.orderId,
          data.totalCents,
        ]);
        const created = Date.parse(event.time ?? '');
        tx.afterCommit(() => {
          const now = Date.now();
          latencies.push(now - created);
          firstCreated = Math.min(firstCreated, created);
          lastCommitted = Math.max(lastCommitted, now);
          if (latencies.length === expected) {
            const sorted = [...latencies].sort((a, b) => a - b);
            const cpu = process.cpuUsage(cpuAtStart);
            const report: ConsumerReport = {
              count: latencies.length,
              cpuMs: Math.round((cpu.user + cpu.system) / 1000),
              firstCreatedMs: firstCreated,
              lastCommittedMs: lastCommitted,
              latencyMs: {
                p50: percentile(sorted, 50),
                p90: percentile(sorted, 90),
                p99: percentile(sorted, 99),
                max: sorted.at(-1) ?? Number.NaN,
              },
            };
            process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
          }
        });
      }),
    });
    process.stdout.write('READY\n');
    return; // runs until the parent stops it
  }

  await migrateKitTables(db, ['outbox']);
  await db.query('CREATE TABLE IF NOT EXISTS orders (id uuid PRIMARY KEY, status text NOT NULL)');
  const outbox = createOutbox({ db, bus, source: 'bench', logger, batchSize: 500 });
  outbox.start();
  const count = Number(values.count);
  const cpuAtStart = process.cpuUsage();
  // A transaction the shared server refused (e.g. too many clients) is retried, so the consumer still gets
  // every event it waits for; the retries are reported. One that keeps failing stops the producer (and the step).
  let retries = 0;
  const commit = async (events: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await commitOnce(events);
      } catch (error) {
        process.stderr.write(`commit failed (attempt ${attempt}): ${(error as Error).message}\n`);
        if (attempt >= 10) process.exit(1);
        retries++;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  };
  const commitOnce = (events: number) =>
    db.tx(async (tx) => {
      for (let i = 0; i < events; i++) await change(tx);
    });
  const change = async (tx: Parameters<Parameters<typeof db.tx>[0]>[0]) => {
    const orderId = randomUUID();
    await tx.query(`INSERT INTO orders (id, status) VALUES ($1, 'CONFIRMED')`, [orderId]);
    await outbox.add(
      tx,
      'order.confirmed',
      {
        tenantId: '00000000-0000-4000-8000-000000000001',
        orderId,
        userId: randomUUID(),
        totalCents: 4_200,
        currency: 'EUR',
        items: [
          { productId: 'p-1', quantity: 1, name: 'Mug', unitPriceCents: 1_200 },
          { productId: 'p-2', quantity: 2, name: 'Tea', unitPriceCents: 1_500 },
        ],
        confirmedAt: new Date().toISOString(),
      },
      { subject: orderId },
    );
  };
  const commitsStarted = performance.now();
  if (values.phase === 'max') {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const events = Math.min(PER_TX, count - next);
          next += events;
          await commit(events);
        }
      }),
    );
  } else {
    // Open loop: start transactions on schedule whether or not earlier ones finished.
    const rate = Number(values.rate);
    const started = performance.now();
    const inFlight = new Set<Promise<void>>();
    for (let sent = 0; sent < count; ) {
      const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        const events = Math.min(PER_TX, count - sent);
        const p = commit(events).finally(() => inFlight.delete(p));
        inFlight.add(p);
        sent += events;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(inFlight);
  }
  process.stdout.write(`COMMITTED ${Math.round(performance.now() - commitsStarted)} ${retries}\n`);
  while ((await outbox.pending()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const cpu = process.cpuUsage(cpuAtStart);
  process.stdout.write(`CPU ${Math.round((cpu.user + cpu.system) / 1000)}\n`);
  process.stdout.write('DONE\n');
}

// ------------------------------------------------------------------------------------------------------
// Parent
// ------------------------------------------------------------------------------------------------------

const SELF = fileURLToPath(import.meta.url);

function spawnChild(role: string, args: string[], env: NodeJS.ProcessEnv) {
  const profile = values.profile
    ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`, `--cpu-prof-name=${role}.${Date.now()}.cpuprofile`]
    : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', SELF, '--child', role, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  proc.stdout.on('data', (c: Buffer) => {
    buffered += c.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.match.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    waitFor(match: RegExp, timeoutMs: number): Promise<string> {
      const seen = lines.find((l) => match.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${role}: no ${match} in ${timeoutMs} ms\n${stderr.slice(-2_000)}`)),
          timeoutMs,
        );
        void exited.then((code) =>
          reject(new Error(`${role} exited (${code}) before ${match}\n${stderr.slice(-2_000)}`)),
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** rabbitmqctl, tried again for up to a minute while the shared broker is down (another user's restart test). */
async function rabbitmqctl(args: string[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run('rabbitmqctl', args);
      return;
    } catch (error) {
      if (attempt >= 30) throw error;
      process.stderr.write(`rabbitmqctl ${args.join(' ')} failed; again in 2 s\n`);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

/** CPU time (user + system) of a process so far, from /proc (0 when it is gone). */
async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** CPU time of the RabbitMQ server (its Erlang VM), or null when it is not on this machine. */
async function brokerCpuMs(): Promise<number | null> {
  const { stdout } = await run('pidof', ['beam.smp']).catch(() => ({ stdout: '' }));
  const pids = stdout.trim().split(/\s+/).filter(Boolean).map(Number);
  if (pids.length === 0) return null;
  return (await Promise.all(pids.map(processCpuMs))).reduce((a, b) => a + b, 0);
}

interface Result {
  adapter: Adapter;
  telemetry: Mode;
  phase: Phase;
  events: number;
  offeredRate: number | null;
  eventsPerSecond: number;
  latencyMs: ConsumerReport['latencyMs'];
  /** CPU milliseconds of the producer and consumer processes per 1,000 events (PostgreSQL and RabbitMQ not counted). */
  cpuMsPerThousand: {
    producer: number;
    consumer: number;
    /** The PostgreSQL backends of the step's three databases (producer, consumer, bus), read from /proc. */
    postgres: number;
    /** The same by database. */
    postgresBy: { producer: number; consumer: number; bus: number };
    /** The whole RabbitMQ server process during the step (the machine's shared broker), RabbitMQ steps only. */
    rabbitmq: number | null;
  };
  otlpBytes: number;
  /** State changes (and events) per producer transaction. */
  eventsPerTransaction: number;
  /** Producer transactions committed per second, on their own (the first stage of the pipeline). */
  producerCommitsPerSecond: number;
  /** Producer transactions the server refused and the producer ran again. */
  commitRetries: number;
  /** Outbox relay: transaction start of the event → the relay's mark as published (from the outbox table). */
  relayLatencyMs: { p50: number; p99: number };
}

async function parent(): Promise<void> {
  const pg = await import('pg');
  const server =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.default.Client({ connectionString: server });
  await admin.connect();
  const amqpBase = (process.env.TEST_BUS_URL ?? 'amqp://guest:guest@127.0.0.1:5672').replace(/\/+$/, '');
  const adapters = String(values.adapters).split(',') as Adapter[];
  const modes = String(values.modes).split(',') as Mode[];
  const events = Number(values.events);
  const seconds = Number(values.seconds);
  const sink = await startByteCountingSink();
  const results: Result[] = [];
  const dbUrl = (name: string) => {
    const u = new URL(server);
    u.pathname = `/${name}`;
    return u.toString();
  };

  const versions = {
    postgres:
      (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?',
    rabbitmq: (await run('rabbitmqctl', ['-q', 'version']).catch(() => ({ stdout: '?' }))).stdout.trim(),
  };

  const steps: { adapter: Adapter; mode: Mode; phase: Phase; rate: number | null }[] = [];
  const phases = String(values.phases).split(',') as Phase[];
  for (const adapter of adapters) {
    if (phases.includes('max'))
      for (const mode of modes) steps.push({ adapter, mode, phase: 'max', rate: null });
    if (phases.includes('rate'))
      for (const mode of modes) steps.push({ adapter, mode, phase: 'rate', rate: GOAL[adapter] / 2 });
  }
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!step) continue;
    const { adapter, mode, phase } = step;
    {
      const tag = `gbbench_${randomBytes(3).toString('hex')}`;
      const names = { producer: `${tag}_producer`, consumer: `${tag}_consumer`, bus: `${tag}_bus` };
      for (const n of Object.values(names)) await admin.query(`CREATE DATABASE "${n}"`);
      let busUrl = dbUrl(names.bus);
      if (adapter === 'rabbitmq') {
        await rabbitmqctl(['-q', 'add_vhost', tag]);
        await rabbitmqctl(['-q', 'set_permissions', '-p', tag, 'guest', '.*', '.*', '.*']);
        busUrl = `${amqpBase}/${tag}`;
      }
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...(mode === 'off'
          ? { OTEL_SDK_DISABLED: 'true' }
          : {
              OTEL_SDK_DISABLED: 'false',
              OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
              OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
            }),
      };
      const rate = step.rate;
      const count = phase === 'max' ? events : Math.round((rate ?? 0) * seconds);
      const common = [
        '--phase',
        phase,
        '--bus',
        busUrl,
        '--count',
        String(count),
        '--per-tx',
        String(PER_TX),
      ];
      const bytesBefore = sink.bytes();
      const brokerBefore = adapter === 'rabbitmq' ? await brokerCpuMs() : null;
      const consumer = spawnChild('consumer', [...common, '--db', dbUrl(names.consumer)], env);
      try {
        await consumer.waitFor(/^READY$/, 60_000);
        const producer = spawnChild(
          'producer',
          [...common, '--db', dbUrl(names.producer), ...(rate ? ['--rate', String(rate)] : [])],
          env,
        );
        // A producer that dies fails the step at once, with its output.
        const died = producer.exited.then((code) => {
          throw new Error(`producer exited (${code}) before the consumer saw every event`);
        });
        died.catch(() => {});
        const line = await Promise.race([consumer.waitFor(/^REPORT /, 900_000), died]);
        const [committedMs, commitRetries] = (await producer.waitFor(/^COMMITTED \d+ \d+$/, 120_000))
          .slice(10)
          .split(' ')
          .map(Number);
        const producerCpu = Number((await producer.waitFor(/^CPU \d+$/, 120_000)).slice(4));
        await producer.waitFor(/^DONE$/, 60_000);
        const brokerAfter = adapter === 'rabbitmq' ? await brokerCpuMs() : null;
        const backends = (
          await admin.query<{ pid: number; datname: string }>(
            'SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1)',
            [Object.values(names)],
          )
        ).rows;
        const postgresBy = { producer: 0, consumer: 0, bus: 0 };
        for (const b of backends) {
          const role =
            b.datname === names.producer ? 'producer' : b.datname === names.consumer ? 'consumer' : 'bus';
          postgresBy[role] += await processCpuMs(b.pid);
        }
        const postgresCpu = postgresBy.producer + postgresBy.consumer + postgresBy.bus;
        const perThousand = (ms: number) => Math.round((ms / report.count) * 1000);
        producer.proc.kill('SIGTERM');
        await producer.exited;
        const report = JSON.parse(line.slice('REPORT '.length)) as ConsumerReport;
        const producerDb = new pg.default.Client({ connectionString: dbUrl(names.producer) });
        await producerDb.connect();
        const [relay] = (
          await producerDb.query<{ p50: number; p99: number }>(
            `SELECT round(1000 * extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY sent_at - created_at)))::int AS p50,
                    round(1000 * extract(epoch FROM percentile_cont(0.99) WITHIN GROUP (ORDER BY sent_at - created_at)))::int AS p99
               FROM outbox`,
          )
        ).rows;
        await producerDb.end();
        const result: Result = {
          adapter,
          telemetry: mode,
          phase,
          events: report.count,
          offeredRate: rate,
          eventsPerSecond: Math.round(
            report.count / ((report.lastCommittedMs - report.firstCreatedMs) / 1000),
          ),
          latencyMs: report.latencyMs,
          cpuMsPerThousand: {
            producer: Math.round((producerCpu / report.count) * 1000),
            consumer: Math.round((report.cpuMs / report.count) * 1000),
            postgres: perThousand(postgresCpu),
            postgresBy: {
              producer: perThousand(postgresBy.producer),
              consumer: perThousand(postgresBy.consumer),
              bus: perThousand(postgresBy.bus),
            },
            rabbitmq:
              brokerBefore === null || brokerAfter === null
                ? null
                : Math.round(((brokerAfter - brokerBefore) / report.count) * 1000),
          },
          otlpBytes: sink.bytes() - bytesBefore,
          eventsPerTransaction: PER_TX,
          producerCommitsPerSecond: Math.round(count / PER_TX / ((committedMs ?? Number.NaN) / 1000)),
          commitRetries: commitRetries ?? 0,
          relayLatencyMs: { p50: relay?.p50 ?? Number.NaN, p99: relay?.p99 ?? Number.NaN },
        };
        results.push(result);
        process.stderr.write(`${JSON.stringify(result)}\n`);
        if (phase === 'max' && phases.includes('rate')) {
          // Latency below saturation too: half the rate this machine reached, when that is under the goal's half.
          const half = Math.max(10, Math.round(result.eventsPerSecond / 2));
          if (half < GOAL[adapter] / 2) steps.push({ adapter, mode, phase: 'rate', rate: half });
        }
      } finally {
        consumer.proc.kill('SIGTERM');
        await consumer.exited;
        for (const n of Object.values(names))
          await admin.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
        if (adapter === 'rabbitmq') await run('rabbitmqctl', ['-q', 'delete_vhost', tag]).catch(() => {});
      }
    }
  }
  await admin.end();
  await sink.close();

  const rows = results.map((r) => ({
    adapter: r.adapter === 'pg' ? 'PostgreSQL (pg-boss)' : 'RabbitMQ',
    telemetry: r.telemetry,
    phase: r.phase === 'max' ? `max (${r.events} events)` : `${r.offeredRate}/s for ${seconds} s`,
    'events/s': r.eventsPerSecond,
    'p50 ms': r.latencyMs.p50,
    'p99 ms': r.latencyMs.p99,
    'max ms': r.latencyMs.max,
    'events/tx': r.eventsPerTransaction,
    'commits/s': r.producerCommitsPerSecond,
    'relay p50/p99 ms': `${r.relayLatencyMs.p50}/${r.relayLatencyMs.p99}`,
    'CPU ms/1k (prod+cons)': r.cpuMsPerThousand.producer + r.cpuMsPerThousand.consumer,
    'CPU ms/1k (PG, broker)': `${r.cpuMsPerThousand.postgres}, ${r.cpuMsPerThousand.rabbitmq ?? '–'}`,
  }));
  console.table(rows);
  const cpu = cpus();
  const out = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model ?? '?',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      ...versions,
      note: 'a shared 2-core VM: other developers ran tests at the same time; compare ratios, not absolutes',
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 10) / 10),
    },
    settings: { producers: CONCURRENCY, eventsPerTransaction: PER_TX, consumerPrefetch: 64, relayBatch: 500 },
    goals: { 'events/s': GOAL, p99Ms: 50 },
    results,
  };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  // One event per transaction is the default run (bus.json); batched producers are written beside it.
  const file = PER_TX === 1 ? 'bus.json' : `bus-per-tx-${PER_TX}.json`;
  await writeFile(new URL(`./results/${file}`, import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`written to bench/results/${file}`);
}

if (values.child === 'producer' || values.child === 'consumer') await child(values.child);
else await parent();

/**
 * The bus on PostgreSQL (the default in embedded mode: no extra server), through pg-boss 12 — a kept library
 * (Node ≥ 22.12, PostgreSQL ≥ 13; embedded PostgreSQL is 18, the machine's 15) that already does what a queue
 * on PostgreSQL must get right: `SKIP LOCKED` claiming, LISTEN/NOTIFY wake-ups (latency in milliseconds, with
 * polling as the safety net), retries with exponential backoff, dead-letter queues that keep the failure's
 * output, expiry of claims whose worker died, retention and pub/sub fan-out (`subscribe(type, queue)`).
 *
 * Mapping: a consumer group is a pg-boss queue (`notify: true`) with a dead-letter queue `<group>.dlq`; each
 * event type the group wants is a pg-boss subscription; a CloudEvent is a job whose data is the whole
 * envelope and whose id is the event's id, so a relay that publishes an event twice (crash between publish
 * and marking it sent) creates one job per queue, not two. A publish fans out like pg-boss's `publish()`, but
 * for a whole batch at once: the subscriptions (pg-boss's `subscription` table, one of its documented fixed
 * tables) are read once a second, and each queue gets its jobs in one `insert()` — one statement per queue
 * instead of two per event. A group that subscribes in another process receives events from at most a
 * second after it subscribed. The bus lives in its own database (BUS_URL), shared
 * by every service, in the schema `glassbox_bus`; pg-boss's own telemetry is off because the bus records the
 * messaging spans and metrics itself, the same way for both adapters (telemetry.ts).
 */
import type { Pool } from 'pg';
import { PgBoss } from 'pg-boss';
import { dbTargetOf, forgetPool, observePool, type StatementMeter, statementMeter } from '../db-telemetry.js';
import type { Logger } from '../logger.js';
import { parseBody, settle, withDefaults } from './consume.js';
import { createEventCatalog, type EventCatalog } from './events.js';
import { createBusTelemetry } from './telemetry.js';
import { type Bus, type DeadLetter, InvalidEvent, type Subscription } from './types.js';

export interface PostgresBusOptions {
  /** The bus database (`postgres://…/glassbox_bus`). */
  url: string;
  logger: Logger;
  catalog?: EventCatalog;
  /**
   * Connections for the bus in this process. Default 4: one for LISTEN, the rest shared by claiming, settling
   * and publishing — every service of a stack holds its own, so more would mostly be idle backends.
   */
  poolSize?: number;
  schema?: string;
  /** `application_name` of the connections, to find them in pg_stat_activity. */
  name?: string;
}

/** The parts of pg-boss's database object (its `Db`) that run SQL. */
interface PgBossDb {
  executeSql(text: string, values?: unknown[], options?: object): Promise<unknown>;
  beginTransaction(): Promise<PgBossTransaction>;
  withTransaction<T>(fn: (db: PgBossTransaction['db']) => Promise<T>): Promise<T>;
}
interface PgBossTransaction {
  db: { executeSql(text: string, values?: unknown[]): Promise<unknown> };
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * pg-boss's SQL is the bus's plumbing: the bus's own spans (`send`, `process`) say what it did for a request,
 * and a span for each of its statements (the subscription lookup, the insert, the claim) would only crowd the
 * request's trace. So its statements make no span, but each is measured in `db.client.operation.duration`
 * (db-telemetry.ts), inside a trace or not, under the bus database's namespace.
 */
function measureSql(db: PgBossDb, meter: StatementMeter): void {
  const measured =
    (executeSql: PgBossDb['executeSql']): PgBossDb['executeSql'] =>
    (text, values, options) =>
      meter.measure(text, () => executeSql(text, values, options));
  db.executeSql = measured(db.executeSql.bind(db));
  const beginTransaction = db.beginTransaction.bind(db);
  db.beginTransaction = async () => {
    const tx = await beginTransaction();
    const executeSql = tx.db.executeSql.bind(tx.db);
    tx.db.executeSql = (text, values) => meter.measure(text, () => executeSql(text, values));
    return tx;
  };
}

const dlqOf = (group: string) => `${group}.dlq`;

/** A worker refreshes its claims every half of this; pg-boss's minimum is 10. */
const CLAIM_HEARTBEAT_SECONDS = 10;
/** How often pg-boss's supervisor looks for expired claims and lost heartbeats. */
const SUPERVISE_SECONDS = 3;
/** pg-boss workers per consumer group in a process, sharing its prefetch (each fetches `prefetch / FETCHERS`). */
const FETCHERS = 4;
const MIN_BATCH = 8;

interface DeadOutput {
  reason?: string;
}

/**
 * Installs (or migrates) the bus's schema, once, before the processes that share it start: several processes
 * starting pg-boss on an empty database at once race to create it — all but one fail with `type "job_state"
 * already exists` and retry, and PostgreSQL logs each failed statement, hundreds of lines of SQL on a
 * newcomer's first `npm start`.
 */
export async function installPostgresBusSchema(url: string, schema = 'glassbox_bus'): Promise<void> {
  const boss = new PgBoss({
    connectionString: url,
    schema,
    max: 1,
    application_name: 'glassbox-bus-install',
    supervise: false,
    schedule: false,
    openTelemetry: { enabled: false },
  });
  // An emitter with no 'error' listener throws; what matters here is what start() rejects with.
  boss.on('error', () => undefined);
  try {
    await boss.start();
  } finally {
    await boss.stop({ graceful: false, close: true }).catch(() => undefined);
  }
}

export async function createPostgresBus(options: PostgresBusOptions): Promise<Bus> {
  const { logger } = options;
  const catalog = options.catalog ?? createEventCatalog();
  const telemetry = createBusTelemetry('pg-boss');
  const boss = new PgBoss({
    connectionString: options.url,
    schema: options.schema ?? 'glassbox_bus',
    max: options.poolSize ?? 4,
    application_name: options.name ?? 'glassbox-bus',
    useListenNotify: true,
    schedule: false,
    // Orphaned claims (below) are found by the supervisor's pass: every few seconds, not pg-boss's minute.
    superviseIntervalSeconds: SUPERVISE_SECONDS,
    monitorIntervalSeconds: SUPERVISE_SECONDS,
    openTelemetry: { enabled: false },
  });
  const target = dbTargetOf(options.url);
  measureSql(boss.getDb() as PgBossDb, statementMeter(target));
  let lastError: { at: Date; message: string } | undefined;
  boss.on('error', (error: Error) => {
    lastError = { at: new Date(), message: error.message };
    logger.warn({ err: error.message }, 'bus (PostgreSQL) error');
  });
  await boss.start();
  // pg-boss opens its pool in start(): observed from then on (db.client.connection.* metrics).
  const pool = (boss.getDb() as { pool?: Pool }).pool;
  if (pool) observePool(pool, target);
  let closed = false;
  const schema = options.schema ?? 'glassbox_bus';
  let routes: { at: number; byType: Map<string, string[]> } | undefined;
  async function queuesFor(type: string): Promise<string[]> {
    if (!routes || Date.now() - routes.at > 1_000) {
      const { rows } = await boss.getDb().executeSql(`SELECT event, name FROM ${schema}.subscription`);
      const byType = new Map<string, string[]>();
      for (const row of rows as { event: string; name: string }[]) {
        byType.set(row.event, [...(byType.get(row.event) ?? []), row.name]);
      }
      routes = { at: Date.now(), byType };
    }
    return routes.byType.get(type) ?? [];
  }

  return {
    system: 'pg-boss',

    async publish(events) {
      if (closed) throw new Error('the bus is closed');
      for (const event of events) {
        const checked = catalog.check(event);
        if (!checked.ok) throw new InvalidEvent(`event ${event.id}: ${checked.reason}`);
      }
      if (events.length === 0) return;
      await telemetry.send(events, async () => {
        const jobs = new Map<string, { id: string; data: object }[]>();
        for (const event of events) {
          for (const queue of await queuesFor(event.type)) {
            const batch = jobs.get(queue) ?? [];
            batch.push({ id: event.id, data: { ...event } });
            jobs.set(queue, batch);
          }
        }
        await Promise.all([...jobs].map(([queue, batch]) => boss.insert(queue, batch)));
      });
    },

    async subscribe(subscription: Subscription) {
      const settings = withDefaults(subscription);
      const { group } = settings;
      await boss.createQueue(dlqOf(group), {
        retentionSeconds: 30 * 86_400,
        deleteAfterSeconds: 30 * 86_400,
      });
      const queue = {
        notify: true,
        // The bus decides when an event is dead (consume.ts); pg-boss only needs room for that many retries.
        retryLimit: settings.maxAttempts,
        retryDelay: Math.max(1, Math.round(settings.retryDelayMs / 1000)),
        retryBackoff: true,
        retryDelayMax: Math.max(1, Math.round(settings.maxRetryDelayMs / 1000)),
        // A handler may run this long; a claim whose process died (no heartbeat for CLAIM_HEARTBEAT_SECONDS)
        // is handed out again at the supervisor's next pass, so a crashed consumer delays its events by
        // seconds, not by the expiry.
        expireInSeconds: 60,
        heartbeatSeconds: CLAIM_HEARTBEAT_SECONDS,
        deadLetter: dlqOf(group),
      };
      if (await boss.getQueue(group)) {
        const { retryDelayMax: _fixed, deadLetter: _kept, ...changeable } = queue;
        await boss.updateQueue(group, changeable);
      } else {
        await boss.createQueue(group, queue);
      }
      for (const type of settings.types) await boss.subscribe(type, group);
      routes = undefined;
      // The prefetch is shared by a few workers, so one fetches while another's batch is handled and a third's
      // is being completed: the handlers are never idle waiting for the round trips in between.
      // Each takes at least MIN_BATCH: a full batch fetches again at once, but pg-boss never bursts at batch size 1.
      const workers = Math.max(1, Math.min(FETCHERS, Math.floor(settings.prefetch / MIN_BATCH)));
      await boss.work<object>(
        group,
        {
          batchSize: Math.floor(settings.prefetch / workers),
          localConcurrency: workers,
          includeMetadata: true,
          perJobResults: true,
          burstWhenBatchFull: true,
          pollingIntervalSeconds: 1,
          notifyPollingIntervalSeconds: 5,
        },
        async (jobs) =>
          Promise.all(
            jobs.map(async (job) => {
              const delivery = { group, attempt: job.retryCount + 1, redelivered: job.retryCount > 0 };
              const value = typeof job.data === 'string' ? parseBody(job.data) : job.data;
              const outcome = await settle(value, delivery, settings, catalog, telemetry, logger);
              if (outcome.kind === 'done') return { id: job.id, status: 'completed' as const };
              return {
                id: job.id,
                status: outcome.kind === 'dead' ? ('deadletter' as const) : ('failed' as const),
                output: { reason: outcome.reason },
              };
            }),
          ),
      );
    },

    async deadLetters(group, limit = 100): Promise<DeadLetter[]> {
      const jobs = await boss.findJobs<object>(dlqOf(group), { limit });
      // A dead-letter job carries the failed job's output and retry count as its source's.
      return jobs.map((job) => ({
        group,
        event: job.data,
        reason: (job.sourceOutput as DeadOutput | null)?.reason ?? 'unknown',
        attempts: (job.sourceRetryCount ?? 0) + 1,
      }));
    },

    async check() {
      if (closed) throw new Error('the bus is closed');
      try {
        await boss.getDb().executeSql('SELECT 1');
      } catch (error) {
        const since = lastError ? ` (failing since ${lastError.at.toISOString()})` : '';
        throw new Error(`bus database unreachable${since}: ${(error as Error).message}`);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      if (pool) forgetPool(pool);
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}

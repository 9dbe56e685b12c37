/**
 * The transactional outbox. A service announces a state change by adding the event in the same transaction
 * as the change (`outbox.add(tx, 'order.confirmed', data, { subject: orderId })`): both commit or neither
 * does, so no event is announced for a change that rolled back and none is lost for one that committed. The
 * relay — a periodic worker — publishes pending events in order of writing and marks them sent:
 * - woken right after the commit of a transaction that added events (latency of a few ms), and every
 *   `intervalMs` anyway (events left by a process that died between commit and publish);
 * - at least once: a crash after the publish and before the mark publishes again (consumers' inboxes and
 *   the PostgreSQL bus's job ids absorb it); rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas
 *   relay side by side without sending the same event twice;
 * - while the broker is unreachable the events wait here (the outbox is the publisher's buffer) and the relay
 *   backs off; `check()` reports how many wait, for /readyz;
 * - an event that no longer matches its schema is parked (`next_attempt_at = infinity`, `last_error`) rather
 *   than blocking the others; sent rows are purged after `retainSentMs`.
 *
 * - the relay has a connection of its own (a pool of one, opened like `db`'s, closed by `stop()`): it never
 *   queues behind the service's own statements for one of `db`'s, so a saturated pool does not hold the
 *   events back (bench:bus measured seconds of relay lag behind a pool queue).
 *
 * The table comes from `migrateKitTables(db, ['outbox'])` (runService: `database.kitTables`).
 */
import type { CloudEvent, EventData, EventType, GlassboxEvent } from '@glassbox/contracts';
import { metrics } from '@opentelemetry/api';
import { createDb, type Db, type Queryable, type Transaction } from '../db.js';
import type { Logger } from '../logger.js';
import { createPeriodicWorker, type PeriodicWorker } from '../worker/periodic-worker.js';
import { createEvent, createEventCatalog, type EventCatalog } from './events.js';
import { type Bus, InvalidEvent } from './types.js';

export interface OutboxOptions {
  db: Db;
  bus: Bus;
  /** The producing service (the events' `source` is `/glassbox/<source>`). */
  source: string;
  logger: Logger;
  catalog?: EventCatalog;
  /** Backstop interval of the relay. Default 1 s. */
  intervalMs?: number;
  /** Events per publish. Default 200. */
  batchSize?: number;
  /** How often the backlog gauges are re-measured, at most (default 5 s: a count and a min per round is cheap, but not free). */
  backlogRefreshMs?: number;
  /** How long sent rows are kept (for inspection). Default 1 h. */
  retainSentMs?: number;
}

export interface Outbox {
  /**
   * Writes an event in the caller's transaction, validated now (an invalid one throws and so rolls the
   * transaction back). Returns the event, with its id and trace context.
   */
  add<T extends EventType>(
    tx: Queryable | Transaction,
    type: T,
    data: EventData<T>,
    options?: { subject?: string },
  ): Promise<GlassboxEvent<T>>;
  /** The same for a type of a catalogue of its own (tests, tools). */
  add(
    tx: Queryable | Transaction,
    type: string,
    data: unknown,
    options?: { subject?: string },
  ): Promise<CloudEvent>;
  /** The relay worker (`runOnce()` publishes now). */
  readonly relay: PeriodicWorker<number>;
  /** Events not published yet. */
  pending(): Promise<number>;
  /** The last backlog measurement (the `glassbox.outbox.backlog.*` gauges), refreshed every few seconds. */
  backlog(): { count: number; oldestAgeSeconds: number };
  /** Resolves when the bus is reachable; else rejects saying how many events wait. */
  check(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

const meter = metrics.getMeter('glassbox.outbox');
const backlogAge = meter.createObservableGauge('glassbox.outbox.backlog.age', {
  description:
    'Age of the oldest event waiting in the outbox (0 when none): the relay is not getting them out',
  unit: 's',
});
const backlogSize = meter.createObservableGauge('glassbox.outbox.backlog.size', {
  description: 'Events waiting in the outbox',
  unit: '{event}',
});

/** How often the relay measures the backlog for the gauges (a count and a min over the pending rows). */
const BACKLOG_REFRESH_MS = 5_000;

interface PendingRow {
  seq: number;
  event: CloudEvent;
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { db, bus, logger } = options;
  const catalog = options.catalog ?? createEventCatalog();
  const batchSize = options.batchSize ?? 200;
  const backlogRefreshMs = options.backlogRefreshMs ?? BACKLOG_REFRESH_MS;
  const retainSentSeconds = Math.round((options.retainSentMs ?? 3_600_000) / 1000);

  async function markFailed(tx: Queryable, rows: PendingRow[], error: unknown): Promise<void> {
    await tx.query(
      'UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])',
      [rows.map((r) => r.seq), (error as Error).message.slice(0, 1_000)],
    );
  }

  let ownDb: Db | undefined;
  function relayDb(): Db {
    const { connectionString, ...poolOptions } = db.pool.options;
    if (!connectionString) return db;
    ownDb ??= createDb(connectionString, { ...poolOptions, max: 1 });
    return ownDb;
  }

  async function relayRound(): Promise<number> {
    let failure: unknown;
    const sent = await relayDb().tx(async (tx) => {
      const rows = await tx.query<PendingRow>(
        `SELECT seq, event FROM outbox
          WHERE sent_at IS NULL AND next_attempt_at <= now()
          ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return 0;
      // The bus validates what it publishes; only when it refuses the batch are the rows checked one by one,
      // to park the ones that no longer match their schema.
      let valid = rows;
      try {
        await bus.publish(rows.map((r) => r.event));
      } catch (error) {
        if (!(error instanceof InvalidEvent)) {
          failure = error;
          await markFailed(tx, rows, error);
          return 0;
        }
        valid = [];
        for (const row of rows) {
          const checked = catalog.check(row.event);
          if (checked.ok) {
            valid.push(row);
            continue;
          }
          logger.error(
            { event_id: row.event.id, reason: checked.reason },
            'outbox event no longer valid; parked',
          );
          await tx.query(`UPDATE outbox SET next_attempt_at = 'infinity', last_error = $2 WHERE seq = $1`, [
            row.seq,
            checked.reason.slice(0, 1_000),
          ]);
        }
        try {
          await bus.publish(valid.map((r) => r.event));
        } catch (again) {
          failure = again;
          await markFailed(tx, valid, again);
          return 0;
        }
      }
      const seqs = valid.map((r) => r.seq);
      await tx.query(
        'UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE seq = ANY($1::bigint[])',
        [seqs],
      );
      return valid.length;
    });
    if (failure !== undefined) throw failure;
    return sent;
  }

  let backlog = { count: 0, oldestAgeSeconds: 0 };
  let backlogReadAt = 0;
  let backlogTimer: NodeJS.Timeout | undefined;
  const attrs = { 'glassbox.outbox.source': options.source };
  backlogAge.addCallback((r) => r.observe(backlog.oldestAgeSeconds, attrs));
  backlogSize.addCallback((r) => r.observe(backlog.count, attrs));
  async function measureBacklog(): Promise<void> {
    const [row] = await db.query<{ n: number; age: number }>(
      `SELECT count(*)::int AS n, coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8 AS age
       FROM outbox WHERE sent_at IS NULL AND next_attempt_at <> 'infinity'`,
    );
    backlog = { count: row?.n ?? 0, oldestAgeSeconds: row?.age ?? 0 };
    backlogReadAt = Date.now();
  }

  const relay = createPeriodicWorker<number>({
    name: `${options.source}.outbox.relay`,
    intervalMs: options.intervalMs ?? 1_000,
    logger,
    run: async () => {
      // Measured before the round too, so a relay that keeps failing (the broker down) still shows its age.
      if (Date.now() - backlogReadAt >= backlogRefreshMs) await measureBacklog();
      return relayRound();
    },
    again: (sent) => sent >= batchSize,
    idle: (sent) => sent === 0,
    describe: (sent) => ({ 'glassbox.outbox.sent': sent }),
    // A broker outage is retried soon after it ends: a short, capped backoff.
    backoff: { baseMs: 200, maxMs: 5_000 },
  });
  const purge = createPeriodicWorker<number>({
    name: `${options.source}.outbox.purge`,
    intervalMs: 60_000,
    logger,
    run: async () => {
      const rows = await db.query(
        `DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1) RETURNING 1`,
        [retainSentSeconds],
      );
      return rows.length;
    },
    idle: (purged) => purged === 0,
  });

  async function pending(): Promise<number> {
    const [row] = await db.query<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
    return row?.n ?? 0;
  }

  return {
    relay,
    pending,
    backlog: () => backlog,
    async add(
      tx: Queryable | Transaction,
      type: string,
      data: unknown,
      addOptions: { subject?: string } = {},
    ) {
      const event = createEvent(type, data, { source: options.source, subject: addOptions.subject });
      const checked = catalog.check(event);
      if (!checked.ok) throw new Error(`outbox.add(${type}): ${checked.reason}`);
      await tx.query('INSERT INTO outbox (id, type, event) VALUES ($1, $2, $3)', [event.id, type, event]);
      if ('afterCommit' in tx) tx.afterCommit(() => relay.wake());
      return event;
    },
    async check() {
      try {
        await bus.check();
      } catch (error) {
        const waiting = await pending().catch(() => undefined);
        const held = waiting === undefined ? '' : `; ${waiting} event(s) held in the outbox until it is back`;
        throw new Error(`${(error as Error).message}${held}`);
      }
    },
    start() {
      relay.start({ immediately: true });
      purge.start();
      // Measured on its own clock too: a relay stuck in a publish that never returns (a stalled broker) runs
      // no round, and the gauges must still show the backlog growing older behind it.
      clearInterval(backlogTimer);
      backlogTimer = setInterval(
        () => void measureBacklog().catch(() => undefined),
        Math.max(100, backlogRefreshMs),
      );
      backlogTimer.unref();
    },
    async stop() {
      clearInterval(backlogTimer);
      backlogTimer = undefined;
      await Promise.all([relay.stop(), purge.stop()]);
      const own = ownDb;
      ownDb = undefined;
      await own?.close();
    },
  };
}

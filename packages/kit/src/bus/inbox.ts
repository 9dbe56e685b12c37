/**
 * Idempotent consumers: `idempotent(db, handler)` wraps a handler so that it runs in a transaction of the
 * consumer's own database that first records the event id in the inbox (`inbox`, per consumer group). A
 * redelivered event finds its id there and is acknowledged without running the handler again; a handler that
 * fails rolls the record back with its own writes, so the retry runs it afresh. Two deliveries of one event
 * at once serialise on the inbox row: the second waits for the first's commit and then skips.
 *
 * Group commit: deliveries that arrive together (one fetch of the bus, one read of the socket) or while
 * earlier ones are being written share the next transaction (up to `maxBatch` events, `concurrency`
 * transactions at once), so a busy consumer commits — and waits for the disk — once per batch instead of once
 * per event, and an idle one still writes each event at once (it waits one turn of the event loop for the rest
 * of its burst). A batch records all its event ids in one statement, in a fixed order (so two batches that
 * share an id wait for each other instead of deadlocking), then runs the handlers of the new ones. If any
 * event of a batch fails, the batch is rolled back and each of its events runs again in a transaction of its
 * own, so one failing event never holds back or fails the others. Handlers must therefore keep their effects
 * inside the transaction they are given (or be idempotent themselves), as at-least-once delivery needs anyway.
 *
 * Traces: each delivery keeps the context it arrived in (its `process` span). A transaction of one event runs in
 * that event's context; a batch's transaction in its first event's, and every other handler of the batch in
 * its own event's. Without this, a transaction would run in the context of whatever scheduled it (the delivery
 * that started the pump, or one whose transaction just ended), and its spans would join another event's trace.
 */
import type { CloudEvent } from '@glassbox/contracts';
import { type Context, context, metrics } from '@opentelemetry/api';
import type { Db, Transaction } from '../db.js';
import type { Logger } from '../logger.js';
import { createPeriodicWorker, type PeriodicWorker } from '../worker/periodic-worker.js';
import type { DeliveryInfo, EventHandler } from './types.js';

export type TransactionalHandler = (
  event: CloudEvent,
  tx: Transaction,
  delivery: DeliveryInfo,
) => Promise<void>;

export interface IdempotentOptions {
  /** Most events written in one transaction. Default 64. */
  maxBatch?: number;
  /** Transactions in flight at once (connections this consumer uses). Default 4. */
  concurrency?: number;
}

interface Pending {
  event: CloudEvent;
  delivery: DeliveryInfo;
  /** The context the delivery arrived in (its `process` span): where its handler runs. */
  ctx: Context;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function idempotent(
  db: Db,
  handler: TransactionalHandler,
  options: IdempotentOptions = {},
): EventHandler {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const duplicates = metrics.getMeter('glassbox.bus').createCounter('glassbox.bus.duplicates', {
    description: 'Deliveries of events a consumer group had already processed (skipped by its inbox)',
    unit: '{message}',
  });
  const queue: Pending[] = [];
  let running = 0;
  let scheduled = false;

  /** Records the batch's events in the inbox (one statement) and runs the handler of each one new there. */
  async function processBatch(tx: Transaction, batch: readonly Pending[]): Promise<void> {
    const keys = batch.map(({ event, delivery }) => [delivery.group, event.id, event.type] as const);
    const fresh = await tx.query<{ consumer: string; event_id: string }>(
      `INSERT INTO inbox (consumer, event_id, type)
       SELECT consumer, event_id, type FROM unnest($1::text[], $2::text[], $3::text[]) AS e(consumer, event_id, type)
        ORDER BY consumer, event_id
       ON CONFLICT DO NOTHING RETURNING consumer, event_id`,
      [keys.map((k) => k[0]), keys.map((k) => k[1]), keys.map((k) => k[2])],
    );
    // A key in the batch twice (a redelivery that caught up with the first copy) runs once: the first claims it.
    const unclaimed = new Set(fresh.map((row) => `${row.consumer}\u0000${row.event_id}`));
    const owner = batch[0];
    for (const item of batch) {
      const { event, delivery } = item;
      if (!unclaimed.delete(`${delivery.group}\u0000${event.id}`)) {
        duplicates.add(1, {
          'messaging.consumer.group.name': delivery.group,
          'messaging.destination.name': event.type,
        });
        continue;
      }
      // The transaction runs in the first event's context; every other handler in its own event's.
      if (item === owner) await handler(event, tx, delivery);
      else await context.with(item.ctx, () => handler(event, tx, delivery));
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    if (batch.length > 1) {
      try {
        await context.with(batch[0]!.ctx, () => db.tx((tx) => processBatch(tx, batch)));
        for (const item of batch) item.resolve();
        return;
      } catch {
        // One of them failed (or a deadlock with another batch): each on its own below.
      }
    }
    for (const item of batch) {
      try {
        await context.with(item.ctx, () => db.tx((tx) => processBatch(tx, [item])));
        item.resolve();
      } catch (error) {
        item.reject(error);
      }
    }
  }

  function pump(): void {
    scheduled = false;
    while (running < concurrency && queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      running++;
      void flush(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  return (event, delivery) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ event, delivery, ctx: context.active(), resolve, reject });
      // The rest of a burst arrives in this turn of the event loop: start its transaction after it.
      if (!scheduled && running < concurrency) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}

/**
 * Forgets inbox records older than `retainMs` (default 7 days, longer than any redelivery: the buses give up
 * on an event within minutes and pg-boss keeps a job 14 days at most before it is processed). A consumer
 * starts it with its app and stops it on close.
 */
export function createInboxPurge(options: {
  db: Db;
  logger: Logger;
  retainMs?: number;
  intervalMs?: number;
}): PeriodicWorker<number> {
  const retainSeconds = Math.round((options.retainMs ?? 7 * 86_400_000) / 1000);
  return createPeriodicWorker({
    name: 'inbox.purge',
    intervalMs: options.intervalMs ?? 10 * 60_000,
    logger: options.logger,
    run: async () =>
      (
        await options.db.query(
          'DELETE FROM inbox WHERE processed_at < now() - make_interval(secs => $1) RETURNING 1',
          [retainSeconds],
        )
      ).length,
    idle: (purged) => purged === 0,
    describe: (purged) => ({ 'glassbox.inbox.purged': purged }),
  });
}

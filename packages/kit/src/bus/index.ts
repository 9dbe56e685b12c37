/**
 * `@glassbox/kit/bus`: the event bus port and its two adapters, chosen from BUS_URL alone (`amqp://` or
 * `amqps://` → RabbitMQ; `postgres://` → PostgreSQL through pg-boss), the transactional outbox and the inbox.
 *
 * A producer: `const outbox = createOutbox({ db, bus, source: 'order', logger })`, then in the transaction
 * that changes the state `await outbox.add(tx, 'order.confirmed', data, { subject: orderId })`; start the
 * relay with the app (`outbox.start()` on ready, `outbox.stop()` on close) and add the table
 * (`database.kitTables: ['outbox']`). A consumer: `bus.subscribe({ group, types, handle: idempotent(db, fn) })`
 * with `kitTables: ['inbox']`; `fn(event, tx)` writes in the transaction that records the event as processed.
 */
import { Type } from 'typebox';
import { withBrokerStall } from '../faults/bus.js';
import type { Logger } from '../logger.js';
import type { EventCatalog } from './events.js';
import type { Bus } from './types.js';

export { type KitTable, migrateKitTables } from '../kit-tables.js';
export {
  type CreateEventOptions,
  createEvent,
  createEventCatalog,
  dataOf,
  type EventCatalog,
} from './events.js';
export { createInboxPurge, type IdempotentOptions, idempotent, type TransactionalHandler } from './inbox.js';
export { createOutbox, type Outbox, type OutboxOptions } from './outbox.js';
export {
  type Bus,
  type DeadLetter,
  type DeliveryInfo,
  type EventHandler,
  InvalidEvent,
  type MessagingSystem,
  type Subscription,
  UnprocessableEvent,
} from './types.js';

/** The setting every service on the bus reads: where the bus is. */
export const BusConfig = {
  BUS_URL: Type.String({ pattern: '^(amqps?|postgres(ql)?)://' }),
};

/**
 * Prepares the bus before the services start: on PostgreSQL, installs pg-boss's schema once (see
 * installPostgresBusSchema); a RabbitMQ broker needs nothing (each consumer declares its own queues).
 */
export async function prepareBus(url: string): Promise<void> {
  const scheme = new URL(url).protocol;
  if (scheme === 'postgres:' || scheme === 'postgresql:') {
    const { installPostgresBusSchema } = await import('./postgres-bus.js');
    await installPostgresBusSchema(url);
  }
}

/** The adapter BUS_URL names, connected; only that adapter's client library is loaded. */
export async function createBus(options: {
  url: string;
  logger: Logger;
  /** Names this process's connections (RabbitMQ connection name, PostgreSQL application_name). */
  name?: string;
  catalog?: EventCatalog;
}): Promise<Bus> {
  const scheme = new URL(options.url).protocol;
  if (scheme === 'amqp:' || scheme === 'amqps:') {
    const { createRabbitBus } = await import('./rabbitmq-bus.js');
    return withBrokerStall(await createRabbitBus(options));
  }
  if (scheme === 'postgres:' || scheme === 'postgresql:') {
    const { createPostgresBus } = await import('./postgres-bus.js');
    return withBrokerStall(await createPostgresBus(options));
  }
  throw new Error(`BUS_URL ${scheme}// names no bus: use amqp:// (RabbitMQ) or postgres:// (PostgreSQL)`);
}

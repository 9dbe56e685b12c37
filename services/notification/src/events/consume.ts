import type { Db } from '@glassbox/kit';
import { type Bus, type EventHandler, idempotent } from '@glassbox/kit/bus';
import type { recordNotificationUseCase } from '../app/record-notification.js';
import { NOTIFIED_TYPES } from '../domain/templates.js';

/** The consumer group of the notification service. */
export const NOTIFICATION_GROUP = 'notification.emails';

/**
 * Subscribes to the events that become e-mails (and to user.registered, for the addresses), each handled once: the
 * inbox records its id in the transaction that writes the notification, so a redelivery is a no-op. A payment event
 * that arrives before its order's waits for it (record-notification.ts); a failed transaction is retried with
 * backoff; a schema-invalid event goes to the dead letter with the reason (the bus validates before any handler
 * runs).
 */
export async function consumeEvents(options: {
  bus: Bus;
  db: Db;
  record: ReturnType<typeof recordNotificationUseCase>;
  retryDelayMs?: number;
}): Promise<EventHandler> {
  const handle = notificationHandler(options.db, options.record);
  await options.bus.subscribe({
    group: NOTIFICATION_GROUP,
    types: [...NOTIFIED_TYPES, 'user.registered'],
    handle,
    retryDelayMs: options.retryDelayMs ?? 500,
    maxRetryDelayMs: 10_000,
    maxAttempts: 10,
  });
  return handle;
}

/** The group's handler: the use case behind the inbox (what a delivery, or a redelivery, runs). */
export function notificationHandler(
  db: Db,
  record: ReturnType<typeof recordNotificationUseCase>,
): EventHandler {
  return idempotent(db, (event, tx) => record(event, tx));
}

/**
 * What the notification service does with an event, in the transaction that records it in the inbox: remember who
 * owns an order (order events) and where a user's e-mail goes (user.registered), and render one e-mail per event for
 * the user it concerns. A payment event names the order, not the user: when it arrives before its order's event
 * (the payment is captured before the order is confirmed, so this is the usual case), it waits in
 * `waiting_for_owner`, and the order's event, when it comes, writes its e-mail too. Nothing is retried for it, and
 * nothing gives up on it: the order's event may come minutes later (the order service down) and the e-mail still
 * goes out. Both kinds of transaction lock the order first, so neither can miss the other's write.
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import type { Logger, Transaction } from '@glassbox/kit';
import { dataOf } from '@glassbox/kit/bus';
import type { NotificationRepo } from '../adapters/notification-repo.js';
import { type NotifiedType, render } from '../domain/templates.js';
import type { NotificationMetrics } from '../metrics.js';

function ownerFromOrderEvent(
  event: CloudEvent,
): { tenantId: string; orderId: string; userId: string } | undefined {
  if (event.type === 'order.confirmed') return dataOf(event, 'order.confirmed');
  if (event.type === 'order.failed') return dataOf(event, 'order.failed');
  if (event.type === 'order.cancelled') return dataOf(event, 'order.cancelled');
  return undefined;
}

export function recordNotificationUseCase(deps: {
  repo: NotificationRepo;
  metrics: NotificationMetrics;
  logger: Logger;
  /** Called after the commit of a transaction that wrote a notification (wakes the sender). */
  written: () => void;
}) {
  const { repo, metrics, logger } = deps;

  /** Writes the e-mail announcing `event` to `userId`. */
  async function notify(event: CloudEvent, tenantId: string, userId: string, tx: Transaction): Promise<void> {
    const type = event.type as NotifiedType;
    const recipient = await repo.recipientOf(tx, tenantId, userId);
    const email = render(type, event.data as never, recipient?.name);
    const written = await repo.insert(tx, {
      id: randomUUID(),
      tenantId,
      userId,
      eventId: event.id,
      eventType: type,
      subjectId: event.subject ?? null,
      // Without a registration seen, the address stays symbolic: the simulated sender delivers it all the same.
      recipient: recipient?.email ?? `user:${userId}`,
      ...email,
    });
    if (written) {
      metrics.created.add(1, { 'glassbox.event.type': type });
      tx.afterCommit(deps.written);
      logger.debug(
        { tenant_id: tenantId, user_id: userId, event_id: event.id, type },
        'notification written',
      );
    }
  }

  return async function recordNotification(event: CloudEvent, tx: Transaction): Promise<void> {
    if (event.type === 'user.registered') {
      const user = dataOf(event, 'user.registered');
      await repo.rememberRecipient(tx, user);
      return;
    }
    const order = ownerFromOrderEvent(event);
    if (order) {
      const { tenantId, orderId, userId } = order;
      await repo.lockOrder(tx, tenantId, orderId);
      await repo.rememberOwner(tx, tenantId, orderId, userId);
      await notify(event, tenantId, userId, tx);
      for (const waiting of await repo.takeWaiting(tx, tenantId, orderId))
        await notify(waiting, tenantId, userId, tx);
      return;
    }
    if (event.type === 'payment.captured' || event.type === 'payment.refunded') {
      const { tenantId, orderId } = dataOf(event, event.type);
      await repo.lockOrder(tx, tenantId, orderId);
      const owner = await repo.ownerOf(tx, tenantId, orderId);
      if (owner) return notify(event, tenantId, owner, tx);
      await repo.waitForOwner(tx, tenantId, orderId, event);
      metrics.waiting.add(1, { 'glassbox.event.type': event.type });
      logger.debug(
        { tenant_id: tenantId, order_id: orderId, event_id: event.id, type: event.type },
        "payment event waits for its order's owner",
      );
    }
  };
}

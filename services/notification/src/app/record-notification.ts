/**
 * What the notification service does with an event, in the transaction that records it in the inbox: remember who
 * owns an order (order events) and where a user's e-mail goes (user.registered), and render one e-mail per event for
 * the user it concerns. A payment event names the order, not the user: until the order's own event has arrived the
 * owner is unknown, and the event is retried (the bus backs off) rather than lost.
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import type { Logger, Transaction } from '@glassbox/kit';
import { dataOf } from '@glassbox/kit/bus';
import type { NotificationRepo } from '../adapters/notification-repo.js';
import { type NotifiedType, render } from '../domain/templates.js';
import type { NotificationMetrics } from '../metrics.js';

export class OwnerNotYetKnown extends Error {
  override readonly name = 'OwnerNotYetKnown';
}

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
  return async function recordNotification(event: CloudEvent, tx: Transaction): Promise<void> {
    if (event.type === 'user.registered') {
      const user = dataOf(event, 'user.registered');
      await repo.rememberRecipient(tx, user);
      return;
    }
    let tenantId: string;
    let userId: string;
    const order = ownerFromOrderEvent(event);
    if (order) {
      ({ tenantId, userId } = order);
      await repo.rememberOwner(tx, tenantId, order.orderId, userId);
    } else if (event.type === 'payment.captured' || event.type === 'payment.refunded') {
      const payment = dataOf(event, event.type);
      tenantId = payment.tenantId;
      const owner = await repo.ownerOf(tx, tenantId, payment.orderId);
      if (!owner) throw new OwnerNotYetKnown(`the owner of order ${payment.orderId} is not known yet`);
      userId = owner;
    } else {
      return;
    }
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
  };
}

/**
 * The sender: a periodic worker (woken by every new notification, and every interval for retries that are due)
 * that hands due e-mails to the simulated mail server and records each outcome — SENT; retried with backoff; or
 * FAILED after the last attempt.
 */
import { createPeriodicWorker, type Logger, type PeriodicWorker } from '@glassbox/kit';
import type { NotificationRepo } from '../adapters/notification-repo.js';
import type { Sender } from '../adapters/simulated-sender.js';
import { type RetryPolicy, retryAfterMs } from '../domain/delivery.js';
import type { NotificationMetrics } from '../metrics.js';

export function createNotificationSender(deps: {
  repo: NotificationRepo;
  sender: Sender;
  metrics: NotificationMetrics;
  logger: Logger;
  policy: RetryPolicy;
  intervalMs: number;
  batchSize?: number;
}): PeriodicWorker<{ sent: number; failed: number; gaveUp: number }> {
  const { repo, sender, metrics, logger, policy } = deps;
  const batchSize = deps.batchSize ?? 50;
  return createPeriodicWorker({
    name: 'notification.send',
    intervalMs: deps.intervalMs,
    logger,
    run: () =>
      repo.sendDue(batchSize, async (n) => {
        try {
          await sender.send({
            id: n.id,
            recipient: n.recipient,
            subject: n.subject,
            body: n.body,
            attempt: n.attempts,
          });
          metrics.sent.add(1);
          return { ok: true };
        } catch (error) {
          const message = (error as Error).message;
          const wait = retryAfterMs(policy, n.attempts);
          metrics.sendFailures.add(1, { final: wait === null });
          logger.warn(
            { notification_id: n.id, attempt: n.attempts, err: message, retry_in_ms: wait },
            wait === null ? 'email given up' : 'email send failed; will retry',
          );
          return { ok: false, error: message, retryAfterMs: wait };
        }
      }),
    again: (r) => r.sent + r.failed + r.gaveUp >= batchSize,
    idle: (r) => r.sent + r.failed + r.gaveUp === 0,
    describe: (r) => ({
      'glassbox.notifications.sent': r.sent,
      'glassbox.notifications.failed': r.failed,
      'glassbox.notifications.given_up': r.gaveUp,
    }),
  });
}

import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createInboxPurge, type EventHandler } from '@glassbox/kit/bus';
import type { JWTVerifyGetKey } from 'jose';
import { createNotificationRepo } from './adapters/notification-repo.js';
import { createSimulatedSender } from './adapters/simulated-sender.js';
import { readNotificationsUseCase } from './app/read-notifications.js';
import { recordNotificationUseCase } from './app/record-notification.js';
import { createNotificationSender } from './app/send-notifications.js';
import type { NotificationConfig } from './config.js';
import { consumeEvents } from './events/consume.js';
import { meNotificationRoutes } from './http/me-notifications.js';
import { createNotificationMetrics } from './metrics.js';

export interface NotificationAppDeps {
  db: Db;
  logger: Logger;
  config: Pick<
    NotificationConfig,
    | 'AUTH_URL'
    | 'INTERNAL_TOKEN'
    | 'NOTIFICATION_SEND_INTERVAL_MS'
    | 'NOTIFICATION_SEND_MAX_ATTEMPTS'
    | 'NOTIFICATION_RETRY_BASE_MS'
    | 'NOTIFICATION_SENDER_FAILURE_RATE'
  > &
    Partial<Pick<NotificationConfig, 'NOTIFICATION_RETRY_MAX_MS'>>;
  /** Verification keys for tests; by default the auth service's JWKS. */
  keys?: JWTVerifyGetKey;
  /** The bus the events arrive on; without it, only the HTTP route. */
  bus?: Bus;
}

export interface NotificationApp extends ServiceApp {
  /** The consumer group's handler (inbox + use case), as the bus calls it; absent without a bus. */
  notificationHandler?: EventHandler;
}

/**
 * The notification service's app, not listening: consumes order, payment and user events into rendered e-mails,
 * sends them through the simulated mail server, and shows each user their own.
 */
export async function buildApp({
  db,
  logger,
  config,
  keys,
  bus,
}: NotificationAppDeps): Promise<NotificationApp> {
  const repo = createNotificationRepo(db);
  const metrics = createNotificationMetrics();
  const app = await createServiceApp({
    name: 'notification',
    logger,
    description: 'E-mails for order and payment events (simulated sender), and each user’s notifications',
    readiness: { db: () => db.ping() },
    // The bus down: nothing new arrives, but what is here is still sent and shown (degraded, not unavailable).
    ...(bus ? { degradedWhenFailing: { bus: () => bus.check() } } : {}),
  });
  await app.register(
    authPlugin,
    keys
      ? { keys, internalToken: config.INTERNAL_TOKEN }
      : {
          jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json`,
          internalToken: config.INTERNAL_TOKEN,
        },
  );
  await app.register(meNotificationRoutes, { readNotifications: readNotificationsUseCase(repo) });

  const sender = createNotificationSender({
    repo,
    sender: createSimulatedSender({ logger, failureRate: config.NOTIFICATION_SENDER_FAILURE_RATE }),
    metrics,
    logger,
    policy: {
      maxAttempts: config.NOTIFICATION_SEND_MAX_ATTEMPTS,
      baseMs: config.NOTIFICATION_RETRY_BASE_MS,
      maxMs: config.NOTIFICATION_RETRY_MAX_MS ?? 300_000,
    },
    intervalMs: config.NOTIFICATION_SEND_INTERVAL_MS,
  });
  app.addHook('onReady', async () => sender.start({ immediately: true }));
  app.addHook('onClose', async () => sender.stop());

  if (bus) {
    const record = recordNotificationUseCase({ repo, metrics, logger, written: () => sender.wake() });
    const handler = await consumeEvents({ bus, db, record });
    app.decorate('notificationHandler', handler);
    const purge = createInboxPurge({ db, logger });
    app.addHook('onReady', async () => purge.start({ immediately: true }));
    app.addHook('onClose', async () => purge.stop());
  }
  return app as NotificationApp;
}

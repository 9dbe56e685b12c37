import { metrics } from '@opentelemetry/api';

/** Business metrics of the notification service (made per app: a meter taken before the SDK starts stays a no-op). */
export function createNotificationMetrics() {
  const meter = metrics.getMeter('glassbox.notification');
  return {
    created: meter.createCounter('glassbox.notifications.created', {
      description: 'Notifications written, by the event type they announce',
      unit: '{notification}',
    }),
    waiting: meter.createCounter('glassbox.notifications.waiting', {
      description:
        "Payment events that arrived before their order's event and waited for its owner (written when it came)",
      unit: '{event}',
    }),
    sent: meter.createCounter('glassbox.notifications.sent', {
      description: 'E-mails the simulated sender delivered',
      unit: '{email}',
    }),
    sendFailures: meter.createCounter('glassbox.notifications.send.failures', {
      description: 'Send attempts the simulated mail server refused (retried later, or given up: `final`)',
      unit: '{attempt}',
    }),
  };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;

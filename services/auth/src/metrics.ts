import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('glassbox.auth');

/** Business metrics of the auth service. */
export const authMetrics = {
  logins: meter.createCounter('glassbox.auth.logins', {
    description: 'Login attempts by outcome (success, failure)',
    unit: '{login}',
  }),
  registrations: meter.createCounter('glassbox.auth.registrations', {
    description: 'Users registered; tenant_created tells whether the registration created a new tenant',
    unit: '{user}',
  }),
  refreshes: meter.createCounter('glassbox.auth.token_refreshes', {
    description: 'Refresh-token exchanges by outcome (success, rejected, reuse_detected)',
    unit: '{refresh}',
  }),
};

/** The outbox backlog gauges read the last measurement of the relay loop. */
export function observeOutboxBacklog(read: () => { oldestAgeSeconds: number; count: number }): void {
  meter
    .createObservableGauge('glassbox.outbox.backlog.age', {
      description: 'Age of the oldest undelivered outbox message (0 when none)',
      unit: 's',
    })
    .addCallback((result) => result.observe(read().oldestAgeSeconds, { 'glassbox.outbox': 'profiles' }));
  meter
    .createObservableGauge('glassbox.outbox.backlog.size', {
      description: 'Undelivered outbox messages',
      unit: '{message}',
    })
    .addCallback((result) => result.observe(read().count, { 'glassbox.outbox': 'profiles' }));
}

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

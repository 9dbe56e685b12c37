import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('glassbox.user');

/** Business metrics of the user service. */
export const userMetrics = {
  profilesCreated: meter.createCounter('glassbox.user.profiles.created', {
    description: 'Profiles created, by source (registration: from the auth service; token: on first /me)',
    unit: '{profile}',
  }),
  addressesAdded: meter.createCounter('glassbox.user.addresses.added', {
    description: 'Addresses added by users',
    unit: '{address}',
  }),
};

import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('glassbox.healer');

/** What the healer decided and did. */
export const healerMetrics = {
  decisions: meter.createCounter('glassbox.healer.decisions', {
    description: 'Safeguard decisions on remediation actions, by action and decision',
    unit: '{decision}',
  }),
  actions: meter.createCounter('glassbox.healer.actions', {
    description: 'Remediation actions executed, by action and result (succeeded: verified healed)',
    unit: '{action}',
  }),
  pages: meter.createCounter('glassbox.healer.pages', {
    description: 'Incidents escalated to a person, by runbook',
    unit: '{page}',
  }),
};

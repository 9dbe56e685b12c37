import { metrics } from '@opentelemetry/api';
import { MISMATCH_KINDS, type MismatchCounts } from './domain/reconciliation.js';

/** Business metrics of payments (OpenTelemetry API only; the kit's SDK exports them). */
export interface PaymentMetrics {
  authorized(currency: string, amountCents: number, seconds: number): void;
  declined(reason: string, seconds: number): void;
  captured(currency: string, amountCents: number): void;
  voided(): void;
  refunded(currency: string, amountCents: number, source: 'admin' | 'provider'): void;
  callback(type: string, outcome: string): void;
  flaggedForReconciliation(reason: string): void;
  /** The mismatches of the last reconciliation round, by kind (nothing before the first round). */
  observeReconciliation(read: () => MismatchCounts | undefined): void;
}

export function createPaymentMetrics(): PaymentMetrics {
  const meter = metrics.getMeter('glassbox.payment');
  const authorized = meter.createCounter('glassbox.payments.authorized', {
    description: 'Payments authorized by the provider',
    unit: '{payment}',
  });
  const declined = meter.createCounter('glassbox.payments.declined', {
    description: 'Payments declined by the provider',
    unit: '{payment}',
  });
  const captured = meter.createCounter('glassbox.payments.captured', {
    description: 'Payments captured',
    unit: '{payment}',
  });
  const voided = meter.createCounter('glassbox.payments.voided', {
    description: 'Authorizations voided (released without taking money)',
    unit: '{payment}',
  });
  const refunds = meter.createCounter('glassbox.payments.refunds', {
    description: 'Refunds made',
    unit: '{refund}',
  });
  const amount = meter.createCounter('glassbox.payments.amount', {
    description: 'Money moved, by operation and currency, in minor units',
    unit: '{cent}',
  });
  const duration = meter.createHistogram('glassbox.payments.authorization.duration', {
    description: 'Time the provider took to decide on an authorization',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const callbacks = meter.createCounter('glassbox.payments.provider_callbacks', {
    description: 'Signed provider callbacks received, by type and outcome',
    unit: '{event}',
  });
  const flags = meter.createCounter('glassbox.payments.reconciliation_flags', {
    description:
      'Payments changed by the provider behind their order (refund, void), flagged for reconciliation',
    unit: '{payment}',
  });
  return {
    authorized(currency, amountCents, seconds) {
      authorized.add(1, { 'glassbox.currency': currency });
      amount.add(amountCents, { 'glassbox.operation': 'authorize', 'glassbox.currency': currency });
      duration.record(seconds, { 'glassbox.outcome': 'authorized' });
    },
    declined(reason, seconds) {
      declined.add(1, { 'glassbox.reason': reason });
      duration.record(seconds, { 'glassbox.outcome': 'declined' });
    },
    captured(currency, amountCents) {
      captured.add(1, { 'glassbox.currency': currency });
      amount.add(amountCents, { 'glassbox.operation': 'capture', 'glassbox.currency': currency });
    },
    voided: () => voided.add(1),
    refunded(currency, amountCents, source) {
      refunds.add(1, { 'glassbox.source': source });
      amount.add(amountCents, { 'glassbox.operation': 'refund', 'glassbox.currency': currency });
    },
    callback: (type, outcome) =>
      callbacks.add(1, { 'glassbox.event_type': type, 'glassbox.outcome': outcome }),
    flaggedForReconciliation: (reason) => flags.add(1, { 'glassbox.reason': reason }),
    observeReconciliation(read) {
      meter
        .createObservableGauge('glassbox.reconciliation.mismatches', {
          description:
            'Payments and orders that disagree, by kind, as the last reconciliation round found them',
          unit: '{mismatch}',
        })
        .addCallback((result) => {
          const counts = read();
          if (!counts) return;
          for (const kind of MISMATCH_KINDS) result.observe(counts[kind], { 'glassbox.kind': kind });
        });
    },
  };
}

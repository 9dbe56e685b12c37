import { metrics } from '@opentelemetry/api';
import { type CheckoutOutcome, failureClass } from './domain/checkout-outcome.js';
import type { OrderStatus } from './domain/order-status.js';

/** Business metrics of orders and the checkout saga (OpenTelemetry API only; the kit's SDK exports them). */
export interface OrderMetrics {
  created(): void;
  /** An order reached a final status; `seconds` is how long its saga took. */
  completed(status: OrderStatus, reason: string | null, seconds: number): void;
  retried(step: string, compensating: boolean): void;
  /** A saga picked up by the recovery loop (after a crash, a restart or a retry delay). */
  resumed(): void;
  /** A checkout request was answered (a repeated Idempotency-Key is not counted again). */
  checkout(outcome: CheckoutOutcome): void;
}

export function createOrderMetrics(): OrderMetrics {
  const meter = metrics.getMeter('glassbox.order');
  const created = meter.createCounter('glassbox.orders.created', {
    description: 'Orders accepted (a repeated Idempotency-Key is not counted again)',
    unit: '{order}',
  });
  const completed = meter.createCounter('glassbox.orders.completed', {
    description: 'Orders that reached a final status, by status and failure reason',
    unit: '{order}',
  });
  const duration = meter.createHistogram('glassbox.checkout.saga.duration', {
    description: 'Time from order creation to the final status of its checkout saga',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] },
  });
  const retries = meter.createCounter('glassbox.checkout.saga.retries', {
    description: 'Saga steps (or compensations) deferred after a transient failure',
    unit: '{retry}',
  });
  const resumed = meter.createCounter('glassbox.checkout.saga.resumed', {
    description: 'Sagas picked up by the recovery loop',
    unit: '{saga}',
  });
  const checkouts = meter.createCounter('glassbox.checkouts', {
    description:
      'Checkout requests by outcome when answered: confirmed, pending, business_failure (declined, out of stock), ' +
      'client_failure, system_failure (a dependency failed: the checkout-success SLO counts these)',
    unit: '{checkout}',
  });
  return {
    created: () => created.add(1),
    completed(status, reason, seconds) {
      const attributes = {
        'glassbox.order.status': status,
        'glassbox.failure_reason': reason ?? 'none',
        'glassbox.failure_class': failureClass(reason),
      };
      completed.add(1, attributes);
      duration.record(seconds, { 'glassbox.order.status': status });
    },
    retried: (step, compensating) =>
      retries.add(1, { 'glassbox.saga.step': step, 'glassbox.saga.compensating': compensating }),
    resumed: () => resumed.add(1),
    checkout: (outcome) => checkouts.add(1, { 'glassbox.checkout.outcome': outcome }),
  };
}

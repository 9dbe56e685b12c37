/**
 * How a checkout went, as the checkout-success SLO (slo/checkout.yaml) judges it: declines and out-of-stock are
 * the shop working, invalid requests are the client's, and everything else that stops a checkout — a dependency
 * down or erroring, an expired reservation, a bug — is a system failure, which burns the error budget.
 */
import { CLIENT_FAILURES } from './checkout.js';
import type { OrderStatus } from './order-status.js';

/** Why a failed order failed, in the terms of the SLO. */
export type FailureClass = 'none' | 'business' | 'client' | 'system';

/** What a checkout request came to when it was answered. */
export type CheckoutOutcome =
  | 'confirmed'
  | 'pending'
  | 'business_failure'
  | 'client_failure'
  | 'system_failure';

/** Refusals that are the shop working as it should. */
export const BUSINESS_FAILURES: ReadonlySet<string> = new Set([
  'OUT_OF_STOCK',
  'PAYMENT_DECLINED',
  'PAYMENT_NOT_AUTHORIZED',
  'CANCELLED',
]);

/** The class of a failure reason; unknown reasons count against the system (no failure hides as a decline). */
export function failureClass(reason: string | null): FailureClass {
  if (reason === null) return 'none';
  if (BUSINESS_FAILURES.has(reason)) return 'business';
  if (CLIENT_FAILURES.has(reason)) return 'client';
  return 'system';
}

/**
 * The outcome of a checkout when its request is answered. `waitingOnFailure`: the saga stopped to retry later
 * after a transient failure of a dependency (or its run failed) — the customer is told "pending" because
 * something of ours is broken, which is a system failure; a saga still running (a slow card provider) is not.
 */
export function checkoutOutcome(
  order: { status: OrderStatus; failureReason: string | null },
  waitingOnFailure: boolean,
): CheckoutOutcome {
  switch (order.status) {
    case 'CONFIRMED':
      return 'confirmed';
    case 'CANCELLED':
      return 'business_failure';
    case 'FAILED': {
      const cls = failureClass(order.failureReason);
      return cls === 'client' ? 'client_failure' : cls === 'system' ? 'system_failure' : 'business_failure';
    }
    case 'PENDING':
      return waitingOnFailure ? 'system_failure' : 'pending';
  }
}

/**
 * The payment lifecycle as a transition table, and the rules of void, capture and refund. No HTTP, no SQL:
 * the adapters load a payment, ask these functions what to do, and write the answer conditionally.
 */
import type { PaymentStatus } from '@glassbox/contracts';

export type { PaymentStatus };

/**
 * PROCESSING: the provider has not answered yet (tok_slow). A void during PROCESSING wins: the late approval
 * is then discarded, so an authorization abandoned by a failed checkout is never left open.
 */
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  PROCESSING: ['AUTHORIZED', 'DECLINED', 'VOIDED'],
  AUTHORIZED: ['CAPTURED', 'VOIDED'],
  CAPTURED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  DECLINED: [],
  VOIDED: [],
  REFUNDED: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return PAYMENT_TRANSITIONS[from].includes(to);
}

/** Answers of an operation on a payment in a given state. */
export type Plan =
  | { action: 'apply'; to: PaymentStatus }
  | { action: 'noop' }
  | { action: 'illegal'; detail: string }
  | { action: 'pending'; detail: string };

/** Void releases an authorization. Idempotent: void or declined payments are left as they are. */
export function planVoid(status: PaymentStatus): Plan {
  if (status === 'PROCESSING' || status === 'AUTHORIZED') return { action: 'apply', to: 'VOIDED' };
  if (status === 'VOIDED' || status === 'DECLINED') return { action: 'noop' };
  return {
    action: 'illegal',
    detail: `a ${status.toLowerCase()} payment cannot be voided; refund it instead`,
  };
}

/** Capture takes the authorized amount. Idempotent: a captured (or since refunded) payment stays as it is. */
export function planCapture(status: PaymentStatus): Plan {
  if (status === 'AUTHORIZED') return { action: 'apply', to: 'CAPTURED' };
  if (status === 'CAPTURED' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED')
    return { action: 'noop' };
  if (status === 'PROCESSING') return { action: 'pending', detail: 'the authorization is still in progress' };
  return { action: 'illegal', detail: `a ${status.toLowerCase()} payment cannot be captured` };
}

export interface RefundablePayment {
  status: PaymentStatus;
  capturedCents: number;
  refundedCents: number;
}

/** A refund of `amountCents` on a captured payment: never more than what was captured and not yet refunded. */
export function planRefund(payment: RefundablePayment, amountCents: number): Plan {
  if (payment.status !== 'CAPTURED' && payment.status !== 'PARTIALLY_REFUNDED') {
    return { action: 'illegal', detail: `a ${payment.status.toLowerCase()} payment cannot be refunded` };
  }
  const remaining = payment.capturedCents - payment.refundedCents;
  if (!Number.isInteger(amountCents) || amountCents <= 0 || amountCents > remaining) {
    return { action: 'illegal', detail: `a refund must be between 1 and ${remaining} cents` };
  }
  return { action: 'apply', to: amountCents === remaining ? 'REFUNDED' : 'PARTIALLY_REFUNDED' };
}

/** True when a repeated authorization asks for the same thing as the stored one (same key, same request). */
export function sameAuthorization(
  stored: { amountCents: number; currency: string; cardKind: string; cardLast4: string },
  requested: { amountCents: number; currency: string; cardKind: string; cardLast4: string },
): boolean {
  return (
    stored.amountCents === requested.amountCents &&
    stored.currency === requested.currency &&
    stored.cardKind === requested.cardKind &&
    stored.cardLast4 === requested.cardLast4
  );
}

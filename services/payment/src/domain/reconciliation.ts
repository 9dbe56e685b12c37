/**
 * What reconciliation looks for: money and orders that disagree. Captured money whose order is not confirmed
 * (failed, cancelled, or never heard of once the grace period has passed), a confirmed order with no captured
 * payment, and a confirmed total that differs from the amount captured. Refunds and voids the provider made
 * behind an order are flagged separately, as they happen (reconciliation_flags).
 */
export const MISMATCH_KINDS = [
  'CAPTURED_WITHOUT_CONFIRMED_ORDER',
  'CONFIRMED_WITHOUT_CAPTURE',
  'AMOUNT_MISMATCH',
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export interface Mismatch {
  kind: MismatchKind;
  tenantId: string;
  orderId: string;
  paymentId: string | null;
  /** The order's status as announced (null: no outcome heard). */
  orderStatus: string | null;
  /** What the order says was paid (its confirmed total), when it says so. */
  expectedCents: number | null;
  /** What the payment captured (0 when nothing was). */
  capturedCents: number;
}

export type MismatchCounts = Record<MismatchKind, number>;

export function countByKind(mismatches: readonly Mismatch[]): MismatchCounts {
  const counts = Object.fromEntries(MISMATCH_KINDS.map((k) => [k, 0])) as MismatchCounts;
  for (const m of mismatches) counts[m.kind] += 1;
  return counts;
}

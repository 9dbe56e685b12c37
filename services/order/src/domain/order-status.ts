/**
 * The order lifecycle as a transition table (and nothing else decides it). PENDING while the checkout saga
 * runs; it ends CONFIRMED, FAILED or CANCELLED, and a final status never changes. The same table is enforced by
 * a trigger in the database (migrations/001_init.sql), so an illegal transition cannot be written at all.
 */
import { appError } from '../errors.js';

export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED', 'FAILED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['CONFIRMED', 'FAILED', 'CANCELLED'],
  CONFIRMED: [],
  CANCELLED: [],
  FAILED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** The statuses an order may be in to move to `to` (for conditional UPDATEs). */
export function allowedFrom(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) {
    throw appError('ILLEGAL_TRANSITION', `an order cannot go from ${from} to ${to}`, { from, to });
  }
}

export function isFinal(status: OrderStatus): boolean {
  return ORDER_TRANSITIONS[status].length === 0;
}

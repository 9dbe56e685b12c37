/**
 * The rules of a checkout: what it takes and what its steps return, the ports through which it reaches the other
 * services (implemented by the HTTP clients in adapters/), which ids are derived from the order, and what its
 * ending means for the order. The steps themselves are in app/checkout/steps/, one per file.
 */
import { CANCELLED, type SagaFailure } from '@glassbox/kit/saga/runner';
import type { OrderStatus } from './order-status.js';
import type { CatalogProduct, PricedOrder, RequestedItem } from './pricing.js';

export interface CheckoutInput {
  orderId: string;
  tenantId: string;
  items: RequestedItem[];
  /** The card token, kept only until the payment is authorized. */
  paymentToken: string | null;
  /**
   * A flash-sale purchase's order (`flash.purchase.accepted`): priced at the sale's price, its stock already held
   * by the sale's inventory reservation (no reserve step, no second stock check).
   */
  flash?: FlashTerms;
}

export interface FlashTerms {
  saleId: string;
  unitPriceCents: number;
  /** The sale's inventory reservation, which already holds the purchased units. */
  reservationId: string;
}

export interface CheckoutResults {
  price: PricedOrder;
  reserve: { reservationId: string };
  authorize: { paymentId: string };
  confirm: { reservationId: string; paymentId: string };
}

export type CheckoutStepName = keyof CheckoutResults;

/**
 * What the saga needs from the other services. Implementations throw StepError: transient for timeouts and
 * unavailability, definitive for refusals (with reasons such as OUT_OF_STOCK or PAYMENT_DECLINED).
 */
export interface CatalogPort {
  products(tenantId: string, productIds: string[]): Promise<CatalogProduct[]>;
}
export interface InventoryPort {
  reserve(
    tenantId: string,
    reservation: { reservationId: string; orderId: string; items: RequestedItem[] },
  ): Promise<void>;
  commit(tenantId: string, reservationId: string): Promise<void>;
  /** Idempotent; a no-op on unknown reservations. Releasing a committed one puts the goods back. */
  release(tenantId: string, reservationId: string): Promise<void>;
}
export interface PaymentPort {
  authorize(
    tenantId: string,
    payment: { orderId: string; amountCents: number; currency: string; token: string },
  ): Promise<{ paymentId: string }>;
  capture(tenantId: string, paymentId: string): Promise<void>;
  /** Idempotent; a no-op on unknown or already void payments. */
  void(tenantId: string, paymentId: string): Promise<void>;
  /** The payments made for an order (to undo an authorization whose answer was lost). */
  paymentsOf(tenantId: string, orderId: string): Promise<{ paymentId: string; status: string }[]>;
}

export interface CheckoutPorts {
  catalog: CatalogPort;
  inventory: InventoryPort;
  payment: PaymentPort;
}

/** The reservation of an order has an id derived from the order's, so a repeated step reserves nothing twice. */
export function reservationIdFor(orderId: string): string {
  return `order-${orderId}`;
}

/** The order status a finished checkout leaves: CONFIRMED, CANCELLED (on request) or FAILED. */
export function finalOrderStatus(failure: SagaFailure | null): OrderStatus {
  if (!failure) return 'CONFIRMED';
  return failure.reason === CANCELLED ? 'CANCELLED' : 'FAILED';
}

/** Failure reasons that are the client's doing (the POST answers them as 400, not as a failed order). */
export const CLIENT_FAILURES = new Set(['PRODUCT_NOT_FOUND', 'MIXED_CURRENCIES', 'ORDER_TOTAL_TOO_LARGE']);

/**
 * The checkout saga: price → reserve → authorize → confirm, each step with its compensation. The steps talk to
 * the other services through ports (interfaces implemented by the HTTP clients in adapters/), so this file holds
 * only the rules: which ids are derived from the order, what a failure means, what undoes what.
 */

import type { OrderStatus } from './order-status.js';
import { type CatalogProduct, type PricedOrder, priceItems, type RequestedItem } from './pricing.js';
import { type AnySagaStep, CANCELLED, definitiveError, type SagaFailure, type SagaStep } from './saga.js';

export interface CheckoutInput {
  orderId: string;
  tenantId: string;
  items: RequestedItem[];
  /** The card token, kept only until the payment is authorized. */
  paymentToken: string | null;
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

type Step<K extends CheckoutStepName> = SagaStep<CheckoutInput, CheckoutResults, K>;

export function checkoutSteps(ports: CheckoutPorts): AnySagaStep<CheckoutInput, CheckoutResults>[] {
  const price: Step<'price'> = {
    name: 'price',
    async invoke(input) {
      const ids = [...new Set(input.items.map((i) => i.productId))];
      const products = await ports.catalog.products(input.tenantId, ids);
      const result = priceItems(input.items, products);
      if (result.ok) return result.priced;
      if (result.reason === 'PRODUCT_NOT_FOUND') {
        throw definitiveError('PRODUCT_NOT_FOUND', `unknown product(s): ${result.productIds.join(', ')}`, {
          productIds: result.productIds,
        });
      }
      if (result.reason === 'ORDER_TOTAL_TOO_LARGE') {
        throw definitiveError(
          'ORDER_TOTAL_TOO_LARGE',
          `an order can total at most ${result.maxCents} cents; this one totals ${result.totalCents}`,
          { totalCents: result.totalCents, maxCents: result.maxCents },
        );
      }
      throw definitiveError(
        'MIXED_CURRENCIES',
        `one order cannot mix currencies (${result.currencies.join(', ')})`,
        {
          currencies: result.currencies,
        },
      );
    },
    // Reading prices changes nothing.
    async compensate() {},
  };

  const reserve: Step<'reserve'> = {
    name: 'reserve',
    async invoke(input) {
      const reservationId = reservationIdFor(input.orderId);
      await ports.inventory.reserve(input.tenantId, {
        reservationId,
        orderId: input.orderId,
        items: input.items,
      });
      return { reservationId };
    },
    // The id is derived, so even a reservation whose answer was lost is released.
    async compensate(input) {
      await ports.inventory.release(input.tenantId, reservationIdFor(input.orderId));
    },
  };

  const authorize: Step<'authorize'> = {
    name: 'authorize',
    async invoke(input, results) {
      const priced = results.price;
      if (!priced) throw definitiveError('SAGA_CORRUPT', 'authorize ran before price');
      if (!input.paymentToken) throw definitiveError('PAYMENT_TOKEN_MISSING', 'no card token to authorize');
      return ports.payment.authorize(input.tenantId, {
        orderId: input.orderId,
        amountCents: priced.totalCents,
        currency: priced.currency,
        token: input.paymentToken,
      });
    },
    async compensate(input, result) {
      if (result) {
        await ports.payment.void(input.tenantId, result.paymentId);
        return;
      }
      // The answer was lost (timeout, crash) or the card was declined: void whatever exists for this order.
      for (const payment of await ports.payment.paymentsOf(input.tenantId, input.orderId)) {
        if (payment.status === 'AUTHORIZED' || payment.status === 'PROCESSING') {
          await ports.payment.void(input.tenantId, payment.paymentId);
        }
      }
    },
  };

  const confirm: Step<'confirm'> = {
    name: 'confirm',
    // Stock taken off the shelf and money captured: from here on the order is no longer cancelled.
    pivot: true,
    // Commit first: it is the step that can still be refused (the reservation expired). Capture comes after;
    // both are idempotent, so a repeat after a crash completes whatever was left.
    async invoke(input, results) {
      const reservationId = results.reserve?.reservationId ?? reservationIdFor(input.orderId);
      const paymentId = results.authorize?.paymentId;
      if (!paymentId) throw definitiveError('SAGA_CORRUPT', 'confirm ran before authorize');
      await ports.inventory.commit(input.tenantId, reservationId);
      await ports.payment.capture(input.tenantId, paymentId);
      return { reservationId, paymentId };
    },
    // Nothing of its own to undo: releasing the (possibly committed) reservation and voiding the payment are
    // the compensations of reserve and authorize, which run next.
    async compensate() {},
  };

  return [price, reserve, authorize, confirm];
}

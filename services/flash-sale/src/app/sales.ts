import { randomUUID } from 'node:crypto';
import { isAppError } from '@glassbox/kit';
import type { SaleInventory } from '../adapters/inventory-client.js';
import type { PurchaseRow, PurchaseStatus, PurchaseStore } from '../adapters/purchase-store.js';
import type { Sale, SaleStore } from '../adapters/sale-store.js';
import type { AdmissionEngine, PaymentInput } from '../domain/admission.js';
import { appError } from '../errors.js';
import type { FlashSaleMetrics } from '../metrics.js';

export type SaleStatus = 'SCHEDULED' | 'ACTIVE' | 'SOLD_OUT' | 'ENDED';

export interface NewSale {
  productId: string;
  quantity: number;
  priceCents: number;
  startsAt: Date;
  endsAt: Date;
  perUserLimit: number;
}

/**
 * The reservation outlives the sale by at least this much (and by twice the payment deadline), so orders of its
 * last seconds still find their units and the settlement finds the hold.
 */
export const RESERVATION_GRACE_SECONDS = 3_600;
/** The inventory's longest hold (its ttlSeconds maximum). */
export const MAX_RESERVATION_SECONDS = 7_776_000;

export interface AdminSaleView extends ReturnType<typeof saleView> {
  status: SaleStatus;
  remaining: number;
  sold: number;
  oversold: number;
  purchases: Record<PurchaseStatus, { purchases: number; units: number }>;
  persistedPurchases: number;
  admissionMode: 'redis' | 'embedded';
  queueDepth: number;
  settlement: { settledAt: string; unitsSold: number; unitsReturned: number } | null;
}

export interface PurchaseView {
  purchaseId: string;
  saleId: string;
  status: PurchaseStatus;
  orderId: string | null;
  quantity: number;
  acceptedAt: string;
}

export interface FlashSales {
  create(tenantId: string, input: NewSale, now?: Date): Promise<Sale>;
  sale(tenantId: string, id: string): Promise<Sale>;
  status(sale: Sale, remaining: number, now?: Date): SaleStatus;
  remaining(sale: Sale): Promise<number>;
  adminView(sale: Sale): Promise<AdminSaleView>;
  purchase(
    tenantId: string,
    saleId: string,
    attempt: { userId: string; idempotencyKey: string; quantity: number; payment: PaymentInput },
    now?: Date,
  ): Promise<{ purchaseId: string; repeated: boolean }>;
  purchaseView(
    tenantId: string,
    saleId: string,
    purchaseId: string,
  ): Promise<PurchaseView & { userId: string }>;
  /** Purchases being admitted right now (the waiting room's measure). */
  inFlight(): number;
}

export function createFlashSales(deps: {
  sales: SaleStore;
  purchases: PurchaseStore;
  admission: AdmissionEngine & { unpersisted?: (saleId: string, id: string) => Promise<unknown> };
  inventory: SaleInventory;
  metrics: FlashSaleMetrics;
  /** More attempts than this being admitted at once are answered 429 WAITING_ROOM. */
  queueMax: number;
  /** The buyers' payment deadline: the sale's hold outlives the sale by at least twice this (its settlement). */
  paymentDeadlineMs?: number;
}): FlashSales {
  const { sales, purchases, admission, inventory, metrics } = deps;
  let inFlight = 0;

  function view(p: PurchaseRow): PurchaseView & { userId: string } {
    return {
      purchaseId: p.id,
      saleId: p.saleId,
      status: p.status,
      orderId: p.orderId,
      quantity: p.quantity,
      acceptedAt: p.acceptedAt.toISOString(),
      userId: p.userId,
    };
  }

  const api: FlashSales = {
    async create(tenantId, input, now = new Date()) {
      // The hold lasts until the sale is settled: the end, then the last buyers' payment deadline, then a margin.
      const graceSeconds = Math.max(
        RESERVATION_GRACE_SECONDS,
        Math.ceil((2 * (deps.paymentDeadlineMs ?? 0)) / 1000),
      );
      const holdSeconds = Math.ceil((input.endsAt.getTime() - now.getTime()) / 1000) + graceSeconds;
      if (input.endsAt <= input.startsAt) {
        throw appError('VALIDATION_FAILED', 'endsAt must be after startsAt', {
          errors: [{ path: '/endsAt', message: 'must be after startsAt' }],
        });
      }
      if (input.endsAt <= now) {
        throw appError('VALIDATION_FAILED', 'endsAt is in the past', {
          errors: [{ path: '/endsAt', message: 'must be in the future' }],
        });
      }
      if (holdSeconds > MAX_RESERVATION_SECONDS) {
        throw appError(
          'VALIDATION_FAILED',
          'a sale may end at most 89 days from now (inventory holds 90 days)',
          {
            errors: [{ path: '/endsAt', message: 'must be within 89 days' }],
          },
        );
      }
      const id = randomUUID();
      const reservationId = `flash-sale:${id}`;
      await inventory.reserve(tenantId, {
        reservationId,
        saleId: id,
        productId: input.productId,
        quantity: input.quantity,
        ttlSeconds: holdSeconds,
      });
      let sale: Sale;
      try {
        sale = await sales.insert({ ...input, tenantId, id, reservationId });
      } catch (error) {
        await inventory.release(tenantId, reservationId).catch(() => {});
        throw error;
      }
      await admission.open(sale);
      return sale;
    },

    async sale(tenantId, id) {
      const sale = await sales.get(tenantId, id);
      if (!sale) throw appError('NOT_FOUND', `no flash sale ${id}`);
      return sale;
    },

    status(sale, remaining, now = new Date()) {
      if (now < sale.startsAt) return 'SCHEDULED';
      if (now >= sale.endsAt) return 'ENDED';
      return remaining <= 0 ? 'SOLD_OUT' : 'ACTIVE';
    },

    async remaining(sale) {
      return (await admission.counters(sale)).remaining;
    },

    async adminView(sale) {
      const [counters, byStatus, settled] = await Promise.all([
        admission.counters(sale),
        purchases.countsBySale(sale),
        sales.settlement(sale),
      ]);
      const persisted = Object.values(byStatus).reduce((n, s) => n + s.purchases, 0);
      return {
        ...saleView(sale),
        status: api.status(sale, counters.remaining),
        remaining: counters.remaining,
        sold: counters.sold,
        oversold: Math.max(0, counters.sold - sale.quantity),
        purchases: byStatus,
        persistedPurchases: persisted,
        admissionMode: admission.mode,
        queueDepth: admission.queueDepth(),
        settlement: settled && {
          settledAt: settled.settledAt.toISOString(),
          unitsSold: settled.units,
          unitsReturned: sale.quantity - settled.units,
        },
      };
    },

    async purchase(tenantId, saleId, attempt, now = new Date()) {
      const sale = await api.sale(tenantId, saleId);
      if (now < sale.startsAt || now >= sale.endsAt) {
        throw appError(
          'NOT_ACTIVE',
          now < sale.startsAt ? 'the sale has not started' : 'the sale has ended',
          {
            startsAt: sale.startsAt.toISOString(),
            endsAt: sale.endsAt.toISOString(),
          },
        );
      }
      if (attempt.quantity > sale.perUserLimit) {
        throw appError('LIMIT_REACHED', `at most ${sale.perUserLimit} per customer`, {
          perUserLimit: sale.perUserLimit,
        });
      }
      if (inFlight >= deps.queueMax) {
        metrics.admission('WAITING_ROOM', 0);
        throw appError('WAITING_ROOM', 'the sale is very busy: try again in a second', {
          retryAfterSeconds: 1,
        });
      }
      inFlight += 1;
      const started = performance.now();
      try {
        let admitted: Awaited<ReturnType<typeof admission.admit>>;
        try {
          admitted = await admission.admit({ sale, ...attempt, purchaseId: randomUUID(), acceptedAt: now });
        } catch (error) {
          if (isAppError(error)) throw error;
          // Redis or PostgreSQL failed: nothing was accepted (the engines give back what they took).
          metrics.admission('UNAVAILABLE', (performance.now() - started) / 1000);
          throw appError('UPSTREAM_UNAVAILABLE', 'admission is unavailable: nothing was bought, try again', {
            retryAfterSeconds: 1,
            cause: error instanceof Error ? error.message : String(error),
          });
        }
        metrics.admission(admitted.outcome, (performance.now() - started) / 1000);
        switch (admitted.outcome) {
          case 'ACCEPTED':
            return { purchaseId: admitted.purchaseId, repeated: admitted.repeated };
          case 'SOLD_OUT':
            throw appError('SOLD_OUT', 'every unit of this sale is taken');
          case 'LIMIT_REACHED':
            throw appError('LIMIT_REACHED', `at most ${sale.perUserLimit} per customer`, {
              perUserLimit: sale.perUserLimit,
            });
          case 'KEY_REUSED':
            throw appError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another quantity', {
              purchaseId: admitted.purchaseId,
            });
        }
      } finally {
        inFlight -= 1;
      }
    },

    async purchaseView(tenantId, saleId, purchaseId) {
      const row = await purchases.get(tenantId, saleId, purchaseId);
      if (row) return view(row);
      const pending = (await admission.unpersisted?.(saleId, purchaseId)) as
        | Omit<PurchaseRow, 'status' | 'orderId'>
        | undefined;
      if (pending && pending.tenantId === tenantId)
        return view({ ...pending, status: 'ACCEPTED', orderId: null });
      throw appError('NOT_FOUND', `no purchase ${purchaseId} in sale ${saleId}`);
    },

    inFlight: () => inFlight,
  };
  return api;
}

export function saleView(sale: Sale) {
  return {
    id: sale.id,
    productId: sale.productId,
    quantity: sale.quantity,
    priceCents: sale.priceCents,
    startsAt: sale.startsAt.toISOString(),
    endsAt: sale.endsAt.toISOString(),
    perUserLimit: sale.perUserLimit,
  };
}

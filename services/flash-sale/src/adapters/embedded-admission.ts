import type { Admission, AdmissionEngine, Attempt, SaleCounters, SaleTerms } from '../domain/admission.js';
import { attemptKey } from '../domain/admission.js';
import { createGroupCommit } from './group-commit.js';
import { currentTrace, type PersistPurchases } from './purchase-persistence.js';
import { heldUnits, type NewPurchase, type PurchaseStore } from './purchase-store.js';

interface Known {
  purchaseId: string;
  quantity: number;
  /** Settles when the purchase is durable (at once for purchases loaded from the database). */
  durable: Promise<void>;
}

interface SaleState {
  remaining: number;
  perUser: Map<string, number>;
  byKey: Map<string, Known>;
}

/**
 * Embedded mode (no Redis): one process owns admission. Decisions are made in memory (JavaScript runs them one
 * at a time, so check-and-take is atomic), and every accepted purchase is written to PostgreSQL by group commit
 * before its 202 is sent; if the write fails the units and the allowance are given back and the attempt fails.
 * A sale's state is rebuilt from its purchases on first use, so a restart resumes where the database is.
 * Only one replica may run in this mode (several would each think they own the stock).
 */
export function createEmbeddedAdmission(
  store: PurchaseStore,
  options: { persist: PersistPurchases; maxBatch?: number },
): AdmissionEngine {
  const sales = new Map<string, Promise<SaleState>>();
  const commit = createGroupCommit<NewPurchase>({
    flush: (rows) => options.persist(rows),
    maxBatch: options.maxBatch ?? 1_000,
  });

  function state(sale: SaleTerms): Promise<SaleState> {
    let loaded = sales.get(sale.id);
    if (!loaded) {
      loaded = store.ofSale(sale).then((rows) => {
        const { sold, perUser } = heldUnits(rows);
        const byKey = new Map<string, Known>();
        for (const r of rows) {
          byKey.set(attemptKey(r.userId, r.idempotencyKey), {
            purchaseId: r.id,
            quantity: r.quantity,
            durable: Promise.resolve(),
          });
        }
        return { remaining: sale.quantity - sold, perUser, byKey };
      });
      loaded.catch(() => sales.delete(sale.id));
      sales.set(sale.id, loaded);
    }
    return loaded;
  }

  return {
    mode: 'embedded',
    async open(sale) {
      await state(sale);
    },
    async admit(attempt: Attempt): Promise<Admission> {
      const s = await state(attempt.sale);
      // From here to the write being queued nothing awaits: check and take are one step.
      const key = attemptKey(attempt.userId, attempt.idempotencyKey);
      const known = s.byKey.get(key);
      if (known) {
        await known.durable;
        return known.quantity === attempt.quantity
          ? { outcome: 'ACCEPTED', purchaseId: known.purchaseId, repeated: true }
          : { outcome: 'KEY_REUSED', purchaseId: known.purchaseId };
      }
      if (s.remaining < attempt.quantity) return { outcome: 'SOLD_OUT' };
      const used = s.perUser.get(attempt.userId) ?? 0;
      if (used + attempt.quantity > attempt.sale.perUserLimit) return { outcome: 'LIMIT_REACHED' };
      s.remaining -= attempt.quantity;
      s.perUser.set(attempt.userId, used + attempt.quantity);
      const durable = commit.write({
        id: attempt.purchaseId,
        tenantId: attempt.sale.tenantId,
        saleId: attempt.sale.id,
        userId: attempt.userId,
        idempotencyKey: attempt.idempotencyKey,
        quantity: attempt.quantity,
        payment: attempt.payment,
        acceptedAt: attempt.acceptedAt,
        trace: currentTrace(),
      });
      s.byKey.set(key, { purchaseId: attempt.purchaseId, quantity: attempt.quantity, durable });
      try {
        await durable;
      } catch (error) {
        // Not durable, so not accepted: give the units and the allowance back.
        s.remaining += attempt.quantity;
        s.perUser.set(attempt.userId, (s.perUser.get(attempt.userId) ?? 0) - attempt.quantity);
        s.byKey.delete(key);
        throw error;
      }
      return { outcome: 'ACCEPTED', purchaseId: attempt.purchaseId, repeated: false };
    },
    async release(sale, purchaseId) {
      const s = await state(sale);
      const released = await store.markReleased(sale, purchaseId);
      if (!released) return false;
      s.remaining += released.quantity;
      s.perUser.set(released.userId, (s.perUser.get(released.userId) ?? 0) - released.quantity);
      return true;
    },
    async counters(sale): Promise<SaleCounters> {
      const s = await state(sale);
      return { remaining: s.remaining, sold: sale.quantity - s.remaining };
    },
    queueDepth: () => commit.pending(),
    close: () => commit.close(),
  };
}

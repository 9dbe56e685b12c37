/**
 * The rules of stock reservations, free of HTTP and SQL: the reservation lifecycle as a transition table, how a
 * request's items are normalised, and what commit and release mean in each state.
 */

export const RESERVATION_STATUSES = ['RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/**
 * The lifecycle. RESERVED holds stock; COMMITTED has taken it off the shelf; RELEASED and EXPIRED gave it back.
 * COMMITTED → RELEASED exists for compensations: a saga that committed and then failed later puts the goods
 * back on hand (a compensation must never fail).
 */
export const RESERVATION_TRANSITIONS: Readonly<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  RESERVED: ['COMMITTED', 'RELEASED', 'EXPIRED'],
  COMMITTED: ['RELEASED'],
  RELEASED: [],
  EXPIRED: [],
};

export function canTransition(from: ReservationStatus, to: ReservationStatus): boolean {
  return RESERVATION_TRANSITIONS[from].includes(to);
}

export interface ReservationItem {
  productId: string;
  quantity: number;
}

/**
 * Merges repeated products (quantities add up) and orders the items by product id. Every transaction that
 * touches several stock rows locks them in this one order, so two of them can never deadlock.
 */
export function normalizeItems(items: readonly ReservationItem[]): ReservationItem[] {
  const byProduct = new Map<string, number>();
  for (const { productId, quantity } of items) {
    const id = productId.toLowerCase();
    byProduct.set(id, (byProduct.get(id) ?? 0) + quantity);
  }
  return [...byProduct.entries()]
    .map(([productId, quantity]) => ({ productId, quantity }))
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}

/** True when a repeated reserve call asks for exactly what the stored reservation holds. */
export function sameRequest(
  stored: { orderId: string; items: readonly ReservationItem[] },
  requested: { orderId: string; items: readonly ReservationItem[] },
): boolean {
  if (stored.orderId !== requested.orderId) return false;
  const a = normalizeItems(stored.items);
  const b = normalizeItems(requested.items);
  return (
    a.length === b.length &&
    a.every((item, i) => item.productId === b[i]?.productId && item.quantity === b[i]?.quantity)
  );
}

/** What a commit does to a reservation in a given state. */
export type CommitPlan =
  | { action: 'commit' } // RESERVED and in time: deduct on_hand and reserved
  | { action: 'none' } // already COMMITTED: idempotent success
  | { action: 'expire' } // RESERVED but past its deadline: give the stock back, then refuse
  | { action: 'refuse' }; // RELEASED or EXPIRED: refuse

export function planCommit(status: ReservationStatus, expired: boolean): CommitPlan {
  switch (status) {
    case 'RESERVED':
      return expired ? { action: 'expire' } : { action: 'commit' };
    case 'COMMITTED':
      return { action: 'none' };
    case 'RELEASED':
    case 'EXPIRED':
      return { action: 'refuse' };
  }
}

/** One item of a commit: what was held and what the commit takes off hand (the rest is given back). */
export interface CommitLine {
  productId: string;
  held: number;
  take: number;
}

/**
 * What a commit takes of each held item. Without `take`, everything held. With it (a settlement: a flash sale
 * commits what it sold), exactly the listed quantities — 0 up to what is held, products of the reservation
 * only — and every product not listed is given back in full. Problems name the offending item.
 */
export function planCommitLines(
  held: readonly ReservationItem[],
  take?: readonly ReservationItem[],
): { lines: CommitLine[]; problems: { path: string; message: string }[] } {
  const heldItems = normalizeItems(held);
  if (take === undefined)
    return {
      lines: heldItems.map((i) => ({ productId: i.productId, held: i.quantity, take: i.quantity })),
      problems: [],
    };
  const problems: { path: string; message: string }[] = [];
  const wanted = new Map<string, number>();
  take.forEach((item, index) => {
    const id = item.productId.toLowerCase();
    const heldItem = heldItems.find((h) => h.productId === id);
    if (!heldItem)
      problems.push({ path: `/items/${index}/productId`, message: 'is not held by this reservation' });
    else if (wanted.has(id)) problems.push({ path: `/items/${index}/productId`, message: 'is listed twice' });
    else if (item.quantity > heldItem.quantity)
      problems.push({
        path: `/items/${index}/quantity`,
        message: `must be at most the ${heldItem.quantity} held`,
      });
    wanted.set(id, item.quantity);
  });
  const lines = heldItems.map((h) => ({
    productId: h.productId,
    held: h.quantity,
    take: wanted.get(h.productId) ?? 0,
  }));
  return { lines, problems };
}

/** What a release does. It never refuses: it is the compensation of a reservation. */
export type ReleasePlan =
  | { action: 'release' } // RESERVED: reserved -= quantity
  | { action: 'restock' } // COMMITTED: on_hand += quantity (the goods go back on the shelf)
  | { action: 'none' }; // unknown, RELEASED or EXPIRED: nothing to do

export function planRelease(status: ReservationStatus | undefined): ReleasePlan {
  if (status === 'RESERVED') return { action: 'release' };
  if (status === 'COMMITTED') return { action: 'restock' };
  return { action: 'none' };
}

/**
 * Admission: the one decision of a flash sale's hot path. An attempt is accepted only while the sale has units
 * left and the buyer stays within the per-user limit; both are decided together, atomically, so concurrent
 * attempts (and replicas, in connected mode) can never sell a unit twice. Two engines meet this contract:
 * Redis (one Lua script, connected mode) and in-process counters with a PostgreSQL group commit (embedded mode).
 * An accepted purchase is durable before the engine answers.
 */

/** What admission needs to know of a sale (immutable once the sale is created). */
export interface SaleTerms {
  id: string;
  tenantId: string;
  quantity: number;
  perUserLimit: number;
  /** After it (and a grace day) connected mode lets the sale's counters expire from Redis. */
  endsAt: Date;
}

export interface PaymentInput {
  method: 'card';
  token: string;
}

export interface Attempt {
  sale: SaleTerms;
  userId: string;
  idempotencyKey: string;
  quantity: number;
  payment: PaymentInput;
  /** The new purchase's id, used only if the attempt is accepted and not a repeat. */
  purchaseId: string;
  acceptedAt: Date;
}

export type Admission =
  /** `repeated`: the same user's same Idempotency-Key again; the first attempt's purchase. */
  | { outcome: 'ACCEPTED'; purchaseId: string; repeated: boolean }
  | { outcome: 'SOLD_OUT' }
  | { outcome: 'LIMIT_REACHED' }
  /** The key was used by this user for another quantity. */
  | { outcome: 'KEY_REUSED'; purchaseId: string };

export interface SaleCounters {
  /** Units still for sale. */
  remaining: number;
  /** Units held by purchases that are not released (sold = confirmed + in flight). */
  sold: number;
}

export interface AdmissionEngine {
  readonly mode: 'redis' | 'embedded';
  /** Makes a new sale known (all its units for sale). */
  open(sale: SaleTerms): Promise<void>;
  admit(attempt: Attempt): Promise<Admission>;
  /**
   * Gives a purchase's units back to its sale (a failed or unpaid purchase): marks it RELEASED durably, then
   * makes its units and the buyer's allowance available again. False when it was already released (or
   * unknown): releasing twice never adds a unit.
   */
  release(sale: SaleTerms, purchaseId: string): Promise<boolean>;
  counters(sale: SaleTerms): Promise<SaleCounters>;
  /** Attempts waiting for their group commit (embedded) or persistence (connected): the queue depth. */
  queueDepth(): number;
  close(): Promise<void>;
}

/** The field under which a user's Idempotency-Key is remembered for one sale. */
export function attemptKey(userId: string, idempotencyKey: string): string {
  return `${userId}\u0000${idempotencyKey}`;
}

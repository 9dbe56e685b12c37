/**
 * The `sagas` table (the kit table `sagas`: `runService({ database: { kitTables: ['sagas'] } })`): leases (claim, renew, release) and the persistence of progress, for one
 * saga type. A worker writes only while it holds a saga's lease — every write is fenced by `lease_owner` — so
 * two workers never both advance one saga. A save is one UPDATE; when the owning service projects an event into
 * its own tables (an order's total, its final status), the UPDATE and the projection share one transaction.
 */
import type { Db, Queryable } from '../db.js';
import type { SagaEvent, SagaFailure, SagaState, SagaStatus } from './runner.js';

export interface LoadedSaga<I, R> {
  id: string;
  tenantId: string;
  state: SagaState<R>;
  input: I;
  startedAt: Date;
  traceparent: string | null;
  requestId: string | null;
  cancelRequested: boolean;
}

/** What a save learns: whether the worker still holds the saga, and whether a cancellation was asked for. */
export interface SaveResult {
  held: boolean;
  cancelRequested: boolean;
}

export interface NewSaga<I> {
  id: string;
  tenantId: string;
  input: I;
  /** The worker that runs it at once holds its lease from the start (no other worker picks it up meanwhile). */
  leaseOwner?: string;
  leaseMs?: number;
  traceparent?: string | null;
  requestId?: string | null;
}

export interface SaveOptions<I> {
  /** The input from now on, when it changed (a secret erased once no step needs it). */
  input?: I;
  /** Writes in the same transaction as the saga row (the owning service's own tables). */
  project?: (q: Queryable) => Promise<void>;
}

export interface SagaStore<I, R> {
  readonly type: string;
  /** Inserts a new saga, in the caller's transaction (with the row it belongs to). */
  create(q: Queryable, saga: NewSaga<I>): Promise<void>;
  /** Leases up to `limit` unfinished sagas that are due and whose lease is free or expired. */
  claimDue(workerId: string, leaseMs: number, limit: number): Promise<{ id: string; tenantId: string }[]>;
  /** The saga, if `workerId` holds its lease. */
  load(id: string, workerId: string): Promise<LoadedSaga<I, R> | undefined>;
  renewLease(id: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Asks an unfinished saga to stop and makes it due now; false when it has already finished. */
  requestCancel(id: string): Promise<boolean>;
  /** Leases one unfinished saga now, whether due or not, if nobody holds it. */
  claimOne(id: string, workerId: string, leaseMs: number): Promise<boolean>;
  /** Gives the saga back at once (shutdown), so the next worker need not wait for the lease to expire. */
  releaseLease(id: string, workerId: string): Promise<void>;
  /** How many sagas of this type are unfinished, and how old the oldest is (the backlog alerts watch it). */
  backlog(): Promise<{ count: number; oldestAgeSeconds: number }>;
  /** Persists a new state if `workerId` still holds the lease (a retry gives the lease up until it is due). */
  save(
    id: string,
    workerId: string,
    state: SagaState<R>,
    event: SagaEvent,
    options?: SaveOptions<I>,
  ): Promise<SaveResult>;
}

interface SagaRow {
  id: string;
  tenant_id: string;
  status: SagaStatus;
  position: number;
  input: unknown;
  results: unknown;
  failure: SagaFailure | null;
  attempts: number;
  started_at: Date;
  traceparent: string | null;
  request_id: string | null;
  cancel_requested_at: Date | null;
}

const secs = (param: number) => `make_interval(secs => $${param}::double precision / 1000)`;

export function createSagaStore<I, R>(db: Db, type: string): SagaStore<I, R> {
  return {
    type,

    async create(q, saga) {
      const leased = saga.leaseOwner !== undefined;
      await q.query(
        `INSERT INTO sagas (type, id, tenant_id, status, input, lease_owner, lease_until, traceparent, request_id)
         VALUES ($1, $2, $3, 'RUNNING', $4::jsonb, $5,
                 CASE WHEN $5::text IS NULL THEN NULL ELSE now() + ${secs(6)} END, $7, $8)`,
        [
          type,
          saga.id,
          saga.tenantId,
          JSON.stringify(saga.input),
          leased ? saga.leaseOwner : null,
          saga.leaseMs ?? 0,
          saga.traceparent ?? null,
          saga.requestId ?? null,
        ],
      );
    },

    async claimDue(workerId, leaseMs, limit) {
      const rows = await db.query<{ id: string; tenant_id: string }>(
        `WITH due AS (
           SELECT id FROM sagas
           WHERE type = $1 AND status IN ('RUNNING', 'COMPENSATING') AND next_attempt_at <= now()
             AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at
           LIMIT $4
           FOR UPDATE SKIP LOCKED)
         UPDATE sagas s SET lease_owner = $2, lease_until = now() + ${secs(3)}, updated_at = now()
         FROM due WHERE s.type = $1 AND s.id = due.id
         RETURNING s.id, s.tenant_id`,
        [type, workerId, leaseMs, limit],
      );
      return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
    },

    async load(id, workerId) {
      const [row] = await db.query<SagaRow>(
        `SELECT id, tenant_id, status, position, input, results, failure, attempts, started_at, traceparent,
                request_id, cancel_requested_at
         FROM sagas WHERE type = $1 AND id = $2 AND lease_owner = $3`,
        [type, id, workerId],
      );
      if (!row) return undefined;
      return {
        id: row.id,
        tenantId: row.tenant_id,
        state: {
          status: row.status,
          position: row.position,
          results: row.results as Partial<R>,
          failure: row.failure,
          attempts: row.attempts,
        },
        input: row.input as I,
        startedAt: row.started_at,
        traceparent: row.traceparent,
        requestId: row.request_id,
        cancelRequested: row.cancel_requested_at !== null,
      };
    },

    async renewLease(id, workerId, leaseMs) {
      const rows = await db.query(
        `UPDATE sagas SET lease_until = now() + ${secs(4)}
         WHERE type = $1 AND id = $2 AND lease_owner = $3 RETURNING id`,
        [type, id, workerId, leaseMs],
      );
      return rows.length === 1;
    },

    async requestCancel(id) {
      const rows = await db.query(
        `UPDATE sagas SET cancel_requested_at = COALESCE(cancel_requested_at, now()),
           next_attempt_at = LEAST(next_attempt_at, now()), updated_at = now()
         WHERE type = $1 AND id = $2 AND status IN ('RUNNING', 'COMPENSATING')
         RETURNING id`,
        [type, id],
      );
      return rows.length === 1;
    },

    async claimOne(id, workerId, leaseMs) {
      const rows = await db.query(
        `UPDATE sagas SET lease_owner = $3, lease_until = now() + ${secs(4)}, updated_at = now()
         WHERE type = $1 AND id = $2 AND status IN ('RUNNING', 'COMPENSATING')
           AND (lease_until IS NULL OR lease_until < now())
         RETURNING id`,
        [type, id, workerId, leaseMs],
      );
      return rows.length === 1;
    },

    async releaseLease(id, workerId) {
      await db.query(
        `UPDATE sagas SET lease_owner = NULL, lease_until = NULL, next_attempt_at = now(), updated_at = now()
         WHERE type = $1 AND id = $2 AND lease_owner = $3`,
        [type, id, workerId],
      );
    },

    async backlog() {
      const [row] = await db.query<{ count: number; age: number }>(
        `SELECT count(*)::int AS count,
                coalesce(extract(epoch FROM clock_timestamp() - min(started_at)), 0)::float8 AS age
         FROM sagas WHERE type = $1 AND status IN ('RUNNING', 'COMPENSATING')`,
        [type],
      );
      return { count: row?.count ?? 0, oldestAgeSeconds: row?.age ?? 0 };
    },

    async save(id, workerId, state, event, options = {}) {
      const retryMs = event.type === 'retry-scheduled' ? event.delayMs : null;
      const final = state.status === 'COMPLETED' || state.status === 'FAILED';
      const update = async (q: Queryable): Promise<SaveResult> => {
        const rows = await q.query<{ cancel_requested: boolean }>(
          `UPDATE sagas SET
             status = $4, position = $5, results = $6::jsonb, failure = $7::jsonb, attempts = $8,
             input = COALESCE($9::jsonb, input),
             next_attempt_at = CASE WHEN $10::double precision IS NULL THEN next_attempt_at
                                    ELSE now() + make_interval(secs => $10::double precision / 1000) END,
             lease_owner = CASE WHEN $10::double precision IS NULL AND NOT $11::boolean THEN lease_owner END,
             lease_until = CASE WHEN $10::double precision IS NULL AND NOT $11::boolean THEN lease_until END,
             finished_at = CASE WHEN $11::boolean THEN now() END,
             updated_at = now()
           WHERE type = $1 AND id = $2 AND lease_owner = $3
           RETURNING cancel_requested_at IS NOT NULL AS cancel_requested`,
          [
            type,
            id,
            workerId,
            state.status,
            state.position,
            JSON.stringify(state.results),
            state.failure ? JSON.stringify(state.failure) : null,
            state.attempts,
            options.input === undefined ? null : JSON.stringify(options.input),
            retryMs,
            final,
          ],
        );
        const [saved] = rows;
        return saved
          ? { held: true, cancelRequested: saved.cancel_requested }
          : { held: false, cancelRequested: false };
      };
      const project = options.project;
      if (!project) return update(db);
      return db.tx(async (q) => {
        const saved = await update(q);
        // Only the lease holder's progress is projected; a lost lease rolls nothing forward.
        if (saved.held) await project(q);
        return saved;
      });
    },
  };
}

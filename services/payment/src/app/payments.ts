/**
 * The payment use cases: authorize (idempotent per order, safe against concurrent and abandoned attempts),
 * void, capture, refund and provider callbacks. HTTP-free: routes call these and map the results.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderEvent } from '@glassbox/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Payment, PaymentRepo, Refund } from '../adapters/payment-repo.js';
import { type Plan, planCapture, planRefund, planVoid, sameAuthorization } from '../domain/payment.js';
import { decide, summarizeCard } from '../domain/provider.js';
import { appError } from '../errors.js';
import type { PaymentMetrics } from '../metrics.js';
import type { PaymentEvents } from '../payment-events.js';

/** Where the use cases log: a request's logger (trace and request ids attached). */
type Log = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export interface PaymentsOptions {
  repo: PaymentRepo;
  metrics: PaymentMetrics;
  /** Delay of tok_slow approvals. */
  slowMs: number;
  /** How often a duplicate request looks whether the first one has finished. */
  pollMs?: number;
  /** Announces captures and refunds in their transaction (the outbox); without it, nothing is announced. */
  events?: PaymentEvents;
}

export interface AuthorizeInput {
  tenantId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  token: string;
}

export interface AuthorizeResult {
  payment: Payment;
  /** True when this call created the payment (201), false when it answered a repeat (200). */
  created: boolean;
}

export function createPayments(options: PaymentsOptions) {
  const { repo, metrics, slowMs, events } = options;
  const pollMs = options.pollMs ?? 50;
  // A PROCESSING payment untouched for this long lost its owner (the process died): another call may take over.
  const staleMs = slowMs + 5_000;

  async function runProvider(payment: Payment, token: string, log: Log): Promise<Payment> {
    const started = performance.now();
    const decision = decide(token, slowMs);
    if (decision.delayMs > 0) await sleep(decision.delayMs);
    const seconds = (performance.now() - started) / 1000;
    const status = decision.outcome === 'approve' ? 'AUTHORIZED' : 'DECLINED';
    const reason = decision.outcome === 'decline' ? decision.reason : null;
    const finished = await repo.finishAuthorization(
      payment.tenantId,
      payment.id,
      payment.attempt,
      status,
      reason,
    );
    if (!finished) {
      // Voided while the provider was deciding, or taken over: the stored state wins.
      const current = await repo.get(payment.tenantId, payment.id);
      log.info({ paymentId: payment.id, status: current?.status }, 'provider answer discarded');
      if (!current) throw appError('INTERNAL', 'payment vanished');
      return current;
    }
    if (status === 'AUTHORIZED') metrics.authorized(finished.currency, finished.amountCents, seconds);
    else metrics.declined(reason ?? 'declined', seconds);
    log.info(
      // The card's kind only: the "last 4" kept here are the token's, a piece of a credential.
      { paymentId: finished.id, orderId: finished.orderId, status, cardKind: finished.cardKind },
      'authorization decided',
    );
    return finished;
  }

  return {
    async authorize(input: AuthorizeInput, log: Log, deadlineMs = staleMs * 2): Promise<AuthorizeResult> {
      const card = summarizeCard(input.token);
      const requested = { ...input, cardKind: card.kind, cardLast4: card.last4 };
      const inserted = await repo.insertProcessing({
        id: randomUUID(),
        tenantId: input.tenantId,
        orderId: input.orderId,
        amountCents: input.amountCents,
        currency: input.currency,
        cardKind: card.kind,
        cardLast4: card.last4,
      });
      if (inserted) return { payment: await runProvider(inserted, input.token, log), created: true };

      // A repeat: answer what the first call decided, waiting while it is still talking to the provider.
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const existing = await repo.findByOrder(input.tenantId, input.orderId);
        if (!existing) throw appError('INTERNAL', 'payment vanished');
        if (!sameAuthorization(existing, requested)) {
          throw appError(
            'IDEMPOTENCY_KEY_REUSED',
            `order ${input.orderId} already has a payment for another amount, currency or card`,
          );
        }
        if (existing.status !== 'PROCESSING') return { payment: existing, created: false };
        const mine = await repo.takeOver(input.tenantId, existing.id, existing.attempt, staleMs);
        if (mine) {
          log.warn({ paymentId: mine.id, attempt: mine.attempt }, 'took over an abandoned authorization');
          return { payment: await runProvider(mine, input.token, log), created: false };
        }
        if (Date.now() > deadline) {
          throw appError('CONFLICT', 'the authorization of this order is still in progress; retry later', {
            paymentId: existing.id,
            paymentStatus: existing.status,
          });
        }
        await sleep(pollMs);
      }
    },

    /** Void; a no-op (answering undefined) on an unknown payment. */
    async void(tenantId: string, id: string, log: Log): Promise<Payment | undefined> {
      return repo.withLocked(tenantId, id, async (payment, tx) => {
        const plan = planVoid(payment.status);
        const next = await apply(plan, payment, () => tx.update({ status: 'VOIDED' }));
        if (plan.action === 'apply') {
          metrics.voided();
          log.info({ paymentId: id, orderId: payment.orderId, from: payment.status }, 'payment voided');
        }
        return next;
      });
    },

    async capture(tenantId: string, id: string, log: Log): Promise<Payment> {
      const result = await repo.withLocked(tenantId, id, async (payment, tx) => {
        const plan = planCapture(payment.status);
        const next = await apply(plan, payment, () =>
          tx.update({ status: 'CAPTURED', capturedCents: payment.amountCents }),
        );
        if (plan.action === 'apply') {
          await events?.captured(tx.q, next);
          metrics.captured(payment.currency, payment.amountCents);
          log.info({ paymentId: id, orderId: payment.orderId }, 'payment captured');
        }
        return next;
      });
      if (!result) throw appError('NOT_FOUND', `no payment ${id}`);
      return result;
    },

    async refund(
      tenantId: string,
      id: string,
      amountCents: number,
      idempotencyKey: string | null,
      log: Log,
    ): Promise<{ refund: Refund; payment: Payment; created: boolean }> {
      const result = await repo.withLocked(tenantId, id, async (payment, tx) => {
        if (idempotencyKey) {
          const earlier = await tx.findRefundByKey(idempotencyKey);
          if (earlier) {
            if (earlier.amountCents !== amountCents) {
              throw appError(
                'IDEMPOTENCY_KEY_REUSED',
                'this Idempotency-Key was used for another refund amount',
              );
            }
            return { refund: earlier, payment, created: false };
          }
        }
        const plan = planRefund(payment, amountCents);
        if (plan.action !== 'apply') throw appError('ILLEGAL_TRANSITION', detailOf(plan));
        const refund = await tx.insertRefund({
          id: randomUUID(),
          amountCents,
          idempotencyKey,
          source: 'admin',
        });
        const next = await tx.update({ status: plan.to, refundedCents: payment.refundedCents + amountCents });
        await events?.refunded(tx.q, next, refund);
        metrics.refunded(payment.currency, amountCents, 'admin');
        log.info({ paymentId: id, amountCents, status: next.status }, 'payment refunded');
        return { refund, payment: next, created: true };
      });
      if (!result) throw appError('NOT_FOUND', `no payment ${id}`);
      return result;
    },

    /**
     * A signed provider callback. Applied once per event id; an event that no longer fits the payment's
     * state is recorded as ignored (and answered 200, so the provider stops redelivering it).
     */
    async applyEvent(
      event: ProviderEvent,
      log: Log,
    ): Promise<{ outcome: 'applied' | 'ignored' | 'duplicate'; payment: Payment }> {
      const { tenantId, paymentId } = event.data;
      const result = await repo.withLocked(tenantId, paymentId, async (payment, tx) => {
        let plan: Plan;
        if (event.type === 'payment.captured') plan = planCapture(payment.status);
        else if (event.type === 'payment.voided') plan = planVoid(payment.status);
        else
          plan = planRefund(payment, event.data.amountCents ?? payment.capturedCents - payment.refundedCents);
        const outcome = plan.action === 'apply' ? 'applied' : 'ignored';
        const fresh = await tx.recordEvent({ eventId: event.id, type: event.type, outcome });
        if (!fresh) return { outcome: 'duplicate' as const, payment };
        if (plan.action !== 'apply') {
          log.info({ eventId: event.id, type: event.type, status: payment.status }, 'provider event ignored');
          return { outcome: 'ignored' as const, payment };
        }
        let next: Payment;
        if (event.type === 'payment.captured') {
          next = await tx.update({ status: plan.to, capturedCents: payment.amountCents });
          await events?.captured(tx.q, next);
          metrics.captured(payment.currency, payment.amountCents);
        } else if (event.type === 'payment.voided') {
          next = await tx.update({ status: plan.to });
          metrics.voided();
        } else {
          const amount = event.data.amountCents ?? payment.capturedCents - payment.refundedCents;
          const refund = await tx.insertRefund({
            id: randomUUID(),
            amountCents: amount,
            idempotencyKey: null,
            source: 'provider',
          });
          next = await tx.update({ status: plan.to, refundedCents: payment.refundedCents + amount });
          await events?.refunded(tx.q, next, refund);
          metrics.refunded(payment.currency, amount, 'provider');
        }
        log.info(
          { eventId: event.id, type: event.type, paymentId, status: next.status },
          'provider event applied',
        );
        // The order service did not ask for this: its order may stay CONFIRMED over money that is gone. Flag it,
        // in this transaction, for the reconciliation to find (GET /api/v1/admin/payments/reconciliation-flags).
        const reason = reconciliationReason(event.type);
        if (reason) {
          await tx.flagForReconciliation({
            id: randomUUID(),
            eventId: event.id,
            reason,
            amountCents: next.refundedCents - payment.refundedCents || null,
            paymentStatus: next.status,
          });
          metrics.flaggedForReconciliation(reason);
          log.warn(
            { eventId: event.id, paymentId, orderId: payment.orderId, reason, status: next.status },
            'payment changed by the provider: flagged for reconciliation with its order',
          );
        }
        return { outcome: 'applied' as const, payment: next };
      });
      if (!result) throw appError('NOT_FOUND', `no payment ${paymentId}`);
      return result;
    },

    /** The payments of an order (at most one), or the tenant's most recent ones. */
    async list(tenantId: string, query: { orderId?: string; limit: number }): Promise<Payment[]> {
      return query.orderId
        ? repo.listByOrder(tenantId, query.orderId)
        : repo.listRecent(tenantId, query.limit);
    },

    /** One payment with its refunds. */
    async get(tenantId: string, id: string): Promise<{ payment: Payment; refunds: Refund[] }> {
      const payment = await repo.get(tenantId, id);
      if (!payment) throw appError('NOT_FOUND', `no payment ${id}`);
      return { payment, refunds: await repo.refundsOf(tenantId, payment.id) };
    },

    /** Payments the provider changed behind their order, not yet reconciled, newest first. */
    async reconciliationFlags(tenantId: string, limit: number) {
      return repo.openFlags(tenantId, limit);
    },
  };
}

/** Provider events that change money behind the order's back, and the flag they raise. */
function reconciliationReason(type: ProviderEvent['type']): 'PROVIDER_REFUND' | 'PROVIDER_VOID' | undefined {
  if (type === 'payment.refunded') return 'PROVIDER_REFUND';
  if (type === 'payment.voided') return 'PROVIDER_VOID';
  return undefined;
}

async function apply(plan: Plan, payment: Payment, write: () => Promise<Payment>): Promise<Payment> {
  switch (plan.action) {
    case 'apply':
      return write();
    case 'noop':
      return payment;
    case 'pending':
      throw appError('CONFLICT', plan.detail, { paymentId: payment.id, paymentStatus: payment.status });
    case 'illegal':
      throw appError('ILLEGAL_TRANSITION', plan.detail, {
        paymentId: payment.id,
        paymentStatus: payment.status,
      });
  }
}

function detailOf(plan: Plan): string {
  return plan.action === 'illegal' || plan.action === 'pending' ? plan.detail : 'not applicable';
}

export type Payments = ReturnType<typeof createPayments>;

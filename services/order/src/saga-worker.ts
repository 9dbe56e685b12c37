/**
 * Runs checkout sagas: the one a request just created (under the lease it was created with), and — in a
 * recovery loop, at start and every few seconds — every unfinished saga whose lease expired (its process died)
 * or whose retry is due. While a saga runs its lease is renewed; a worker that loses it stops at once. On
 * shutdown the loop stops, running sagas stop at their next step boundary, and their leases are handed back.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@glassbox/kit';
import { type Link, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Dependencies } from './adapters/clients.js';
import type { LoadedSaga, SagaRepo } from './adapters/saga-repo.js';
import { type CheckoutResults, checkoutSteps, finalOrderStatus } from './domain/checkout.js';
import { exponentialBackoff, type RunOutcome, runSaga, type SagaStore } from './domain/saga.js';
import type { OrderMetrics } from './metrics.js';

export interface SagaWorkerOptions {
  sagas: SagaRepo;
  dependencies: Dependencies;
  metrics: OrderMetrics;
  logger: Logger;
  workerId?: string;
  leaseMs: number;
  recoveryIntervalMs: number;
  maxAttempts: number;
  maxCompensationAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Sagas claimed per recovery round, and at most this many running in this process. */
  batchSize?: number;
  maxInFlight?: number;
}

export type RunResult =
  | RunOutcome<CheckoutResults>
  | { kind: 'error'; error: unknown }
  | { kind: 'not-owned' };

export interface SagaWorker {
  readonly workerId: string;
  /**
   * Runs a saga this worker holds the lease of. `fresh`: the saga a request has just created (saves reading it
   * back); without it the saga is loaded, and only if this worker holds its lease.
   */
  run(
    tenantId: string,
    orderId: string,
    via?: 'request' | 'recovery',
    fresh?: LoadedSaga,
  ): Promise<RunResult>;
  /** One recovery round; answers how many sagas it picked up. */
  recoverOnce(): Promise<number>;
  /**
   * Asks an unfinished saga to cancel, and runs it here at once if nobody holds it (a running one sees the
   * request at its next step). False when the saga had already finished.
   */
  cancel(tenantId: string, orderId: string): Promise<boolean>;
  start(): void;
  stop(timeoutMs?: number): Promise<void>;
  inFlight(): number;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function linkTo(traceparent: string | null): Link[] {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m) return [];
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  return [
    {
      context: {
        traceId,
        spanId,
        traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
        isRemote: true,
      },
      attributes: { 'glassbox.link': 'order request' },
    },
  ];
}

export function createSagaWorker(options: SagaWorkerOptions): SagaWorker {
  const { sagas, metrics, logger, leaseMs } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const batchSize = options.batchSize ?? 20;
  const maxInFlight = options.maxInFlight ?? 100;
  const backoffMs = exponentialBackoff(options.retryBaseMs, options.retryMaxMs);
  const tracer = trace.getTracer('glassbox.order');
  const running = new Map<string, Promise<RunResult>>();
  let stopping = false;
  let loop: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();

  async function runOnce(
    tenantId: string,
    orderId: string,
    via: 'request' | 'recovery',
    fresh?: LoadedSaga,
  ): Promise<RunResult> {
    const saga = fresh ?? (await sagas.load(tenantId, orderId, workerId));
    if (!saga) return { kind: 'not-owned' };
    const log = logger.child({
      order_id: orderId,
      tenant_id: tenantId,
      saga_run: via,
      request_id: saga.requestId ?? undefined,
    });
    const links = via === 'recovery' ? linkTo(saga.traceparent) : [];
    return tracer.startActiveSpan(
      'checkout saga',
      {
        kind: SpanKind.INTERNAL,
        links,
        attributes: {
          'glassbox.order.id': orderId,
          'glassbox.tenant.id': tenantId,
          'glassbox.saga.run': via,
        },
      },
      async (span): Promise<RunResult> => {
        let lost = false;
        const heartbeat = setInterval(
          () => {
            sagas.renewLease(tenantId, orderId, workerId, leaseMs).then(
              (held) => {
                if (!held) lost = true;
              },
              (error: unknown) => log.warn({ err: error }, 'lease renewal failed'),
            );
          },
          Math.max(50, Math.floor(leaseMs / 3)),
        );
        heartbeat.unref();
        let cancelRequested = saga.cancelRequested;
        const store: SagaStore<CheckoutResults> = {
          async save(state, event) {
            if (event.type === 'retry-scheduled') metrics.retried(event.step, event.compensating);
            const saved = await sagas.save(tenantId, orderId, workerId, state, event);
            cancelRequested = saved.cancelRequested;
            return saved.held;
          },
          cancelRequested: () => cancelRequested,
        };
        try {
          if (via === 'recovery')
            log.info({ status: saga.state.status, position: saga.state.position }, 'resuming saga');
          const outcome = await runSaga(
            checkoutSteps(options.dependencies.ports(saga.requestId)),
            saga.input,
            saga.state,
            store,
            {
              maxAttempts: options.maxAttempts,
              maxCompensationAttempts: options.maxCompensationAttempts,
              backoffMs,
              log,
              shouldStop: () => stopping || lost,
              around: (step, phase, fn) =>
                tracer.startActiveSpan(`saga ${phase} ${step}`, async (stepSpan) => {
                  try {
                    return await fn();
                  } catch (error) {
                    stepSpan.recordException(error as Error);
                    stepSpan.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
                    throw error;
                  } finally {
                    stepSpan.end();
                  }
                }),
            },
          );
          span.setAttribute('glassbox.saga.outcome', outcome.kind);
          if (outcome.kind === 'completed' || outcome.kind === 'failed') {
            const seconds = (Date.now() - saga.startedAt.getTime()) / 1000;
            const reason = outcome.state.failure?.reason ?? null;
            const status = finalOrderStatus(outcome.kind === 'completed' ? null : outcome.state.failure);
            metrics.completed(status, reason, seconds);
            log.info({ outcome: outcome.kind, status, reason, seconds }, `order ${status.toLowerCase()}`);
          } else if (outcome.kind === 'stopped' && !lost) {
            await sagas.releaseLease(tenantId, orderId, workerId);
          } else if (outcome.kind === 'lost' || lost) {
            log.warn('saga lease lost to another worker; stopped');
          }
          return outcome;
        } catch (error) {
          // A database error while saving: the lease runs out and the saga is resumed from its last save.
          log.error({ err: error }, 'saga run failed; it will be resumed');
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          return { kind: 'error', error };
        } finally {
          clearInterval(heartbeat);
          span.end();
        }
      },
    );
  }

  function run(
    tenantId: string,
    orderId: string,
    via: 'request' | 'recovery' = 'request',
    fresh?: LoadedSaga,
  ): Promise<RunResult> {
    const existing = running.get(orderId);
    if (existing) return existing;
    const promise = runOnce(tenantId, orderId, via, fresh)
      .catch((error: unknown): RunResult => ({ kind: 'error', error }))
      .finally(() => running.delete(orderId));
    running.set(orderId, promise);
    return promise;
  }

  let backlog = { oldestAgeSeconds: 0, count: 0 };
  metrics.observeBacklog(() => backlog);

  async function recoverOnce(): Promise<number> {
    if (stopping) return 0;
    backlog = await sagas.backlog();
    const capacity = Math.min(batchSize, maxInFlight - running.size);
    if (capacity <= 0) return 0;
    const claimed = await sagas.claimDue(workerId, leaseMs, capacity);
    for (const { tenantId, orderId } of claimed) {
      metrics.resumed();
      void run(tenantId, orderId, 'recovery');
    }
    return claimed.length;
  }

  function schedule(delayMs: number) {
    if (stopping) return;
    loop = setTimeout(() => {
      round = recoverOnce()
        .catch((error: unknown) => logger.warn({ err: error }, 'saga recovery round failed'))
        .finally(() => schedule(options.recoveryIntervalMs));
    }, delayMs);
    loop.unref();
  }

  async function cancel(tenantId: string, orderId: string): Promise<boolean> {
    if (!(await sagas.requestCancel(tenantId, orderId))) return false;
    if (!stopping && !running.has(orderId) && (await sagas.claimOne(tenantId, orderId, workerId, leaseMs))) {
      void run(tenantId, orderId, 'recovery');
    }
    return true;
  }

  return {
    workerId,
    run,
    recoverOnce,
    cancel,
    inFlight: () => running.size,
    start() {
      stopping = false;
      schedule(0);
    },
    async stop(timeoutMs = 8_000) {
      stopping = true;
      if (loop) clearTimeout(loop);
      await round;
      const all = Promise.allSettled([...running.values()]);
      await Promise.race([all, sleep(timeoutMs)]);
    },
  };
}

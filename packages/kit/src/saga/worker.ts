/**
 * Runs the sagas of one definition: the one a request has just created (under the lease it was created with),
 * and — in a recovery loop, at start and every few seconds — every unfinished saga whose lease expired (its
 * process died) or whose retry is due. While a saga runs its lease is renewed; a worker that loses it stops at
 * once. On shutdown the loop stops, running sagas stop at their next step boundary, and their leases are handed
 * back. Every run is a span (linked to the request that began the saga when it is resumed), every step a child
 * span; the backlog (unfinished sagas, age of the oldest) is a metric.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Link, metrics, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Queryable } from '../db.js';
import type { Logger } from '../logger.js';
import {
  type AnySagaStep,
  exponentialBackoff,
  initialState,
  type ProgressStore,
  type RunOutcome,
  runSaga,
  type SagaEvent,
  type SagaState,
} from './runner.js';
import type { LoadedSaga, SagaStore } from './store.js';

/** What a run knows of its saga, for the steps and the projection. */
export interface SagaContext<I> {
  id: string;
  tenantId: string;
  input: I;
  requestId: string | null;
}

/** A kind of saga: its steps, and what the owning service does with its progress. */
export interface SagaDefinition<I, R> {
  /** The `type` of its rows in the `sagas` table, and the name of its spans (`<type> saga`). */
  readonly type: string;
  /** The steps for one run (with the run's correlation: dependencies get the request id). */
  steps(context: SagaContext<I>): readonly AnySagaStep<I, R>[];
  /**
   * The owning service's own writes for an event, made in the transaction of the save (an order's total when
   * it is priced, its final status). Return undefined when the event changes nothing of the service's.
   */
  project?(
    context: SagaContext<I>,
    state: SagaState<R>,
    event: SagaEvent,
  ): ((q: Queryable) => Promise<void>) | undefined;
  /**
   * The input to keep from now on; return the same object when nothing changes. A secret only the first steps
   * need (a card token) is erased here once they are done.
   */
  retainInput?(input: I, state: SagaState<R>): I;
}

export interface SagaWorkerOptions<I, R> {
  definition: SagaDefinition<I, R>;
  store: SagaStore<I, R>;
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
  /** The saga reached COMPLETED or FAILED (`seconds` since it was created). */
  onFinished?(saga: SagaContext<I>, state: SagaState<R>, seconds: number): void;
  /** A step (or compensation) was deferred after a transient failure. */
  onRetry?(step: string, compensating: boolean): void;
  /** The recovery loop picked a saga up. */
  onResumed?(): void;
  /** Reads the backlog for the metric; default: the store's own query. */
  backlog?(): Promise<{ count: number; oldestAgeSeconds: number }>;
}

export type RunResult<R> = RunOutcome<R> | { kind: 'error'; error: unknown } | { kind: 'not-owned' };

export interface SagaWorker<I, R> {
  readonly workerId: string;
  /**
   * Runs a saga this worker holds the lease of. `fresh`: the saga a request has just created (saves reading it
   * back); without it the saga is loaded, and only if this worker holds its lease.
   */
  run(id: string, via?: 'request' | 'recovery', fresh?: LoadedSaga<I, R>): Promise<RunResult<R>>;
  /** The first state of a saga created with `store.create` and leased to this worker: pass to `run`. */
  fresh(saga: {
    id: string;
    tenantId: string;
    input: I;
    startedAt: Date;
    traceparent: string | null;
    requestId: string | null;
  }): LoadedSaga<I, R>;
  /** One recovery round; answers how many sagas it picked up. */
  recoverOnce(): Promise<number>;
  /**
   * Asks an unfinished saga to cancel, and runs it here at once if nobody holds it (a running one sees the
   * request at its next step). False when the saga had already finished.
   */
  cancel(id: string): Promise<boolean>;
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
      attributes: { 'glassbox.link': 'saga origin' },
    },
  ];
}

const meter = metrics.getMeter('glassbox.saga');
const backlogAge = meter.createObservableGauge('glassbox.saga.backlog.age', {
  description: 'Age of the oldest unfinished saga of a type (0 when none)',
  unit: 's',
});
const backlogSize = meter.createObservableGauge('glassbox.saga.backlog.size', {
  description: 'Unfinished sagas of a type',
  unit: '{saga}',
});

export function createSagaWorker<I, R>(options: SagaWorkerOptions<I, R>): SagaWorker<I, R> {
  const { definition, store, logger, leaseMs } = options;
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const batchSize = options.batchSize ?? 20;
  const maxInFlight = options.maxInFlight ?? 100;
  const backoffMs = exponentialBackoff(options.retryBaseMs, options.retryMaxMs);
  const tracer = trace.getTracer('glassbox.saga');
  const type = definition.type;
  const running = new Map<string, Promise<RunResult<R>>>();
  let stopping = false;
  let loop: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  let backlog = { count: 0, oldestAgeSeconds: 0 };
  const readBacklog = options.backlog ?? (() => store.backlog());
  const attrs = { 'glassbox.saga.type': type };
  backlogAge.addCallback((r) => r.observe(backlog.oldestAgeSeconds, attrs));
  backlogSize.addCallback((r) => r.observe(backlog.count, attrs));

  async function runOnce(
    id: string,
    via: 'request' | 'recovery',
    fresh?: LoadedSaga<I, R>,
  ): Promise<RunResult<R>> {
    const saga = fresh ?? (await store.load(id, workerId));
    if (!saga) return { kind: 'not-owned' };
    const context: SagaContext<I> = {
      id,
      tenantId: saga.tenantId,
      input: saga.input,
      requestId: saga.requestId,
    };
    const log = logger.child({
      saga_type: type,
      saga_id: id,
      tenant_id: saga.tenantId,
      saga_run: via,
      request_id: saga.requestId ?? undefined,
    });
    const links = via === 'recovery' ? linkTo(saga.traceparent) : [];
    return tracer.startActiveSpan(
      `${type} saga`,
      {
        kind: SpanKind.INTERNAL,
        links,
        attributes: {
          'glassbox.saga.type': type,
          'glassbox.saga.id': id,
          'glassbox.tenant.id': saga.tenantId,
          'glassbox.saga.run': via,
        },
      },
      async (span): Promise<RunResult<R>> => {
        let lost = false;
        const heartbeat = setInterval(
          () => {
            store.renewLease(id, workerId, leaseMs).then(
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
        let input = saga.input;
        const progress: ProgressStore<R> = {
          async save(state, event) {
            if (event.type === 'retry-scheduled') options.onRetry?.(event.step, event.compensating);
            const kept = definition.retainInput?.(input, state) ?? input;
            const project = definition.project?.({ ...context, input }, state, event);
            const saved = await store.save(id, workerId, state, event, {
              ...(kept !== input ? { input: kept } : {}),
              ...(project ? { project } : {}),
            });
            if (saved.held) input = kept;
            cancelRequested = saved.cancelRequested;
            return saved.held;
          },
          cancelRequested: () => cancelRequested,
        };
        try {
          if (via === 'recovery')
            log.info({ status: saga.state.status, position: saga.state.position }, 'resuming saga');
          const outcome = await runSaga(definition.steps(context), saga.input, saga.state, progress, {
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
          });
          span.setAttribute('glassbox.saga.outcome', outcome.kind);
          if (outcome.kind === 'completed' || outcome.kind === 'failed') {
            const seconds = (Date.now() - saga.startedAt.getTime()) / 1000;
            options.onFinished?.(context, outcome.state, seconds);
          } else if (outcome.kind === 'stopped' && !lost) {
            await store.releaseLease(id, workerId);
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

  function run(id: string, via: 'request' | 'recovery' = 'request', fresh?: LoadedSaga<I, R>) {
    const existing = running.get(id);
    if (existing) return existing;
    const promise = runOnce(id, via, fresh)
      .catch((error: unknown): RunResult<R> => ({ kind: 'error', error }))
      .finally(() => running.delete(id));
    running.set(id, promise);
    return promise;
  }

  async function recoverOnce(): Promise<number> {
    if (stopping) return 0;
    backlog = await readBacklog();
    const capacity = Math.min(batchSize, maxInFlight - running.size);
    if (capacity <= 0) return 0;
    const claimed = await store.claimDue(workerId, leaseMs, capacity);
    for (const { id } of claimed) {
      options.onResumed?.();
      void run(id, 'recovery');
    }
    return claimed.length;
  }

  function schedule(delayMs: number) {
    if (stopping) return;
    loop = setTimeout(() => {
      round = recoverOnce()
        .catch((error: unknown) => logger.warn({ err: error, saga_type: type }, 'saga recovery round failed'))
        .finally(() => schedule(options.recoveryIntervalMs));
    }, delayMs);
    loop.unref();
  }

  async function cancel(id: string): Promise<boolean> {
    if (!(await store.requestCancel(id))) return false;
    if (!stopping && !running.has(id) && (await store.claimOne(id, workerId, leaseMs))) {
      void run(id, 'recovery');
    }
    return true;
  }

  return {
    workerId,
    run,
    fresh: (saga) => ({ ...saga, state: initialState<R>(), cancelRequested: false }),
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

/**
 * The periodic-worker primitive: background work that runs in rounds (an outbox relay, an expiry sweeper, a
 * cleanup) without each service hand-writing its own `setInterval` loop and getting one of the details wrong.
 *
 * - interval with jitter: replicas started together do not hit the database in lock-step;
 * - backoff: consecutive failures stretch the wait exponentially (capped), a success resets it;
 * - single-flight: a round never overlaps the previous one; `runOnce()` and `wake()` queue behind it;
 * - `again`: a round that did a full batch asks for the next one at once instead of waiting the interval;
 * - stop: cancels the timer, aborts the round's signal and awaits it, bounded by `stopTimeoutMs`;
 * - telemetry: one INTERNAL span per round (a root: a round serves many requests, it belongs to none), marked
 *   `glassbox.worker.idle` when `idle` says the round found nothing to do (the kit's telemetry then exports
 *   nothing of it: telemetry/idle-rounds.ts), and three metrics per round, idle or not —
 *   `glassbox.worker.runs`, `glassbox.worker.failures` (with `error.type`) and
 *   `glassbox.worker.run.duration` (seconds), each with `glassbox.worker.name`.
 */
import {
  type Attributes,
  context,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { Logger } from '../logger.js';

/** The worker a round's span belongs to (set when the span starts). */
export const ATTR_WORKER_NAME = 'glassbox.worker.name';
/** Set (true) on the span of a round that found nothing to do: its trace is not exported. */
export const ATTR_WORKER_IDLE = 'glassbox.worker.idle';

export interface PeriodicWorkerOptions<T> {
  /** Names the span of each round and the `glassbox.worker.name` attribute: `inventory.reservations.expire`. */
  name: string;
  /** Wait between the end of one round and the start of the next (before jitter). */
  intervalMs: number;
  /** One round. The signal aborts when the worker stops; a round that throws counts as a failure. */
  run: (signal: AbortSignal) => Promise<T>;
  logger: Logger;
  /** Each wait is drawn uniformly from `delay × [1 − jitter, 1 + jitter]`. Default 0.1. */
  jitter?: number;
  /** After `n` consecutive failures the wait is `min(maxMs, baseMs × 2^(n−1))`. Defaults: the interval, 60 s. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** True when the result says there is more to do at once (a full batch): the next round starts without waiting. */
  again?: (result: T) => boolean;
  /**
   * True when a round's result says it found nothing to do (no row due, nothing sent): its span is marked
   * `glassbox.worker.idle` and its trace is not exported. A failed round is never idle.
   */
  idle?: (result: T) => boolean;
  /** Attributes for the round's span from its result (how many rows it handled …). */
  describe?: (result: T) => Attributes;
  /** How long `stop()` waits for a running round. Default 5 s. */
  stopTimeoutMs?: number;
  /** Source of randomness for the jitter (tests make it deterministic). */
  random?: () => number;
}

export interface PeriodicWorker<T> {
  readonly name: string;
  /** Starts the loop: the first round runs after one (jittered) interval, or at once with `immediately`. */
  start(options?: { immediately?: boolean }): void;
  /** Runs a round that starts after this call (behind a running one) and answers its result or its error. */
  runOnce(): Promise<T>;
  /** Asks for a round as soon as possible (behind a running one); several wakes make one round. */
  wake(): void;
  /** Stops the loop and awaits the running round, at most `stopTimeoutMs`. Safe to call twice. */
  stop(): Promise<void>;
  /** Consecutive failed rounds so far (0 after a success). */
  readonly failures: number;
}

/** The wait before the next round after `failures` consecutive failures, before jitter. */
export function nextDelayMs(intervalMs: number, failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return intervalMs;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

/** `delayMs` spread uniformly over ±`jitter` of itself; `random()` is in [0, 1). */
export function withJitter(delayMs: number, jitter: number, random: () => number): number {
  const spread = Math.max(0, Math.min(1, jitter));
  return Math.max(0, Math.round(delayMs * (1 - spread + 2 * spread * random())));
}

function workerInstruments() {
  // Made per worker, not at import: a meter taken before the SDK started would stay a no-op.
  const meter = metrics.getMeter('glassbox.worker');
  return {
    runs: meter.createCounter('glassbox.worker.runs', {
      description: 'Rounds run by periodic workers',
      unit: '{run}',
    }),
    failures: meter.createCounter('glassbox.worker.failures', {
      description: 'Rounds of periodic workers that failed',
      unit: '{run}',
    }),
    duration: meter.createHistogram('glassbox.worker.run.duration', {
      description: 'Duration of the rounds of periodic workers',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
  };
}

export function createPeriodicWorker<T>(options: PeriodicWorkerOptions<T>): PeriodicWorker<T> {
  const { name, logger } = options;
  const jitter = options.jitter ?? 0.1;
  const baseMs = options.backoff?.baseMs ?? options.intervalMs;
  const maxMs = Math.max(baseMs, options.backoff?.maxMs ?? 60_000);
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const random = options.random ?? Math.random;
  const tracer = trace.getTracer('glassbox.worker');
  const instruments = workerInstruments();
  const attributes = { [ATTR_WORKER_NAME]: name };

  let started = false;
  let stopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  const abort = new AbortController();
  // Callers of runOnce()/wake() waiting for a round that has not started yet: they all share the next one.
  let waiting: { resolve: (value: T) => void; reject: (error: unknown) => void }[] = [];
  let wanted = false;

  async function round(): Promise<{ result?: T; error?: unknown }> {
    const startedAt = performance.now();
    return context.with(ROOT_CONTEXT, () =>
      tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
        try {
          const result = await options.run(abort.signal);
          if (options.describe) span.setAttributes(options.describe(result));
          if (options.idle?.(result)) span.setAttribute(ATTR_WORKER_IDLE, true);
          instruments.runs.add(1, attributes);
          return { result };
        } catch (error) {
          const type = error instanceof Error ? error.name : typeof error;
          instruments.runs.add(1, attributes);
          instruments.failures.add(1, { ...attributes, [ATTR_ERROR_TYPE]: type });
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
          return { error };
        } finally {
          instruments.duration.record((performance.now() - startedAt) / 1000, attributes);
          span.end();
        }
      }),
    );
  }

  function schedule(delayMs: number): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (stopped || !started) return;
    timer = setTimeout(kick, delayMs);
    timer.unref();
  }

  function kick(): void {
    timer = undefined;
    if (current || stopped) {
      wanted = true;
      return;
    }
    wanted = false;
    const callers = waiting;
    waiting = [];
    current = (async () => {
      const { result, error } = await round();
      let again = false;
      if (error === undefined) {
        failures = 0;
        for (const c of callers) c.resolve(result as T);
        again = options.again?.(result as T) ?? false;
      } else {
        failures++;
        for (const c of callers) c.reject(error);
        if (callers.length === 0) {
          const delay = nextDelayMs(options.intervalMs, failures, baseMs, maxMs);
          logger.warn(
            { worker: name, failures, retry_in_ms: delay, err: error },
            `${name}: round failed; backing off`,
          );
        }
      }
      current = undefined;
      if (stopped) {
        for (const c of waiting) c.reject(new Error(`${name} stopped`));
        waiting = [];
        return;
      }
      if (wanted || waiting.length > 0 || (again && started)) {
        // Yield to the event loop first, so a busy worker never starves the requests it shares a process with.
        timer = setTimeout(kick, 0);
        timer.unref();
        wanted = false;
        return;
      }
      schedule(withJitter(nextDelayMs(options.intervalMs, failures, baseMs, maxMs), jitter, random));
    })();
  }

  return {
    name,
    get failures() {
      return failures;
    },
    start(startOptions = {}) {
      if (started || stopped) return;
      started = true;
      if (startOptions.immediately) kick();
      else schedule(withJitter(options.intervalMs, jitter, random));
    },
    runOnce() {
      if (stopped) return Promise.reject(new Error(`${name} stopped`));
      return new Promise<T>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!current) kick();
      });
    },
    wake() {
      if (stopped) return;
      if (current) wanted = true;
      else kick();
    },
    async stop() {
      if (stopped) {
        await current;
        return;
      }
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort(new Error(`${name} stopped`));
      for (const c of waiting) c.reject(new Error(`${name} stopped`));
      waiting = [];
      const running = current;
      if (!running) return;
      let bound: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        running.then(() => false),
        new Promise<boolean>((resolve) => {
          bound = setTimeout(() => resolve(true), stopTimeoutMs);
          bound.unref();
        }),
      ]);
      clearTimeout(bound);
      if (timedOut)
        logger.warn({ worker: name, timeout_ms: stopTimeoutMs }, `${name}: round still running at stop`);
    },
  };
}

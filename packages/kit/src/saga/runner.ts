/**
 * An orchestrated saga: a list of named steps, each with `invoke` and `compensate`. The runner moves through
 * the steps and persists its progress after every one through a store (a port: no SQL here), so a process that
 * dies mid-saga leaves a state another process resumes from. Steps must be idempotent: after a crash the step
 * that was running is invoked again.
 *
 * A step fails in one of two ways (StepError): transient (a dependency timed out or is down) — the saga stays
 * where it is and is retried later with backoff, a bounded number of times; definitive (out of stock, card
 * declined) — the saga compensates in reverse order, starting with the failed step itself because it may have
 * half-happened (a timed-out call may have succeeded). Compensations get what `invoke` returned (or undefined),
 * must be idempotent, and do nothing when there is nothing to undo. A compensation that keeps failing
 * transiently is retried too; one that fails definitively is logged and skipped, never blocking the rest.
 *
 * A saga can be cancelled on request until its pivot step (the point of no return) begins: the runner checks
 * before every forward step and, if asked, compensates the steps already done and ends with reason CANCELLED.
 */

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'FAILED';

export interface SagaFailure {
  step: string;
  /** A code for machines and dashboards: OUT_OF_STOCK, PAYMENT_DECLINED, … */
  reason: string;
  detail: string;
  data?: Record<string, unknown>;
}

export interface SagaState<R> {
  status: SagaStatus;
  /** RUNNING: index of the next step to invoke. COMPENSATING: index of the next step to compensate (down to 0). */
  position: number;
  /** What each completed step returned, by step name. */
  results: Partial<R>;
  failure: SagaFailure | null;
  /** Consecutive transient failures at the current position. */
  attempts: number;
}

export class StepError extends Error {
  constructor(
    readonly kind: 'transient' | 'definitive',
    readonly reason: string,
    detail: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(detail);
    this.name = 'StepError';
  }
}

export const transientError = (reason: string, detail: string, data?: Record<string, unknown>) =>
  new StepError('transient', reason, detail, data);
export const definitiveError = (reason: string, detail: string, data?: Record<string, unknown>) =>
  new StepError('definitive', reason, detail, data);

/** Anything that is not a StepError (a bug, a lost connection) is treated as transient. */
export function toStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return transientError('UNEXPECTED', message);
}

export interface SagaStep<I, R, K extends keyof R & string = keyof R & string> {
  readonly name: K;
  /** Once this step has started, the saga can no longer be cancelled (the point of no return). */
  readonly pivot?: boolean;
  invoke(input: I, results: Partial<R>): Promise<R[K]>;
  /** Undoes the step; `result` is undefined when invoke failed or never finished. Idempotent. */
  compensate(input: I, result: R[K] | undefined, results: Partial<R>): Promise<void>;
}

export type AnySagaStep<I, R> = { [K in keyof R & string]: SagaStep<I, R, K> }[keyof R & string];

export type SagaEvent =
  | { type: 'step-completed'; step: string }
  | { type: 'step-failed'; step: string; failure: SagaFailure }
  | { type: 'cancelled'; before: string; failure: SagaFailure }
  | { type: 'step-compensated'; step: string; abandoned?: string }
  | { type: 'retry-scheduled'; step: string; delayMs: number; error: string; compensating: boolean }
  | { type: 'completed' }
  | { type: 'failed'; failure: SagaFailure };

/** The failure reason of a saga stopped on request. */
export const CANCELLED = 'CANCELLED';

/** Persists a new state. Answers false when this runner no longer owns the saga (its lease was taken). */
export interface ProgressStore<R> {
  save(state: SagaState<R>, event: SagaEvent): Promise<boolean>;
  /** Whether a cancellation was requested, as last seen by the store (checked before every forward step). */
  cancelRequested?(): boolean;
}

export interface SagaLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RunOptions {
  /** Transient failures of a forward step before the saga gives up and compensates. */
  maxAttempts: number;
  /** Transient failures of a compensation before it is logged and skipped. */
  maxCompensationAttempts: number;
  /** Delay before the retry after the n-th consecutive transient failure (n ≥ 1). */
  backoffMs(attempt: number): number;
  /** Checked between steps: true stops the run (shutdown); the persisted state resumes later. */
  shouldStop?(): boolean;
  log: SagaLog;
  /** Wraps every invoke and compensate (a span per step). */
  around?<T>(step: string, phase: 'invoke' | 'compensate', fn: () => Promise<T>): Promise<T>;
}

export type RunOutcome<R> =
  | { kind: 'completed'; state: SagaState<R> }
  | { kind: 'failed'; state: SagaState<R> }
  | { kind: 'deferred'; state: SagaState<R>; delayMs: number }
  | { kind: 'lost'; state: SagaState<R> }
  | { kind: 'stopped'; state: SagaState<R> };

export function initialState<R>(): SagaState<R> {
  return { status: 'RUNNING', position: 0, results: {}, failure: null, attempts: 0 };
}

/** Backoff that doubles from `baseMs` up to `maxMs`. */
export function exponentialBackoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Runs (or resumes) a saga from `from` until it completes, fails, must wait, or loses its ownership. */
export async function runSaga<I, R>(
  steps: readonly AnySagaStep<I, R>[],
  input: I,
  from: SagaState<R>,
  store: ProgressStore<R>,
  options: RunOptions,
): Promise<RunOutcome<R>> {
  const state: SagaState<R> = structuredClone(from);
  const around = options.around ?? ((_step, _phase, fn) => fn());
  const save = (event: SagaEvent) => store.save(state, event);

  for (;;) {
    if (state.status === 'COMPLETED') return { kind: 'completed', state };
    if (state.status === 'FAILED') return { kind: 'failed', state };
    if (options.shouldStop?.()) return { kind: 'stopped', state };

    if (state.status === 'RUNNING') {
      if (state.position >= steps.length) {
        state.status = 'COMPLETED';
        if (!(await save({ type: 'completed' }))) return { kind: 'lost', state };
        continue;
      }
      const step = steps[state.position] as AnySagaStep<I, R>;
      if (store.cancelRequested?.() && !steps.slice(0, state.position).some((s) => s.pivot)) {
        // Cancelled before this step began: undo what the earlier steps did.
        const failure: SagaFailure = {
          step: step.name,
          reason: CANCELLED,
          detail: `cancelled on request before ${step.name}`,
        };
        options.log.info({ before: step.name }, 'saga cancelled on request; compensating');
        state.status = 'COMPENSATING';
        state.failure = failure;
        state.position -= 1;
        state.attempts = 0;
        if (!(await save({ type: 'cancelled', before: step.name, failure }))) return { kind: 'lost', state };
        continue;
      }
      let result: R[keyof R & string];
      try {
        result = await around(step.name, 'invoke', () => step.invoke(input, state.results));
      } catch (caught) {
        const error = toStepError(caught);
        if (error.kind === 'transient' && state.attempts + 1 < options.maxAttempts) {
          state.attempts += 1;
          const delayMs = options.backoffMs(state.attempts);
          options.log.warn(
            { step: step.name, attempt: state.attempts, delayMs, reason: error.reason, err: error.message },
            'saga step failed transiently; retrying later',
          );
          const event = {
            type: 'retry-scheduled',
            step: step.name,
            delayMs,
            error: error.message,
            compensating: false,
          } as const;
          if (!(await save(event))) return { kind: 'lost', state };
          return { kind: 'deferred', state, delayMs };
        }
        const failure: SagaFailure = {
          step: step.name,
          reason: error.kind === 'transient' ? 'DEPENDENCY_UNAVAILABLE' : error.reason,
          detail:
            error.kind === 'transient'
              ? `gave up after ${state.attempts + 1} attempts: ${error.message}`
              : error.message,
          ...(error.data ? { data: error.data } : {}),
        };
        options.log.warn(
          { step: step.name, reason: failure.reason, err: failure.detail },
          'saga step failed; compensating',
        );
        state.status = 'COMPENSATING';
        state.failure = failure;
        state.attempts = 0;
        // position stays on the failed step: it is compensated first.
        if (!(await save({ type: 'step-failed', step: step.name, failure }))) return { kind: 'lost', state };
        continue;
      }
      state.results = { ...state.results, [step.name]: result };
      state.position += 1;
      state.attempts = 0;
      if (state.position >= steps.length) {
        state.status = 'COMPLETED';
        if (!(await save({ type: 'completed' }))) return { kind: 'lost', state };
      } else if (!(await save({ type: 'step-completed', step: step.name }))) {
        return { kind: 'lost', state };
      }
      continue;
    }

    // COMPENSATING, from the current position down to the first step.
    if (state.position < 0) {
      state.status = 'FAILED';
      const failure = state.failure ?? { step: 'unknown', reason: 'FAILED', detail: 'the saga failed' };
      if (!(await save({ type: 'failed', failure }))) return { kind: 'lost', state };
      continue;
    }
    const step = steps[state.position] as AnySagaStep<I, R>;
    let abandoned: string | undefined;
    try {
      await around(step.name, 'compensate', () =>
        step.compensate(input, state.results[step.name as keyof R] as never, state.results),
      );
    } catch (caught) {
      const error = toStepError(caught);
      if (error.kind === 'transient' && state.attempts + 1 < options.maxCompensationAttempts) {
        state.attempts += 1;
        const delayMs = options.backoffMs(state.attempts);
        options.log.warn(
          { step: step.name, attempt: state.attempts, delayMs, err: error.message },
          'compensation failed transiently; retrying later',
        );
        const event = {
          type: 'retry-scheduled',
          step: step.name,
          delayMs,
          error: error.message,
          compensating: true,
        } as const;
        if (!(await save(event))) return { kind: 'lost', state };
        return { kind: 'deferred', state, delayMs };
      }
      abandoned = error.message;
      options.log.error(
        { step: step.name, reason: error.reason, err: error.message },
        'compensation failed for good; skipped (needs reconciliation)',
      );
    }
    state.position -= 1;
    state.attempts = 0;
    if (!(await save({ type: 'step-compensated', step: step.name, ...(abandoned ? { abandoned } : {}) }))) {
      return { kind: 'lost', state };
    }
  }
}

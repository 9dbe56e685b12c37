import { describe, expect, it } from 'vitest';
import {
  type AnySagaStep,
  definitiveError,
  exponentialBackoff,
  initialState,
  type ProgressStore,
  type RunOptions,
  runSaga,
  type SagaEvent,
  type SagaState,
  transientError,
} from './runner.js';

interface Results {
  a: { id: string };
  b: { id: string };
  c: { id: string };
}
type Step = AnySagaStep<string, Results>;

/** A store that keeps what a database would: a JSON copy of the last state, and the events in order. */
class MemoryStore implements ProgressStore<Results> {
  saved: SagaState<Results> = initialState();
  events: SagaEvent[] = [];
  /** Makes the n-th save (1-based) throw, as a process dying between a step and its save would. */
  crashOnSave?: number;
  /** From this save on, answer false (another worker took the lease). */
  loseOnSave?: number;
  /** A cancellation request, as the store would read it back with each save. */
  cancel = false;
  cancelRequested(): boolean {
    return this.cancel;
  }
  async save(state: SagaState<Results>, event: SagaEvent): Promise<boolean> {
    const n = this.events.length + 1;
    if (n === this.crashOnSave) throw new Error('process died');
    if (this.loseOnSave !== undefined && n >= this.loseOnSave) return false;
    this.saved = JSON.parse(JSON.stringify(state));
    this.events.push(event);
    return true;
  }
}

const quiet = { info() {}, warn() {}, error() {} };
const options = (over: Partial<RunOptions> = {}): RunOptions => ({
  maxAttempts: 3,
  maxCompensationAttempts: 3,
  backoffMs: exponentialBackoff(100, 1000),
  log: quiet,
  ...over,
});

/** Steps that record every call; `fail` scripts failures per call. */
function makeSteps(fail: Partial<Record<string, (call: number) => Error | undefined>> = {}) {
  const calls: string[] = [];
  const counts: Record<string, number> = {};
  const step = (name: keyof Results): Step => ({
    name,
    async invoke(input) {
      counts[name] = (counts[name] ?? 0) + 1;
      calls.push(`invoke ${name}`);
      const error = fail[name]?.(counts[name]);
      if (error) throw error;
      return { id: `${input}-${name}` };
    },
    async compensate(_input, result) {
      const key = `undo ${name}`;
      counts[key] = (counts[key] ?? 0) + 1;
      calls.push(`${key} ${result ? result.id : '(no result)'}`);
      const error = fail[key]?.(counts[key]);
      if (error) throw error;
    },
  });
  return { steps: [step('a'), step('b'), step('c')], calls, counts };
}

describe('runSaga', () => {
  it('invokes the steps in order, saving after each, and completes', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('completed');
    expect(calls).toEqual(['invoke a', 'invoke b', 'invoke c']);
    expect(store.events.map((e) => e.type)).toEqual(['step-completed', 'step-completed', 'completed']);
    expect(store.saved).toMatchObject({
      status: 'COMPLETED',
      position: 3,
      results: { a: { id: 'o1-a' }, b: { id: 'o1-b' }, c: { id: 'o1-c' } },
    });
  });

  it('compensates in reverse order on a definitive failure, starting with the failed step', async () => {
    const { steps, calls } = makeSteps({
      c: () => definitiveError('OUT_OF_STOCK', 'none left', { productId: 'p' }),
    });
    const store = new MemoryStore();
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('failed');
    expect(calls).toEqual([
      'invoke a',
      'invoke b',
      'invoke c',
      'undo c (no result)',
      'undo b o1-b',
      'undo a o1-a',
    ]);
    expect(store.saved.status).toBe('FAILED');
    expect(store.saved.failure).toEqual({
      step: 'c',
      reason: 'OUT_OF_STOCK',
      detail: 'none left',
      data: { productId: 'p' },
    });
    expect(store.events.map((e) => e.type)).toEqual([
      'step-completed',
      'step-completed',
      'step-failed',
      'step-compensated',
      'step-compensated',
      'step-compensated',
      'failed',
    ]);
  });

  it('defers a transient failure with backoff and resumes at the same step', async () => {
    const { steps, calls } = makeSteps({
      b: (n) => (n === 1 ? transientError('UPSTREAM_TIMEOUT', 'slow') : undefined),
    });
    const store = new MemoryStore();
    const first = await runSaga(steps, 'o1', initialState(), store, options());
    expect(first).toMatchObject({ kind: 'deferred', delayMs: 100 });
    expect(store.saved).toMatchObject({ status: 'RUNNING', position: 1, attempts: 1 });
    const second = await runSaga(steps, 'o1', store.saved, store, options());
    expect(second.kind).toBe('completed');
    expect(calls).toEqual(['invoke a', 'invoke b', 'invoke b', 'invoke c']);
    expect(store.saved.attempts).toBe(0);
  });

  it('gives up after maxAttempts transient failures and compensates as DEPENDENCY_UNAVAILABLE', async () => {
    const { steps, calls } = makeSteps({ b: () => transientError('UPSTREAM_UNAVAILABLE', 'down') });
    const store = new MemoryStore();
    const delays: number[] = [];
    let outcome = await runSaga(steps, 'o1', initialState(), store, options());
    while (outcome.kind === 'deferred') {
      delays.push(outcome.delayMs);
      outcome = await runSaga(steps, 'o1', store.saved, store, options());
    }
    expect(outcome.kind).toBe('failed');
    expect(delays).toEqual([100, 200]);
    expect(calls.filter((c) => c === 'invoke b')).toHaveLength(3);
    expect(store.saved.failure).toMatchObject({ step: 'b', reason: 'DEPENDENCY_UNAVAILABLE' });
    expect(calls.slice(-2)).toEqual(['undo b (no result)', 'undo a o1-a']);
  });

  it('treats an unexpected error as transient', async () => {
    const { steps } = makeSteps({ a: (n) => (n === 1 ? new TypeError('bug') : undefined) });
    const outcome = await runSaga(steps, 'o1', initialState(), new MemoryStore(), options());
    expect(outcome.kind).toBe('deferred');
  });

  it('resumes from a persisted state without repeating completed steps', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    const persisted: SagaState<Results> = {
      status: 'RUNNING',
      position: 2,
      results: { a: { id: 'o1-a' }, b: { id: 'o1-b' } },
      failure: null,
      attempts: 0,
    };
    const outcome = await runSaga(steps, 'o1', persisted, store, options());
    expect(outcome.kind).toBe('completed');
    expect(calls).toEqual(['invoke c']);
  });

  it('after a crash between a step and its save, resuming invokes that step again (steps are idempotent)', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    store.crashOnSave = 2; // b ran, its save never happened
    await expect(runSaga(steps, 'o1', initialState(), store, options())).rejects.toThrow('process died');
    expect(store.saved).toMatchObject({ status: 'RUNNING', position: 1 });
    store.crashOnSave = undefined;
    const outcome = await runSaga(steps, 'o1', store.saved, store, options());
    expect(outcome.kind).toBe('completed');
    expect(calls).toEqual(['invoke a', 'invoke b', 'invoke b', 'invoke c']);
  });

  it('resumes a saga cut off while compensating, from the step it was undoing', async () => {
    const { steps, calls } = makeSteps();
    const persisted: SagaState<Results> = {
      status: 'COMPENSATING',
      position: 1,
      results: { a: { id: 'o1-a' }, b: { id: 'o1-b' } },
      failure: { step: 'c', reason: 'PAYMENT_DECLINED', detail: 'declined' },
      attempts: 0,
    };
    const store = new MemoryStore();
    const outcome = await runSaga(steps, 'o1', persisted, store, options());
    expect(outcome.kind).toBe('failed');
    expect(calls).toEqual(['undo b o1-b', 'undo a o1-a']);
    expect(store.saved.failure?.reason).toBe('PAYMENT_DECLINED');
  });

  it('retries a transiently failing compensation later, then carries on', async () => {
    const { steps, calls } = makeSteps({
      c: () => definitiveError('PAYMENT_DECLINED', 'declined'),
      'undo b': (n) => (n === 1 ? transientError('UPSTREAM_UNAVAILABLE', 'inventory down') : undefined),
    });
    const store = new MemoryStore();
    const first = await runSaga(steps, 'o1', initialState(), store, options());
    expect(first.kind).toBe('deferred');
    expect(store.saved).toMatchObject({ status: 'COMPENSATING', position: 1, attempts: 1 });
    const second = await runSaga(steps, 'o1', store.saved, store, options());
    expect(second.kind).toBe('failed');
    expect(calls.filter((c) => c.startsWith('undo b'))).toHaveLength(2);
    expect(calls.at(-1)).toBe('undo a o1-a');
  });

  it('skips a compensation that fails for good and still undoes the earlier steps', async () => {
    const { steps, calls } = makeSteps({
      c: () => definitiveError('PAYMENT_DECLINED', 'declined'),
      'undo b': () => definitiveError('ILLEGAL_TRANSITION', 'cannot'),
    });
    const store = new MemoryStore();
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('failed');
    expect(calls.at(-1)).toBe('undo a o1-a');
    expect(store.events).toContainEqual({ type: 'step-compensated', step: 'b', abandoned: 'cannot' });
  });

  it('stops at once when its ownership is lost', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    store.loseOnSave = 2;
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('lost');
    expect(calls).toEqual(['invoke a', 'invoke b']);
  });

  it('stops between steps when asked (shutdown), leaving a resumable state', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    let stop = false;
    const outcome = await runSaga(
      steps.map((s) =>
        s.name === 'a'
          ? {
              ...s,
              invoke: async (i: string) => {
                stop = true;
                return { id: `${i}-a` };
              },
            }
          : s,
      ) as Step[],
      'o1',
      initialState(),
      store,
      options({ shouldStop: () => stop }),
    );
    expect(outcome.kind).toBe('stopped');
    expect(store.saved).toMatchObject({ status: 'RUNNING', position: 1 });
    expect(calls).toEqual([]);
  });

  it('does nothing with a finished saga', async () => {
    const { steps, calls } = makeSteps();
    const done: SagaState<Results> = { ...initialState<Results>(), status: 'COMPLETED', position: 3 };
    expect((await runSaga(steps, 'o1', done, new MemoryStore(), options())).kind).toBe('completed');
    expect(calls).toEqual([]);
  });

  it('wraps every invoke and compensate (tracing hook)', async () => {
    const { steps } = makeSteps({ b: () => definitiveError('X', 'x') });
    const seen: string[] = [];
    await runSaga(
      steps,
      'o1',
      initialState(),
      new MemoryStore(),
      options({
        around: (step, phase, fn) => {
          seen.push(`${phase} ${step}`);
          return fn();
        },
      }),
    );
    expect(seen).toEqual(['invoke a', 'invoke b', 'compensate b', 'compensate a']);
  });
});

describe('cancellation', () => {
  it('cancelled before anything ran: ends at once, nothing invoked or undone', async () => {
    const { steps, calls } = makeSteps();
    const store = new MemoryStore();
    store.cancel = true;
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('failed');
    expect(calls).toEqual([]);
    expect(store.saved.failure).toMatchObject({ reason: 'CANCELLED', step: 'a' });
    expect(store.events.map((e) => e.type)).toEqual(['cancelled', 'failed']);
  });

  it('cancelled while a step runs: finishes that step, then undoes it and the earlier ones', async () => {
    const store = new MemoryStore();
    const { steps, calls } = makeSteps({
      b: () => {
        store.cancel = true; // the request arrives while b is in flight
        return undefined;
      },
    });
    const outcome = await runSaga(steps, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('failed');
    expect(calls).toEqual(['invoke a', 'invoke b', 'undo b o1-b', 'undo a o1-a']);
    expect(store.saved.failure).toMatchObject({ reason: 'CANCELLED', step: 'c' });
  });

  it('is too late once the pivot step has started', async () => {
    const store = new MemoryStore();
    const { steps, calls } = makeSteps({
      b: () => {
        store.cancel = true;
        return undefined;
      },
    });
    const withPivot = steps.map((s) => (s.name === 'b' ? { ...s, pivot: true } : s)) as Step[];
    const outcome = await runSaga(withPivot, 'o1', initialState(), store, options());
    expect(outcome.kind).toBe('completed');
    expect(calls).toEqual(['invoke a', 'invoke b', 'invoke c']);
  });

  it('is still possible right before the pivot begins', async () => {
    const store = new MemoryStore();
    const { steps, calls } = makeSteps({
      a: () => {
        store.cancel = true;
        return undefined;
      },
    });
    const withPivot = steps.map((s) => (s.name === 'b' ? { ...s, pivot: true } : s)) as Step[];
    expect((await runSaga(withPivot, 'o1', initialState(), store, options())).kind).toBe('failed');
    expect(calls).toEqual(['invoke a', 'undo a o1-a']);
  });
});

describe('exponentialBackoff', () => {
  it('doubles up to the cap', () => {
    const backoff = exponentialBackoff(1000, 30_000);
    expect([1, 2, 3, 4, 5, 6, 7].map(backoff)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
});

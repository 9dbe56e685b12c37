import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../logger.js';
import { type CapturedTelemetry, captureTelemetry } from '../testing/telemetry.js';
import {
  createPeriodicWorker,
  nextDelayMs,
  type PeriodicWorkerOptions,
  withJitter,
} from './periodic-worker.js';

const logger = createLogger('worker-test', 'silent');
let telemetry: CapturedTelemetry;

beforeAll(() => {
  telemetry = captureTelemetry();
});
afterAll(async () => {
  await telemetry.shutdown();
});
beforeEach(() => {
  vi.useFakeTimers();
  telemetry.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A round whose end the test decides. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

function worker<T>(options: Partial<PeriodicWorkerOptions<T>> & Pick<PeriodicWorkerOptions<T>, 'run'>) {
  return createPeriodicWorker<T>({
    name: `test.${Math.random().toString(36).slice(2)}`,
    intervalMs: 1_000,
    logger,
    random: () => 0.5,
    ...options,
  });
}

describe('delays', () => {
  it('backs off exponentially from the base, capped, and returns to the interval after a success', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => nextDelayMs(1_000, n, 500, 3_000))).toEqual([
      1_000, 500, 1_000, 2_000, 3_000, 3_000,
    ]);
  });

  it('spreads a delay over ±jitter', () => {
    expect(withJitter(1_000, 0.2, () => 0)).toBe(800);
    expect(withJitter(1_000, 0.2, () => 0.5)).toBe(1_000);
    expect(withJitter(1_000, 0.2, () => 0.999_999)).toBe(1_200);
    expect(withJitter(1_000, 0, () => 0.9)).toBe(1_000);
  });
});

describe('periodic worker', () => {
  it('runs a round every interval, with the jitter drawn each time', async () => {
    const starts: number[] = [];
    const draws = [0, 1 - 1e-9, 0.5];
    const w = worker({
      intervalMs: 1_000,
      jitter: 0.1,
      random: () => draws.shift() ?? 0.5,
      run: async () => {
        starts.push(Date.now());
      },
    });
    const t0 = Date.now();
    w.start();
    await vi.advanceTimersByTimeAsync(900);
    expect(starts.map((t) => t - t0)).toEqual([900]);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(starts.map((t) => t - t0)).toEqual([900, 2_000]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(starts.map((t) => t - t0)).toEqual([900, 2_000, 3_000]);
    await w.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toHaveLength(3);
  });

  it('backs off while rounds fail and goes back to the interval after a success', async () => {
    const starts: number[] = [];
    let failing = 3;
    const w = worker({
      intervalMs: 1_000,
      jitter: 0,
      backoff: { baseMs: 2_000, maxMs: 5_000 },
      run: async () => {
        starts.push(Date.now());
        if (failing-- > 0) throw new Error('database down');
      },
    });
    const t0 = Date.now();
    w.start({ immediately: true });
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = starts.map((t, i) => t - (i === 0 ? t0 : (starts[i - 1] ?? t0)));
    // fail, fail, fail, ok, ok …: waits 2 s, 4 s, 5 s (capped), then the interval again.
    expect(gaps.slice(0, 6)).toEqual([0, 2_000, 4_000, 5_000, 1_000, 1_000]);
    expect(w.failures).toBe(0);
    await w.stop();
  });

  it('never overlaps rounds: runOnce and wake during a round queue one round behind it', async () => {
    let active = 0;
    let maxActive = 0;
    let rounds = 0;
    const gates = [gate(), gate()];
    const w = worker({
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        const n = rounds++;
        await gates[n]?.opened;
        active--;
        return n;
      },
    });
    const first = w.runOnce();
    // The loop's timer comes due while round 0 is still running: it must wait for it too.
    w.start();
    const second = w.runOnce();
    const third = w.runOnce();
    w.wake();
    w.wake();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(rounds).toBe(1);
    gates[0]?.open();
    expect(await first).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    // The calls made during round 0 share round 1, which started after round 0 ended.
    expect(rounds).toBe(2);
    expect(maxActive).toBe(1);
    gates[1]?.open();
    expect(await second).toBe(1);
    expect(await third).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(rounds).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(rounds).toBe(3);
    expect(maxActive).toBe(1);
    await w.stop();
  });

  it('runs again at once while a round says there is more, without waiting the interval', async () => {
    let left = 5;
    const starts: number[] = [];
    const w = worker({
      intervalMs: 60_000,
      run: async () => {
        starts.push(Date.now());
        left = Math.max(0, left - 2);
        return left;
      },
      again: (remaining) => remaining > 0,
    });
    const t0 = Date.now();
    w.start({ immediately: true });
    await vi.advanceTimersByTimeAsync(100);
    expect(starts).toHaveLength(3);
    expect(starts.every((t) => t - t0 < 10)).toBe(true);
    await w.stop();
  });

  it('stop aborts the round, waits for it, and starts nothing after', async () => {
    let aborted = false;
    let finished = false;
    let rounds = 0;
    const w = worker({
      run: async (signal) => {
        rounds++;
        await new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            setTimeout(resolve, 50);
          });
        });
        finished = true;
      },
    });
    w.start({ immediately: true });
    await vi.advanceTimersByTimeAsync(10);
    const stopping = w.stop();
    expect(aborted).toBe(true);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rounds).toBe(1);
    await expect(w.runOnce()).rejects.toThrow(/stopped/);
  });

  it('stop is bounded: a round that ignores the signal does not hold shutdown past stopTimeoutMs', async () => {
    const w = worker({ stopTimeoutMs: 2_000, run: () => new Promise<void>(() => {}) });
    w.start({ immediately: true });
    let done = false;
    const stopping = w.stop().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(done).toBe(true);
  });

  it('records a root span and the runs, failures and duration metrics for every round', async () => {
    let fail = false;
    const w = worker({
      name: 'test.metrics',
      run: async () => {
        if (fail) throw new TypeError('boom');
        return 3;
      },
      describe: (n) => ({ 'glassbox.test.handled': n }),
    });
    await w.runOnce();
    fail = true;
    await expect(w.runOnce()).rejects.toThrow('boom');
    const spans = telemetry.spans().filter((s) => s.name === 'test.metrics');
    expect(spans).toHaveLength(2);
    expect(spans[0]?.attributes).toMatchObject({
      'glassbox.worker.name': 'test.metrics',
      'glassbox.test.handled': 3,
    });
    expect(spans[0]?.parentSpanContext).toBeUndefined();
    expect(spans[1]?.status.code).toBe(SpanStatusCode.ERROR);
    const name = { 'glassbox.worker.name': 'test.metrics' };
    expect(await telemetry.sum('glassbox.worker.runs', name)).toBe(2);
    expect(await telemetry.sum('glassbox.worker.failures', { ...name, 'error.type': 'TypeError' })).toBe(1);
    const duration = (await telemetry.points('glassbox.worker.run.duration')).find(
      (p) => p.attributes['glassbox.worker.name'] === 'test.metrics',
    );
    expect(duration?.value).toMatchObject({ count: 2 });
    await w.stop();
  });
});

describe('idle rounds', () => {
  it('marks the span of a round that found nothing to do, and of no other round', async () => {
    let result = 0;
    let fail = false;
    const w = worker<number>({
      name: 'test.idle',
      run: async () => {
        if (fail) throw new Error('boom');
        return result;
      },
      idle: (n) => n === 0,
    });
    await w.runOnce();
    result = 2;
    await w.runOnce();
    fail = true;
    await expect(w.runOnce()).rejects.toThrow('boom');
    const spans = telemetry.spans().filter((s) => s.name === 'test.idle');
    expect(spans.map((s) => s.attributes['glassbox.worker.idle'])).toEqual([true, undefined, undefined]);
    // Idle or not, every round counts.
    expect(await telemetry.sum('glassbox.worker.runs', { 'glassbox.worker.name': 'test.idle' })).toBe(3);
    await w.stop();
  });
});

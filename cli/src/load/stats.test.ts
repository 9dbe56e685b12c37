import { describe, expect, it } from 'vitest';
import type { LoadReport } from './generator.js';
import { formatReport } from './report.js';
import { quantile, rng, SlidingWindow, StepStats } from './stats.js';

describe('load statistics', () => {
  it('nearest-rank quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.95)).toBe(95);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('counts outcomes per step', () => {
    const s = new StepStats('view');
    for (let i = 1; i <= 10; i++) s.record(i * 10, i % 5 === 0 ? 503 : 200);
    s.record(1000, 'timeout');
    s.record(5, 404);
    const sum = s.summary();
    expect(sum).toMatchObject({ step: 'view', count: 12, ok: 8, errors: { '404': 1, '503': 2, timeout: 1 } });
    expect(sum.p50Ms).toBe(50);
    expect(sum.p99Ms).toBe(1000);
    expect(sum.maxMs).toBe(1000);
    expect(new StepStats('x').summary()).toMatchObject({ count: 0, p50Ms: null, meanMs: null });
  });

  it('a sliding window forgets old samples', () => {
    const w = new SlidingWindow(1000);
    w.add(1, 0);
    w.add(2, 500);
    w.add(3, 1200);
    expect(w.values(1300)).toEqual([2, 3]);
    expect(w.rate(1300)).toBe(2);
  });

  it('the PRNG is deterministic per seed and uniform enough', () => {
    const a = rng(42);
    const b = rng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(rng(1)()).not.toBe(rng(2)());
  });

  it('formats a summary table', () => {
    const report: LoadReport = {
      gateway: 'http://gw',
      tenant: 'demo',
      startedAt: new Date(0).toISOString(),
      elapsedMs: 2000,
      config: {
        rate: 5,
        durationMs: 2000,
        concurrency: 10,
        arrivals: 'uniform',
        seed: 1,
        tokens: [],
        maxJourneys: null,
      },
      users: { registered: 2, loggedIn: 2, demoFallback: false },
      journeys: { started: 10, completed: 10, ok: 9, failed: 1, aborted: 0, dropped: 0, achievedRate: 5 },
      steps: [
        {
          step: 'view',
          count: 10,
          ok: 9,
          errors: { '503': 1 },
          p50Ms: 1.5,
          p95Ms: 3,
          p99Ms: 250,
          meanMs: 2,
          maxMs: 250,
        },
      ],
      orders: { placed: 9, byStatus: { CONFIRMED: 8, FAILED: 1 }, byToken: { tok_ok: { CONFIRMED: 8 } } },
      checkoutRetries: { retried: 2, recovered: 2, attempts: 3, byReason: { OUTCOME_UNKNOWN: 3 } },
      failures: [{ step: 'view', outcome: '503', traceId: 'a'.repeat(32), detail: 'injected' }],
    };
    const text = formatReport(report);
    expect(text).toMatch(/view\s+10\s+9\s+503×1\s+1\.5\s+3\.0\s+250\s+250/);
    expect(text).toContain('orders: 9 placed → CONFIRMED 8, FAILED 1');
    expect(text).toContain(
      'checkout retries: 2 checkouts sent again with their Idempotency-Key (3 requests: OUTCOME_UNKNOWN×3), 2 got their order',
    );
    expect(text).toContain(`trace ${'a'.repeat(32)}`);
  });
});

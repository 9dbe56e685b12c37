import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, nextAttempt } from './backoff.js';

describe('restart backoff', () => {
  it('starts at 0.5 s and doubles up to 30 s', () => {
    const delays = Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('treats nonsense attempts as the first', () => {
    expect(backoffDelay(0)).toBe(500);
    expect(backoffDelay(-3)).toBe(500);
    expect(backoffDelay(Number.NaN)).toBe(500);
  });

  it('follows a custom policy', () => {
    const policy = { initialMs: 100, factor: 3, maxMs: 1000, resetAfterMs: 5000 };
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, policy))).toEqual([100, 300, 900, 1000]);
  });

  it('counts consecutive crashes and forgives after 60 s of uptime', () => {
    expect(DEFAULT_BACKOFF.resetAfterMs).toBe(60_000);
    let attempt = 0;
    attempt = nextAttempt(attempt, 2_000);
    expect(attempt).toBe(1);
    attempt = nextAttempt(attempt, 100);
    attempt = nextAttempt(attempt, 100);
    expect(attempt).toBe(3);
    expect(backoffDelay(attempt)).toBe(2000);
    attempt = nextAttempt(attempt, 60_000);
    expect(attempt).toBe(1);
    expect(backoffDelay(attempt)).toBe(500);
  });
});

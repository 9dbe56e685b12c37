import { describe, expect, it } from 'vitest';
import { retryAfterMs } from './delivery.js';

describe('delivery retries', () => {
  const policy = { maxAttempts: 4, baseMs: 1_000, maxMs: 3_000 };
  it('doubles the wait after each failed attempt, capped, and gives up after the last', () => {
    expect([1, 2, 3].map((a) => retryAfterMs(policy, a))).toEqual([1_000, 2_000, 3_000]);
    expect(retryAfterMs(policy, 4)).toBeNull();
    expect(retryAfterMs({ ...policy, maxAttempts: 1 }, 1)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { MIN_SCALED_VERIFY_MS, parseDuration, scaledWithinMs } from './durations.js';

describe('verification times under the demo time scale', () => {
  it('real time keeps the runbook’s time', () => {
    expect(scaledWithinMs(120_000, 1)).toBe(120_000);
  });

  it('a scale divides it, never below the floor and never above the runbook’s time', () => {
    expect(scaledWithinMs(parseDuration('1h') ?? 0, 60)).toBe(60_000);
    expect(scaledWithinMs(120_000, 60)).toBe(MIN_SCALED_VERIFY_MS);
    expect(scaledWithinMs(10_000, 60)).toBe(10_000);
  });
});

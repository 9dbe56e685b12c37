import { describe, expect, it } from 'vitest';
import {
  chooseStepMs,
  defaultRange,
  nanoDiffMs,
  parseRange,
  parseRefresh,
  rangeParams,
  resolveWindow,
  windowAround,
} from './time.js';

const q = (s: string) => new URLSearchParams(s);

describe('time range in the URL', () => {
  it('reads relative ranges and defaults to the last hour', () => {
    expect(parseRange(q('range=15m'))).toEqual({ kind: 'relative', key: '15m', durationMs: 900_000 });
    expect(parseRange(q('range=24h'))).toMatchObject({ key: '24h', durationMs: 86_400_000 });
    expect(parseRange(q(''))).toEqual(defaultRange);
    expect(parseRange(q('range=7y'))).toEqual(defaultRange);
    expect(parseRange(q('range=toString'))).toEqual(defaultRange);
  });

  it('prefers a valid fixed window over a relative range', () => {
    expect(parseRange(q('range=1h&from=1000&to=5000'))).toEqual({
      kind: 'absolute',
      startMs: 1000,
      endMs: 5000,
    });
    expect(parseRange(q('from=5000&to=1000'))).toEqual(defaultRange);
    expect(parseRange(q('from=abc&to=1000'))).toEqual(defaultRange);
  });

  it('round-trips through URL parameters', () => {
    for (const range of [parseRange(q('range=6h')), parseRange(q('from=100&to=900'))]) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(rangeParams(range))) if (v !== undefined) params.set(k, v);
      expect(parseRange(params)).toEqual(range);
    }
  });

  it('reads the refresh interval', () => {
    expect(parseRefresh(q('refresh=10s'))).toBe('10s');
    expect(parseRefresh(q('refresh=off'))).toBe('off');
    // Unset or unknown: a window ending now refreshes every 10 s (a console opened before the first spans
    // arrive fills in by itself); a fixed window does not move.
    expect(parseRefresh(q('refresh=3s'))).toBe('10s');
    expect(parseRefresh(q(''))).toBe('10s');
    expect(parseRefresh(q('range=6h'))).toBe('10s');
    expect(parseRefresh(q('from=1&to=2'))).toBe('off');
  });

  it('resolves a window against now', () => {
    expect(resolveWindow(parseRange(q('range=15m')), 1_000_000)).toEqual({
      startMs: 100_000,
      endMs: 1_000_000,
    });
    expect(resolveWindow(parseRange(q('from=1&to=2')), 99)).toEqual({ startMs: 1, endMs: 2 });
  });
});

describe('steps and windows', () => {
  it('chooses a round step with at most the wanted number of points', () => {
    expect(chooseStepMs({ startMs: 0, endMs: 15 * 60_000 }, 60)).toBe(15_000);
    expect(chooseStepMs({ startMs: 0, endMs: 3_600_000 }, 60)).toBe(60_000);
    expect(chooseStepMs({ startMs: 0, endMs: 6 * 3_600_000 }, 60)).toBe(600_000);
    expect(chooseStepMs({ startMs: 0, endMs: 86_400_000 }, 60)).toBe(1_800_000);
    expect(chooseStepMs({ startMs: 0, endMs: 0 }, 60)).toBe(1_000);
  });

  it('builds a window around a moment', () => {
    expect(windowAround(10_000, 2_500)).toEqual({ startMs: 7_500, endMs: 12_500 });
  });

  it('subtracts unix nanoseconds exactly', () => {
    expect(nanoDiffMs('1767225600123456789', '1767225600000000000')).toBeCloseTo(123.456789, 9);
  });
});

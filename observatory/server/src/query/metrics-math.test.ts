import { describe, expect, it } from 'vitest';
import { LatencyTracker } from './latency.js';
import {
  bucketIndex,
  bucketQuantile,
  evaluate,
  type MetricPoint,
  seriesDeltas,
  stepWindow,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
} from './metrics-math.js';
import { parseAttrs, parseSeverity, resolveRange, resolveStep } from './params.js';

const S = 1_000_000_000n;
const T = 1_000_000n * S; // an arbitrary epoch second, in ns

function point(p: Partial<MetricPoint> & { at: number; value?: number | null }): MetricPoint {
  return {
    seriesKey: p.seriesKey ?? 's1',
    labels: p.labels ?? {},
    startNs: p.startNs ?? T - 1000n * S,
    timeNs: T + BigInt(p.at) * S,
    temporality: p.temporality ?? TEMPORALITY_CUMULATIVE,
    monotonic: p.monotonic ?? true,
    value: p.value ?? null,
    count: p.count ?? null,
    sum: p.sum ?? null,
    bounds: p.bounds ?? null,
    bucketCounts: p.bucketCounts ?? null,
  };
}

describe('seriesDeltas', () => {
  const fetchStart = T - 300n * S;
  const d = (points: MetricPoint[]) => seriesDeltas(points, fetchStart, false).map((x) => x.vector[0]);

  it('differences consecutive cumulative points; the first is only a baseline', () => {
    expect(d([point({ at: 0, value: 5 }), point({ at: 10, value: 8 }), point({ at: 20, value: 8 })])).toEqual(
      [3, 0],
    );
  });

  it('treats a decrease of a monotonic counter as a reset (same start time)', () => {
    expect(
      d([
        point({ at: 0, value: 50 }),
        point({ at: 10, value: 70 }),
        point({ at: 20, value: 4 }),
        point({ at: 30, value: 9 }),
      ]),
    ).toEqual([20, 4, 5]);
  });

  it('treats a new start time as a reset even if the value grew', () => {
    const restart = T + 15n * S;
    expect(
      d([
        point({ at: 0, value: 5 }),
        point({ at: 20, value: 9, startNs: restart }),
        point({ at: 30, value: 12, startNs: restart }),
      ]),
    ).toEqual([9, 3]);
  });

  it('lets a non-monotonic cumulative sum go down', () => {
    expect(
      d([point({ at: 0, value: 5, monotonic: false }), point({ at: 10, value: 2, monotonic: false })]),
    ).toEqual([-3]);
  });

  it('counts the first point in full when the series started inside the read window', () => {
    expect(d([point({ at: 10, value: 7, startNs: T })])).toEqual([7]);
    expect(d([point({ at: 10, value: 7, startNs: 0n })])).toEqual([]);
  });

  it('passes delta points through', () => {
    expect(
      d([
        point({ at: 0, value: 5, temporality: TEMPORALITY_DELTA }),
        point({ at: 10, value: 2, temporality: TEMPORALITY_DELTA }),
      ]),
    ).toEqual([5, 2]);
  });

  it('differences histograms element-wise and resets when the bucket layout changes', () => {
    const h = (at: number, counts: number[], bounds = [1, 2]) =>
      point({ at, count: counts.reduce((a, b) => a + b, 0), sum: at, bucketCounts: counts, bounds });
    const out = seriesDeltas(
      [h(0, [1, 1, 1]), h(10, [2, 3, 1]), h(20, [1, 1, 1, 1], [1, 2, 3])],
      fetchStart,
      true,
    );
    expect(out.map((x) => x.vector)).toEqual([
      [3, 10, 1, 2, 0],
      [4, 20, 1, 1, 1, 1],
    ]);
  });
});

describe('bucketQuantile', () => {
  it('interpolates inside the bucket that holds the rank', () => {
    expect(bucketQuantile(0.5, [10, 20, 30], [0, 4, 0, 0])).toBe(15);
    expect(bucketQuantile(0.25, [10, 20, 30], [2, 2, 0, 0])).toBe(5);
    expect(bucketQuantile(0.75, [10, 20, 30], [2, 2, 0, 0])).toBe(15);
  });

  it('answers the highest bound for the overflow bucket, null for nothing', () => {
    expect(bucketQuantile(0.99, [10, 20], [1, 0, 9])).toBe(20);
    expect(bucketQuantile(0.5, [10, 20], [0, 0, 0])).toBeNull();
    expect(bucketQuantile(0.5, [], [5])).toBeNull();
  });

  it('starts the first bucket at its bound when the bound is not positive', () => {
    expect(bucketQuantile(0.5, [-5, 0, 5], [4, 0, 0, 0])).toBe(-5);
  });
});

describe('evaluate', () => {
  const w = stepWindow(Number(T / 1_000_000n), Number(T / 1_000_000n) + 120_000, 60_000, 300_000);

  it('buckets by step and leaves empty steps null', () => {
    expect(bucketIndex(w, T)).toBe(0);
    expect(bucketIndex(w, T + 59n * S)).toBe(0);
    expect(bucketIndex(w, T + 60n * S)).toBe(1);
    expect(bucketIndex(w, T + 120n * S)).toBe(-1);
    expect(bucketIndex(w, T - 1n)).toBe(-1);
    const series = evaluate(
      [point({ at: -10, value: 1 }), point({ at: 10, value: 4 })],
      w,
      { kind: 'increase', perSecond: false },
      false,
    );
    expect(series).toEqual([
      {
        labels: {},
        points: [
          [w.startMs, 3],
          [w.startMs + 60_000, null],
        ],
      },
    ]);
  });

  it('sums increases of several series into their group and keeps groups apart', () => {
    const pts = [
      point({ seriesKey: 'a', labels: { k: 'x' }, at: -5, value: 10 }),
      point({ seriesKey: 'a', labels: { k: 'x' }, at: 5, value: 12 }),
      point({ seriesKey: 'b', labels: { k: 'x' }, at: -5, value: 100 }),
      point({ seriesKey: 'b', labels: { k: 'x' }, at: 65, value: 130 }),
      point({ seriesKey: 'c', labels: { k: 'y' }, at: 5, value: 7, temporality: TEMPORALITY_DELTA }),
    ];
    const out = evaluate(pts, w, { kind: 'increase', perSecond: true }, false);
    expect(out).toEqual([
      {
        labels: { k: 'x' },
        points: [
          [w.startMs, 2 / 60],
          [w.startMs + 60_000, 30 / 60],
        ],
      },
      {
        labels: { k: 'y' },
        points: [
          [w.startMs, 7 / 60],
          [w.startMs + 60_000, null],
        ],
      },
    ]);
  });

  it('skips histogram series whose bounds differ from their group', () => {
    const h = (key: string, at: number, counts: number[], bounds: number[]) =>
      point({
        seriesKey: key,
        at,
        temporality: TEMPORALITY_DELTA,
        count: counts.reduce((a, b) => a + b, 0),
        sum: 0,
        bucketCounts: counts,
        bounds,
      });
    const out = evaluate(
      [h('a', 5, [0, 2, 0], [1, 2]), h('b', 6, [9, 0, 0], [5, 6])],
      w,
      { kind: 'quantile', q: 0.5 },
      true,
    );
    expect(out[0]?.points[0]).toEqual([w.startMs, 1.5]);
  });
});

describe('parameter helpers', () => {
  it('resolves time ranges with defaults', () => {
    expect(resolveRange({}, 10_000_000)).toMatchObject({
      startMs: 10_000_000 - 3_600_000,
      endMs: 10_000_000,
    });
    expect(resolveRange({ end: 5_000_000 }, 0)).toMatchObject({ startMs: 1_400_000, endMs: 5_000_000 });
    expect(resolveRange({ start: 1, end: 2 }).startNs).toBe(1_000_000n);
    expect(() => resolveRange({ start: 2, end: 2 })).toThrow(/before end/);
  });

  it('picks about 60 whole-second steps and refuses too many points', () => {
    const hour = resolveRange({ start: 0, end: 3_600_000 });
    expect(resolveStep(hour, undefined, 'step')).toBe(60_000);
    expect(resolveStep(resolveRange({ start: 0, end: 10_000 }), undefined, 'step')).toBe(1000);
    expect(resolveStep(hour, 1000, 'step')).toBe(1000);
    expect(() => resolveStep(hour, 100, 'step')).toThrow(/too small/);
  });

  it('parses attr filters and severities', () => {
    expect(parseAttrs(['a=b', 'url=http://x?y=1', 'present', 'empty='])).toEqual([
      { key: 'a', value: 'b' },
      { key: 'url', value: 'http://x?y=1' },
      { key: 'present' },
      { key: 'empty', value: '' },
    ]);
    expect(parseAttrs('k=v')).toEqual([{ key: 'k', value: 'v' }]);
    expect(() => parseAttrs(['=v'])).toThrow();
    expect([
      parseSeverity('Warn'),
      parseSeverity('warning'),
      parseSeverity('1'),
      parseSeverity(undefined),
    ]).toEqual([13, 13, 1, undefined]);
    for (const bad of ['0', '25', 'loud', '-1']) expect(() => parseSeverity(bad), bad).toThrow();
  });
});

describe('LatencyTracker', () => {
  it('reports nearest-rank p50/p95 over a sliding window', () => {
    const t = new LatencyTracker(100);
    expect(t.snapshot()).toEqual({ p50: null, p95: null, count: 0 });
    for (let i = 1; i <= 100; i++) t.record(i);
    expect(t.snapshot()).toEqual({ p50: 50, p95: 95, count: 100 });
    for (let i = 0; i < 100; i++) t.record(1000);
    expect(t.snapshot()).toEqual({ p50: 1000, p95: 1000, count: 200 });
  });
});

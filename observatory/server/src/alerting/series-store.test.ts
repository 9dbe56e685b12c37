import { describe, expect, it } from 'vitest';
import type { Matcher } from './promql/ast.js';
import { evaluate } from './promql/evaluate.js';
import { parsePromql } from './promql/parse.js';
import { retentionPolicy, selectorsOf } from './retention.js';
import { SeriesStore } from './series-store.js';

const byName = (name: string): Matcher[] => [{ name: '__name__', op: '=', value: name }];
const keepAll = () => ({
  keepMs: Number.POSITIVE_INFINITY,
  denseMs: Number.POSITIVE_INFINITY,
  sparseStepMs: 1,
});

describe('SeriesStore', () => {
  it('keeps only the series some rule reads, for as long as its longest range', () => {
    const exprs = ['sum(rate(a_total{job="x"}[1h]))', 'b > 1'].map((e) => parsePromql(e));
    const store = new SeriesStore(retentionPolicy(exprs.flatMap(selectorsOf), { timeScale: 1 }));
    expect(store.append({ __name__: 'a_total', job: 'x' }, 0, 1)).toBe(true);
    expect(store.append({ __name__: 'a_total', job: 'y' }, 0, 1)).toBe(false);
    expect(store.append({ __name__: 'c', job: 'x' }, 0, 1)).toBe(false);
    for (let t = 15_000; t <= 3 * 3_600_000; t += 15_000) {
      store.append({ __name__: 'a_total', job: 'x' }, t, t);
      store.append({ __name__: 'b' }, t, 2);
    }
    const now = 3 * 3_600_000;
    store.compact(now);
    const [a] = store.select(byName('a_total'), 0, now);
    // 1 h + the 5 m lookback, every sample (within the dense window).
    expect(a?.samples[0]?.t).toBe(now - 3_900_000);
    expect(a?.samples).toHaveLength(3_900_000 / 15_000 + 1);
    const [b] = store.select(byName('b'), 0, now);
    expect(b?.samples[0]?.t).toBe(now - 300_000);
  });

  it('thins samples older than the dense window to one per minute, keeping the value before a reset', () => {
    const store = new SeriesStore(() => ({ keepMs: 3_600_000, denseMs: 600_000, sparseStepMs: 60_000 }));
    const labels = { __name__: 'c_total' };
    let v = 0;
    for (let t = 0; t <= 3_600_000; t += 15_000) {
      v = t === 1_200_000 ? 0 : v + 1; // a counter reset at 20 min
      store.append(labels, t, v);
    }
    store.compact(3_600_000);
    const [s] = store.select(byName('c_total'), 0, 3_600_000);
    const old = s?.samples.filter((x) => x.t < 3_000_000) ?? [];
    const dense = s?.samples.filter((x) => x.t >= 3_000_000) ?? [];
    expect(dense).toHaveLength(600_000 / 15_000 + 1);
    expect(old.map((x) => x.t)).toContain(1_185_000); // the last sample before the reset
    expect(old.length).toBeLessThan(60);
    // rate over the thinned hour stays within 2 % of the rate over every sample.
    const full = new SeriesStore(keepAll);
    v = 0;
    for (let t = 0; t <= 3_600_000; t += 15_000) {
      v = t === 1_200_000 ? 0 : v + 1;
      full.append(labels, t, v);
    }
    const rate = parsePromql('rate(c_total[50m])');
    const thinned = evaluate(rate, 3_600_000, store);
    const exact = evaluate(rate, 3_600_000, full);
    const value = (x: typeof exact) =>
      x.kind === 'vector' ? (x.samples[0]?.value ?? Number.NaN) : Number.NaN;
    expect(Math.abs(value(thinned) / value(exact) - 1)).toBeLessThan(0.02);
  });

  it('a stale marker ends the series for instant selectors at once; ranges skip it', () => {
    const store = new SeriesStore(keepAll);
    const labels = { __name__: 'r:ratio', id: 'x' };
    store.append(labels, 1000, 0.5);
    store.append(labels, 2000, 0.6);
    expect(evaluate(parsePromql('r:ratio'), 2500, store)).toEqual({
      kind: 'vector',
      samples: [{ labels, value: 0.6 }],
    });
    store.markStale(labels, 3000);
    expect(evaluate(parsePromql('r:ratio'), 3500, store)).toEqual({ kind: 'vector', samples: [] });
    expect(store.select(byName('r:ratio'), 0, 4000)[0]?.samples).toEqual([
      { t: 1000, v: 0.5 },
      { t: 2000, v: 0.6 },
    ]);
    store.append(labels, 4000, 0.7);
    expect(evaluate(parsePromql('r:ratio'), 4500, store)).toEqual({
      kind: 'vector',
      samples: [{ labels, value: 0.7 }],
    });
  });

  it('refuses samples out of order', () => {
    const store = new SeriesStore(keepAll);
    expect(store.append({ __name__: 'g' }, 2000, 1)).toBe(true);
    expect(store.append({ __name__: 'g' }, 2000, 2)).toBe(false);
    expect(store.append({ __name__: 'g' }, 1000, 3)).toBe(false);
    expect(store.stats).toEqual({ series: 1, samples: 1 });
  });
});

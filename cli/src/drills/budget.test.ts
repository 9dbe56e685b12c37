import { describe, expect, it } from 'vitest';
import { suiteOrder } from '../commands/drill.js';
import { budgetConsumed, type DrillSample } from './runner.js';
import { parseScenario } from './scenario.js';

const sample = (tMs: number, sli: number | null): DrillSample => ({ tMs, sli, alert: 'inactive' });

describe('the error budget a drill used', () => {
  it('is the bad share of the samples over the span, in SLO time, against the 30-day budget', () => {
    // Half the requests bad for 60 s at scale 60 = 30 bad minutes-equivalent of 1 h of SLO time.
    const samples = [sample(0, 0.5), sample(30_000, 0.5), sample(60_000, 0.5)];
    const expected = (0.5 * 3_600_000) / (30 * 24 * 3_600_000 * 0.001);
    expect(budgetConsumed(samples, 0, 60_000, 0.999, 60)).toBeCloseTo(expected, 10);
    // Real time: 60 times less.
    expect(budgetConsumed(samples, 0, 60_000, 0.999, 1)).toBeCloseTo(expected / 60, 10);
    expect(budgetConsumed([sample(0, 1), sample(1000, 1)], 0, 1000, 0.999, 60)).toBe(0);
    expect(budgetConsumed([sample(0, null)], 0, 1000, 0.999, 60)).toBeNull();
  });
});

describe('the order of drill run --all', () => {
  it('runs what the healer heals first and what needs a person last', () => {
    const base = (name: string, healed: boolean) =>
      parseScenario(
        `${name}.yaml`,
        `name: ${name}\ndescription: d\nload: {rate: 1, warmup: 5s}\nfault: {kind: hang, service: catalog, for: 1m}\n` +
          `expect: {alert: A, service: catalog, slo: s, healed: ${healed}, detectWithin: 1m, recoverWithin: 2m}\n` +
          (healed ? '' : 'manualRemediation: {action: clear-fault, why: roll back}\n'),
      );
    const order = suiteOrder([base('a-crash', false), base('b-hang', true), base('c-dep', true)]);
    expect(order.map((s) => s.name)).toEqual(['b-hang', 'c-dep', 'a-crash']);
  });
});

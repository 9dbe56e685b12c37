import { describe, expect, it } from 'vitest';
import { OUTCOME, summarizeFlashSale } from './flashSale.js';

const T = 1_700_000_000_000;
const S = 10_000;

describe('flash sale summary', () => {
  it('peak accepted/s across replicas, when it sold out and after how long, worst p99, deepest queue', () => {
    const summary = summarizeFlashSale({
      attempts: [
        // Two replicas' accepted purchases: the peak is their sum at one step.
        {
          labels: { [OUTCOME]: 'ACCEPTED', 'service.instance.id': 'a' },
          points: [
            [T, 0],
            [T + S, 300],
            [T + 2 * S, 50],
            [T + 3 * S, 0],
          ],
        },
        {
          labels: { [OUTCOME]: 'ACCEPTED', 'service.instance.id': 'b' },
          points: [
            [T, null],
            [T + S, 200],
            [T + 2 * S, 400],
            [T + 3 * S, 0],
          ],
        },
        {
          labels: { [OUTCOME]: 'SOLD_OUT' },
          points: [
            [T, 0],
            [T + S, 0],
            [T + 2 * S, 0],
            [T + 3 * S, 9000],
          ],
        },
        {
          labels: { [OUTCOME]: 'LIMIT_REACHED' },
          points: [
            [T, 5],
            [T + S, 7],
          ],
        },
      ],
      p99Seconds: [
        {
          labels: {},
          points: [
            [T, 0.004],
            [T + S, 0.081],
            [T + 2 * S, null],
          ],
        },
      ],
      depth: [
        {
          labels: {},
          points: [
            [T, 0],
            [T + S, 12],
            [T + 2 * S, 3],
          ],
        },
      ],
      // Two replicas read the same database: the worst reading, not their sum.
      oversold: [
        {
          labels: { 'service.instance.id': 'a' },
          points: [
            [T, 0],
            [T + S, 2],
          ],
        },
        {
          labels: { 'service.instance.id': 'b' },
          points: [
            [T, 0],
            [T + S, 2],
          ],
        },
      ],
    });
    expect(summary).toEqual({
      peakAcceptedPerSec: 500,
      soldOutAtMs: T + 3 * S,
      soldOutAfterMs: 2 * S,
      worstP99Ms: 81,
      maxQueueDepth: 12,
      maxOversold: 2,
    });
  });

  it('says nothing it does not know: no attempts, no sell-out, no latency', () => {
    expect(summarizeFlashSale({ attempts: [], p99Seconds: [], depth: [] })).toEqual({
      peakAcceptedPerSec: null,
      soldOutAtMs: null,
      soldOutAfterMs: null,
      worstP99Ms: null,
      maxQueueDepth: null,
      maxOversold: null,
    });
    const notSoldOut = summarizeFlashSale({
      attempts: [{ labels: { [OUTCOME]: 'ACCEPTED' }, points: [[T, 2]] }],
      p99Seconds: [],
      depth: [],
    });
    expect(notSoldOut).toMatchObject({ peakAcceptedPerSec: 2, soldOutAtMs: null, soldOutAfterMs: null });
    const neverOversold = summarizeFlashSale({
      attempts: [],
      p99Seconds: [],
      depth: [],
      oversold: [
        {
          labels: {},
          points: [
            [T, 0],
            [T + S, 0],
          ],
        },
      ],
    });
    expect(neverOversold.maxOversold).toBe(0);
  });
});

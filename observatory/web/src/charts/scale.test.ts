import { describe, expect, it } from 'vitest';
import {
  areaPath,
  isolatedPoints,
  linearScale,
  linePath,
  nearestIndex,
  niceTicks,
  niceTimeTicks,
  valueDomain,
} from './scale.js';

describe('scales and ticks', () => {
  it('maps a domain onto a range, inverted for y', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(25)).toBe(150);
    expect(y(100)).toBe(0);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it('makes round ticks', () => {
    expect(niceTicks(0, 100, 4)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(0, 0.37, 4)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(niceTicks(Number.NaN, 1)).toEqual([]);
  });

  it('chooses a y domain from zero to a round top, ignoring nulls', () => {
    expect(valueDomain([3, null, 87])).toEqual([0, 100]);
    expect(valueDomain([null])).toEqual([0, 1]);
    expect(valueDomain([-5, 10])[0]).toBe(-5);
  });
});

describe('paths', () => {
  const x = linearScale([0, 10], [0, 100]);
  const y = linearScale([0, 10], [100, 0]);

  it('draws a line and breaks it at gaps', () => {
    expect(
      linePath(
        [
          [0, 0],
          [5, 5],
          [10, 10],
        ],
        x,
        y,
      ),
    ).toBe('M0.0,100.0L50.0,50.0L100.0,0.0');
    expect(
      linePath(
        [
          [0, 0],
          [5, null],
          [10, 10],
          [15, 12],
        ],
        x,
        y,
      ),
    ).toBe('M0.0,100.0M100.0,0.0L150.0,-20.0');
    const points: [number, number | null][] = [
      [0, 0],
      [5, null],
      [10, 10],
      [15, 12],
      [20, null],
      [25, 1],
    ];
    expect(isolatedPoints(points)).toEqual([
      [0, 0],
      [25, 1],
    ]);
    expect(linePath([], x, y)).toBe('');
  });

  it('fills the area under each unbroken run', () => {
    expect(
      areaPath(
        [
          [0, 0],
          [10, 10],
        ],
        x,
        y,
        100,
      ),
    ).toBe('M0.0,100L0.0,100.0L100.0,0.0L100.0,100Z');
    expect(
      areaPath(
        [
          [0, 5],
          [5, null],
        ],
        x,
        y,
        100,
      ),
    ).toBe('');
  });

  it('finds the nearest sample', () => {
    expect(nearestIndex([0, 10, 20, 30], 14)).toBe(1);
    expect(nearestIndex([0, 10, 20, 30], 16)).toBe(2);
    expect(nearestIndex([0, 10, 20, 30], -5)).toBe(0);
    expect(nearestIndex([0, 10, 20, 30], 99)).toBe(3);
    expect(nearestIndex([], 1)).toBe(-1);
  });
});

describe('niceTimeTicks', () => {
  it('puts ticks on round local-time instants inside the domain', () => {
    const start = new Date(2026, 0, 1, 10, 7, 13).getTime();
    const ticks = niceTimeTicks([start, start + 3_600_000], 6);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(6);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThanOrEqual(start + 3_600_000);
      const d = new Date(t);
      expect(d.getSeconds()).toBe(0);
      expect(d.getMinutes() % 10).toBe(0);
    }
    expect(niceTimeTicks([5, 5], 4)).toEqual([]);
  });
});

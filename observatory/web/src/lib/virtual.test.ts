import { describe, expect, it } from 'vitest';
import { scrollToReveal, visibleRange } from './virtual.js';

describe('visibleRange', () => {
  it('renders only the rows in view plus the overscan', () => {
    const r = visibleRange(0, 300, 30, 10_000, 5);
    expect(r).toEqual({ start: 0, end: 16, offsetTopPx: 0, totalHeightPx: 300_000 });
    const mid = visibleRange(30_000, 300, 30, 10_000, 5);
    expect(mid.start).toBe(995);
    expect(mid.end).toBe(1016);
    expect(mid.offsetTopPx).toBe(995 * 30);
  });

  it('clamps at the end and for over-scrolling', () => {
    const end = visibleRange(1e9, 300, 30, 100, 5);
    expect(end.end).toBe(100);
    expect(end.start).toBe(85);
    expect(visibleRange(-50, 300, 30, 100, 0).start).toBe(0);
  });

  it('handles empty and short lists', () => {
    expect(visibleRange(0, 300, 30, 0)).toEqual({ start: 0, end: 0, offsetTopPx: 0, totalHeightPx: 0 });
    expect(visibleRange(0, 300, 30, 3)).toMatchObject({ start: 0, end: 3 });
  });
});

describe('scrollToReveal', () => {
  it('scrolls just enough to show a row', () => {
    expect(scrollToReveal(5, 0, 300, 30)).toBe(0);
    expect(scrollToReveal(20, 0, 300, 30)).toBe(330);
    expect(scrollToReveal(2, 600, 300, 30)).toBe(60);
  });
});

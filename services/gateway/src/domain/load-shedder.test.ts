import { describe, expect, it } from 'vitest';
import { LoadShedder } from './load-shedder.js';

describe('LoadShedder', () => {
  it('refuses the given fraction while it is on, nothing after it ends or is stopped', () => {
    let t = 0;
    let r = 0;
    const s = new LoadShedder(
      () => t,
      () => r,
    );
    expect(s.shed()).toBe(false);
    s.start(0.5, 10_000);
    r = 0.49;
    expect(s.shed()).toBe(true);
    r = 0.5;
    expect(s.shed()).toBe(false);
    expect(s.status()).toEqual({ fraction: 0.5, untilMs: 10_000 });
    expect(s.retryAfterSeconds()).toBe(10);
    r = 0;
    t = 10_000;
    expect(s.shed()).toBe(false);
    expect(s.status()).toEqual({ fraction: 0, untilMs: null });
    s.start(1, 1000);
    s.stop();
    expect(s.shed()).toBe(false);
    expect(() => s.start(0, 1000)).toThrow('fraction must be in (0, 1]');
  });
});

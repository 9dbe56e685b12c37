import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

function breaker() {
  let now = 1_000;
  const b = new CircuitBreaker({ failureThreshold: 3, openMs: 5_000, now: () => now });
  return { b, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and fails fast while open', () => {
    const { b } = breaker();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryAfterMs()).toBe(5_000);
  });

  it('resets the count on a success', () => {
    const { b } = breaker();
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
  });

  it('lets exactly one trial through after the open period; its success closes the circuit', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    advance(4_999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.state).toBe('half-open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens again at once when the trial fails', () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) b.onFailure();
    advance(5_000);
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    advance(5_000);
    expect(b.tryAcquire()).toBe(true);
  });
});

describe('CircuitBreaker held open by hand', () => {
  it('lets nothing through, not even a trial, until the hold ends or is released', () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 100, now: () => t });
    b.hold(1000);
    expect(b.state).toBe('open');
    expect(b.held).toBe(true);
    t = 500; // past openMs: an automatic opening would allow a trial here
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryAfterMs()).toBe(500);
    t = 1000;
    expect(b.held).toBe(false);
    expect(b.tryAcquire()).toBe(true);
    b.hold(1000);
    b.release();
    expect(b.state).not.toBe('open');
  });
});

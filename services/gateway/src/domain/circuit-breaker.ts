/**
 * A per-upstream circuit breaker. After `failureThreshold` consecutive failures (connection refused, reset or
 * timed out) it opens: calls fail fast for `openMs`. Then it lets one trial call through (half-open); success
 * closes it, failure opens it again. A hanging dependency then costs callers milliseconds, not the timeout.
 * The healer (or an operator) can also hold it open for a while: no call, not even a trial, goes out until then.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: CircuitState = 'closed';
  private heldUntil = 0;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    if (this.held) return 'open';
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) return 'half-open';
    return this.current;
  }

  /** Whether a call may go out now. In half-open, only one trial call at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    this.current = 'half-open';
    return true;
  }

  /** Whether it is held open by hand. */
  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /** Holds the circuit open for `ms` (from now), whatever the calls would say. */
  hold(ms: number): void {
    this.heldUntil = this.now() + ms;
  }

  /** Ends a hold; the circuit goes on from the state the calls left it in. */
  release(): void {
    this.heldUntil = 0;
  }

  /** Milliseconds until a call may be tried again (0 when closed). */
  retryAfterMs(): number {
    if (this.held) return this.heldUntil - this.now();
    if (this.state !== 'open') return 0;
    return Math.max(0, this.options.openMs - (this.now() - this.openedAt));
  }

  onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = 'closed';
  }

  onFailure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.current = 'open';
      this.openedAt = this.now();
    }
  }
}

/**
 * A per-upstream circuit breaker. After `failureThreshold` consecutive failures (connection refused, reset or
 * timed out) it opens: calls fail fast for `openMs`. Then it lets one trial call through (half-open); success
 * closes it, failure opens it again. A hanging dependency then costs callers milliseconds, not the timeout.
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
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
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

  /** Milliseconds until a call may be tried again (0 when closed). */
  retryAfterMs(): number {
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

/**
 * Load shedding, switched on by the healer (or an operator) for a while: a fraction of the API requests is
 * refused at once (429 with Retry-After) so that the rest is served in time by an overloaded system.
 */
export interface ShedStatus {
  readonly fraction: number;
  /** Unix ms when shedding stops; null when it is off. */
  readonly untilMs: number | null;
}

export class LoadShedder {
  private fraction = 0;
  private untilMs = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Sheds `fraction` (0 < f ≤ 1) of the requests for `forMs`. */
  start(fraction: number, forMs: number): void {
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
    this.fraction = fraction;
    this.untilMs = this.now() + forMs;
  }

  stop(): void {
    this.fraction = 0;
    this.untilMs = 0;
  }

  get active(): boolean {
    return this.fraction > 0 && this.now() < this.untilMs;
  }

  /** Whether this request is refused. */
  shed(): boolean {
    return this.active && this.random() < this.fraction;
  }

  /** Seconds a refused client should wait. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.untilMs - this.now()) / 1000));
  }

  status(): ShedStatus {
    return this.active ? { fraction: this.fraction, untilMs: this.untilMs } : { fraction: 0, untilMs: null };
  }
}

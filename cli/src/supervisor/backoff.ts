/** Restart policy for a crashed process: exponential backoff with a ceiling, forgiven after a stable run. */
export interface BackoffPolicy {
  /** Delay before the first restart after a crash. */
  readonly initialMs: number;
  /** Each further consecutive crash multiplies the delay by this factor. */
  readonly factor: number;
  /** The delay never exceeds this. */
  readonly maxMs: number;
  /** A process that stayed up at least this long is considered healthy: its crash counter resets. */
  readonly resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  factor: 2,
  maxMs: 30_000,
  resetAfterMs: 60_000,
};

/**
 * Delay before restart number `attempt` (1 = first restart after the first crash in a row).
 * 500 ms, 1 s, 2 s, 4 s, … capped at 30 s with the default policy.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (!Number.isFinite(attempt) || attempt < 1) return policy.initialMs;
  const raw = policy.initialMs * policy.factor ** (attempt - 1);
  return Math.min(policy.maxMs, Math.round(raw));
}

/**
 * The consecutive-crash counter after a process that ran for `uptimeMs` crashed:
 * a long enough run forgives the earlier crashes, so this crash counts as the first.
 */
export function nextAttempt(
  previousAttempt: number,
  uptimeMs: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  return uptimeMs >= policy.resetAfterMs ? 1 : previousAttempt + 1;
}

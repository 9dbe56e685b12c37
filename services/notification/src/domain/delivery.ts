/**
 * The delivery rules of the simulated sender: when an attempt that failed is tried again (exponential backoff,
 * capped), and when an e-mail is given up.
 */

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/** After failed attempt number `attempt` (1-based): wait this long, or null when it was the last one. */
export function retryAfterMs(policy: RetryPolicy, attempt: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
}

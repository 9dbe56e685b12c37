/** `90s`, `2m`, `1h`, `500ms` → milliseconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** The shortest verification a time scale leaves: a restarted process needs this long to be seen healthy. */
export const MIN_SCALED_VERIFY_MS = 20_000;

/**
 * A runbook's verification time under the demo time scale (`GLASSBOX_SLO_TIME_SCALE=N`): the alert windows a
 * verification waits on are N times shorter there, so is the wait — but never below MIN_SCALED_VERIFY_MS, the
 * time a restart itself takes. Real time (N = 1) keeps the runbook's time.
 */
export function scaledWithinMs(withinMs: number, timeScale: number): number {
  if (timeScale <= 1) return withinMs;
  return Math.min(withinMs, Math.max(Math.round(withinMs / timeScale), MIN_SCALED_VERIFY_MS));
}

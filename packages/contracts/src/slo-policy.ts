/**
 * The multi-window, multi-burn-rate alerting policy every SLO is compiled with (the Google SRE workbook's, as
 * Sloth generates it), and the demo time scale that divides every window and `for` duration. One definition,
 * read by the rule compiler and by the observatory's evaluator, so the two cannot disagree on a number.
 */

/** The SLO period the error budget is counted over. */
export const SLO_PERIOD = '30d';

/** SLI windows a recording rule is generated for, shortest first. */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SliWindow = (typeof SLI_WINDOWS)[number];

export type Severity = 'page' | 'ticket';

/** One burn-rate condition: both windows must burn faster than `factor` × the error budget. */
export interface BurnCondition {
  readonly factor: number;
  readonly long: SliWindow;
  readonly short: SliWindow;
}

export interface AlertPolicy {
  readonly severity: Severity;
  /** Either condition fires the alert. */
  readonly conditions: readonly BurnCondition[];
  /** How long the condition must hold before the alert fires (pending until then). */
  readonly for: string;
}

export const PAGE_POLICY: AlertPolicy = {
  severity: 'page',
  conditions: [
    { factor: 14.4, long: '1h', short: '5m' },
    { factor: 6, long: '6h', short: '30m' },
  ],
  for: '2m',
};

export const TICKET_POLICY: AlertPolicy = {
  severity: 'ticket',
  conditions: [
    { factor: 3, long: '1d', short: '2h' },
    { factor: 1, long: '3d', short: '6h' },
  ],
  for: '15m',
};

/** How often rules are evaluated (Prometheus's `evaluation_interval`, the observatory's evaluation loop). */
export const EVALUATION_INTERVAL = '15s';

/** Shortest evaluation interval a time scale may bring the evaluation down to. */
export const MIN_SCALED_INTERVAL_MS = 1000;

/** Largest time scale accepted (1 h windows become 1 s). */
export const MAX_TIME_SCALE = 3600;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** A Prometheus duration (`5m`, `1h30m`, `250ms`) in milliseconds; throws on anything else. */
export function durationMs(text: string): number {
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 0);
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length) throw new Error(`not a Prometheus duration: ${text}`);
  return total;
}

/** Milliseconds as a Prometheus duration in the largest unit that divides it (`300000` → `5m`). */
export function formatDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`not a whole number of milliseconds: ${ms}`);
  if (ms === 0) return '0s';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration divided by the time scale, rounded to the millisecond (at least 1 ms). */
export function scaleDuration(text: string, scale: number): string {
  if (scale === 1) return text;
  return formatDuration(Math.max(1, Math.round(durationMs(text) / scale)));
}

/** The evaluation interval under a time scale: 15 s divided by it, never below 1 s. */
export function scaledEvaluationIntervalMs(scale: number): number {
  return Math.max(MIN_SCALED_INTERVAL_MS, Math.round(durationMs(EVALUATION_INTERVAL) / scale));
}

/**
 * `GLASSBOX_SLO_TIME_SCALE` (or a flag) → the scale: a number ≥ 1 and ≤ 3600 (1 = real time). Throws with a
 * sentence naming the variable when it is anything else.
 */
export function parseTimeScale(text: string | undefined, name = 'GLASSBOX_SLO_TIME_SCALE'): number {
  if (text === undefined || text.trim() === '') return 1;
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d+(\.\d+)?$/.test(trimmed) || !(value >= 1) || value > MAX_TIME_SCALE) {
    throw new Error(`${name}: expected a number from 1 to ${MAX_TIME_SCALE}, got ${JSON.stringify(text)}`);
  }
  return value;
}

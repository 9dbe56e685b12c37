/**
 * The Flash sale panel's figures, from the flash-sale service's metrics as the observatory answers them:
 * attempts per second by outcome (`glassbox.flash_sale.attempts`, rate by `glassbox.outcome`), the p99 admission
 * latency (`glassbox.flash_sale.admission.duration`, seconds), the admission queue depth
 * (`glassbox.flash_sale.queue.depth`) and the oversell check (`glassbox.flash_sale.units.oversold`: units held
 * beyond a sale's quantity, read from the durable purchases; every replica reads the same database, so the
 * replicas' series are not added up).
 */
import type { MetricSeries } from '../api/schemas.js';

export const FLASH_METRICS = {
  attempts: 'glassbox.flash_sale.attempts',
  latency: 'glassbox.flash_sale.admission.duration',
  depth: 'glassbox.flash_sale.queue.depth',
  oversold: 'glassbox.flash_sale.units.oversold',
} as const;

export const OUTCOME = 'glassbox.outcome';

export interface FlashSaleSummary {
  /** The highest accepted purchases per second in the window (null: none accepted). */
  peakAcceptedPerSec: number | null;
  /** When SOLD_OUT answers began (the first step with any), null when none. */
  soldOutAtMs: number | null;
  /** From the first accepted purchase to the first SOLD_OUT answer: how long the stock lasted. */
  soldOutAfterMs: number | null;
  /** The worst p99 admission latency of the window, in milliseconds. */
  worstP99Ms: number | null;
  /** The deepest the admission queue got. */
  maxQueueDepth: number | null;
  /** The oversell check's worst reading in the window (0: never oversold; null: no reading). */
  maxOversold: number | null;
}

function ofOutcome(attempts: readonly MetricSeries[], outcome: string): MetricSeries[] {
  return attempts.filter((s) => s.labels[OUTCOME] === outcome);
}

/** The first step at which any of the series is above zero. */
function firstPositive(series: readonly MetricSeries[]): number | null {
  let first: number | null = null;
  for (const s of series) {
    for (const [t, v] of s.points) {
      if (v !== null && v > 0 && (first === null || t < first)) first = t;
    }
  }
  return first;
}

/** The sum of the series at each step, then the highest of those sums (null when no value at all). */
function peakOfSum(series: readonly MetricSeries[]): number | null {
  const sums = new Map<number, number>();
  for (const s of series) {
    for (const [t, v] of s.points) if (v !== null) sums.set(t, (sums.get(t) ?? 0) + v);
  }
  return sums.size === 0 ? null : Math.max(...sums.values());
}

function maxOf(series: readonly MetricSeries[]): number | null {
  let max: number | null = null;
  for (const s of series) for (const [, v] of s.points) if (v !== null && (max === null || v > max)) max = v;
  return max;
}

export function summarizeFlashSale(input: {
  attempts: readonly MetricSeries[];
  p99Seconds: readonly MetricSeries[];
  depth: readonly MetricSeries[];
  oversold?: readonly MetricSeries[];
}): FlashSaleSummary {
  const accepted = ofOutcome(input.attempts, 'ACCEPTED');
  const peak = peakOfSum(accepted);
  const soldOutAtMs = firstPositive(ofOutcome(input.attempts, 'SOLD_OUT'));
  const firstAccepted = firstPositive(accepted);
  const worst = maxOf(input.p99Seconds);
  return {
    peakAcceptedPerSec: peak !== null && peak > 0 ? peak : null,
    soldOutAtMs,
    soldOutAfterMs:
      soldOutAtMs !== null && firstAccepted !== null && soldOutAtMs >= firstAccepted
        ? soldOutAtMs - firstAccepted
        : null,
    worstP99Ms: worst === null ? null : worst * 1000,
    maxQueueDepth: maxOf(input.depth),
    maxOversold: maxOf(input.oversold ?? []),
  };
}

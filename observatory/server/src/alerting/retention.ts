/**
 * How long the evaluator keeps each series: as long as the longest range a rule reads it over, plus the
 * instant lookback, and no longer. Derived from the rules themselves, so a series no rule reads is never kept.
 */
import type { Expr, Matcher } from './promql/ast.js';
import { type Labels, LOOKBACK_MS, matches } from './promql/evaluate.js';
import type { PolicyFor, RetentionPolicy } from './series-store.js';

export interface Selector {
  readonly matchers: readonly Matcher[];
  /** 0 for an instant selector. */
  readonly rangeMs: number;
}

/** Every selector an expression reads. */
export function selectorsOf(expr: Expr): Selector[] {
  switch (expr.kind) {
    case 'vector':
      return [{ matchers: expr.matchers, rangeMs: 0 }];
    case 'matrix':
      return [{ matchers: expr.matchers, rangeMs: expr.rangeMs }];
    case 'call':
      return expr.args.flatMap(selectorsOf);
    case 'aggregate':
      return [...(expr.param ? selectorsOf(expr.param) : []), ...selectorsOf(expr.expr)];
    case 'binary':
      return [...selectorsOf(expr.lhs), ...selectorsOf(expr.rhs)];
    case 'neg':
      return selectorsOf(expr.expr);
    default:
      return [];
  }
}

/** Below this age (unscaled) every sample is kept: the windows up to 2 h read them all. */
const DENSE_MS = 2 * 3_600_000;
/** Older samples: one per minute (unscaled). */
const SPARSE_STEP_MS = 60_000;

export interface RetentionOptions {
  readonly timeScale: number;
  /** Cap on how long any series is kept (the observatory's own retention for raw series). */
  readonly maxKeepMs?: number;
  /** Names that recording rules produce: thinned uniformly (their ranges are averaged, not rated). */
  readonly recorded?: ReadonlySet<string>;
  /** Keep series no rule reads for the instant lookback too (recorded series, which the SLO API reads). */
  readonly keepUnread?: boolean;
}

export function retentionPolicy(selectors: readonly Selector[], options: RetentionOptions): PolicyFor {
  const scale = options.timeScale;
  const byName = new Map<string, Selector[]>();
  const unnamed: Selector[] = [];
  for (const s of selectors) {
    const name = s.matchers.find((m) => m.name === '__name__' && m.op === '=')?.value;
    if (name === undefined) unnamed.push(s);
    else byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  const sparseStepMs = Math.max(1, Math.round(SPARSE_STEP_MS / scale));
  return (labels: Labels): RetentionPolicy | null => {
    const name = labels.__name__ ?? '';
    let longest = -1;
    for (const s of [...(byName.get(name) ?? []), ...unnamed]) {
      if (s.rangeMs > longest && matches(labels, s.matchers)) longest = s.rangeMs;
    }
    if (longest < 0) {
      if (!options.keepUnread) return null;
      longest = 0;
    }
    const keepMs = Math.min(longest + LOOKBACK_MS, options.maxKeepMs ?? Number.POSITIVE_INFINITY);
    const denseMs = options.recorded?.has(name)
      ? 0
      : Math.min(keepMs, Math.round(DENSE_MS / scale) + LOOKBACK_MS);
    return { keepMs, denseMs, sparseStepMs };
  };
}

/**
 * Evaluates Prometheus rule groups the way Prometheus does, one evaluation at a time: groups in file order,
 * rules in order, recording results visible to the rules after them (and kept as series for later ranges),
 * and every alerting rule through the states inactive → pending → firing → resolved, firing once its
 * condition has held for its `for` duration. Durations are divided by the demo time scale.
 */
import type { Expr, Matcher } from './promql/ast.js';
import {
  evaluate,
  type Labels,
  matches,
  type Series,
  type SeriesSource,
  signature,
} from './promql/evaluate.js';
import { parseDurationMs, parsePromql } from './promql/parse.js';

export interface RuleSpec {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
export interface RuleGroupSpec {
  readonly name: string;
  readonly rules: readonly RuleSpec[];
}

export type AlertState = 'pending' | 'firing';

export interface ActiveAlert {
  readonly labels: Labels;
  readonly annotations: Labels;
  state: AlertState;
  activeAt: number;
  firedAt: number | null;
  value: number;
}

export interface AlertTransition {
  readonly at: number;
  readonly labels: Labels;
  readonly from: AlertState | 'inactive';
  readonly to: AlertState | 'resolved';
}

interface CompiledRule {
  readonly spec: RuleSpec;
  readonly expr: Expr;
  readonly forMs: number;
  readonly active: Map<string, ActiveAlert>;
}

export function renderTemplate(text: string, labels: Labels, value: number): string {
  return text
    .replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, name: string) => labels[name] ?? '')
    .replace(/\{\{\s*\$value\s*\}\}/g, String(value));
}

/** Recorded series, kept for `retentionMs` so ranges over them (avg_over_time) work. */
class RecordedSeries {
  private readonly series = new Map<string, { labels: Labels; samples: Array<{ t: number; v: number }> }>();
  constructor(private readonly retentionMs: number) {}
  add(labels: Labels, t: number, v: number): void {
    const key = `${labels.__name__}\u0002${signature(labels)}`;
    const s = this.series.get(key) ?? { labels, samples: [] };
    s.samples.push({ t, v });
    while (s.samples.length > 0 && (s.samples[0]?.t ?? t) < t - this.retentionMs) s.samples.shift();
    this.series.set(key, s);
  }
  select(matchers: readonly Matcher[], from: number, to: number): Series[] {
    const out: Series[] = [];
    for (const s of this.series.values()) {
      if (!matches(s.labels, matchers)) continue;
      const samples = s.samples.filter((x) => x.t >= from && x.t <= to);
      if (samples.length > 0) out.push({ labels: s.labels, samples });
    }
    return out;
  }
}

export class RuleEngine {
  private readonly groups: Array<{ name: string; rules: CompiledRule[] }>;
  private readonly recorded: RecordedSeries;
  readonly history: AlertTransition[] = [];

  constructor(
    groups: readonly RuleGroupSpec[],
    private readonly source: SeriesSource,
    options: { timeScale?: number; recordedRetentionMs?: number } = {},
  ) {
    const scale = options.timeScale ?? 1;
    this.recorded = new RecordedSeries(options.recordedRetentionMs ?? 31 * 86_400_000);
    this.groups = groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((spec) => ({
        spec,
        expr: parsePromql(spec.expr, scale),
        forMs: Math.round(parseDurationMs(spec.for ?? '0s') / scale),
        active: new Map(),
      })),
    }));
  }

  private readonly combined: SeriesSource = {
    select: (matchers, from, to) => [
      ...this.source.select(matchers, from, to),
      ...this.recorded.select(matchers, from, to),
    ],
  };

  /** One evaluation of every group at time `t` (ms). */
  evaluate(t: number): void {
    for (const group of this.groups) {
      for (const rule of group.rules) {
        const value = evaluate(rule.expr, t, this.combined);
        const samples = value.kind === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples;
        if (rule.spec.record) {
          for (const s of samples) {
            const { __name__: _n, ...rest } = s.labels;
            this.recorded.add(
              { ...rest, ...(rule.spec.labels ?? {}), __name__: rule.spec.record },
              t,
              s.value,
            );
          }
          continue;
        }
        this.alert(rule, samples, t);
      }
    }
  }

  private alert(
    rule: CompiledRule,
    samples: ReadonlyArray<{ labels: Labels; value: number }>,
    t: number,
  ): void {
    const alertname = rule.spec.alert ?? '';
    const seen = new Set<string>();
    for (const s of samples) {
      const { __name__: _n, ...base } = s.labels;
      const labels: Record<string, string> = { ...base };
      for (const [k, v] of Object.entries(rule.spec.labels ?? {}))
        labels[k] = renderTemplate(v, base, s.value);
      labels.alertname = alertname;
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(rule.spec.annotations ?? {}))
        annotations[k] = renderTemplate(v, labels, s.value);
      const key = signature(labels);
      seen.add(key);
      const existing = rule.active.get(key);
      if (existing) {
        existing.value = s.value;
        continue;
      }
      rule.active.set(key, {
        labels,
        annotations,
        state: 'pending',
        activeAt: t,
        firedAt: null,
        value: s.value,
      });
      this.history.push({ at: t, labels, from: 'inactive', to: 'pending' });
    }
    for (const [key, a] of rule.active) {
      if (!seen.has(key)) {
        rule.active.delete(key);
        this.history.push({
          at: t,
          labels: a.labels,
          from: a.state,
          to: a.state === 'firing' ? 'resolved' : 'resolved',
        });
        continue;
      }
      if (a.state === 'pending' && t - a.activeAt >= rule.forMs) {
        a.state = 'firing';
        a.firedAt = t;
        this.history.push({ at: t, labels: a.labels, from: 'pending', to: 'firing' });
      }
    }
  }

  /** The series the recording rules produced (for tests and the SLO API). */
  recordedSelect(matchers: readonly Matcher[], from: number, to: number): Series[] {
    return this.recorded.select(matchers, from, to);
  }

  /** Alerts pending or firing now. */
  activeAlerts(): ActiveAlert[] {
    return this.groups.flatMap((g) => g.rules.flatMap((r) => [...r.active.values()]));
  }
}

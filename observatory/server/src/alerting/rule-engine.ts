/**
 * Evaluates Prometheus rule groups the way Prometheus does, one evaluation at a time: groups in file order,
 * rules in order, recording results visible to the rules after them (kept as series for later ranges, and
 * ended by a stale marker when a rule stops producing them), and every alerting rule through the states
 * inactive → pending → firing → resolved, firing once its condition has held for its `for` duration. Durations
 * are divided by the demo time scale. A rule that fails to evaluate is reported with its error (health `err`),
 * as Prometheus's rule API does; the others go on.
 */
import type { Expr, Matcher } from './promql/ast.js';
import { evaluate, type Labels, type Series, type SeriesSource, signature } from './promql/evaluate.js';
import { parseDurationMs, parsePromql } from './promql/parse.js';
import { retentionPolicy, type Selector, selectorsOf } from './retention.js';
import { SeriesStore } from './series-store.js';

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
  /** The rule file the group came from (shown by the rules API). */
  readonly file?: string;
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
  readonly annotations: Labels;
  readonly from: AlertState | 'inactive';
  /** `inactive`: a pending alert whose condition stopped before it fired; `resolved`: a firing one. */
  readonly to: AlertState | 'inactive' | 'resolved';
  readonly activeAt: number;
  readonly firedAt: number | null;
  readonly value: number;
}

export interface RuleStatus {
  readonly kind: 'recording' | 'alerting';
  readonly name: string;
  readonly spec: RuleSpec;
  readonly forMs: number;
  health: 'unknown' | 'ok' | 'err';
  lastError: string;
  lastEvaluation: number | null;
  evaluationMs: number;
  readonly active: Map<string, ActiveAlert>;
}

interface CompiledRule extends RuleStatus {
  readonly expr: Expr;
  /** Recording rules: the series produced at the last evaluation (the others get a stale marker). */
  produced: Map<string, Labels>;
}

export interface GroupStatus {
  readonly name: string;
  readonly file: string;
  readonly rules: readonly RuleStatus[];
  lastEvaluation: number | null;
  evaluationMs: number;
}

/** Renders the `{{ $labels.x }}` and `{{ $value }}` templates of labels and annotations. */
export function renderTemplate(text: string, labels: Labels, value: number): string {
  return text
    .replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_m, name: string) => labels[name] ?? '')
    .replace(/\{\{\s*\$value\s*\}\}/g, String(value));
}

export interface RuleEngineOptions {
  readonly timeScale?: number;
  /** Where recorded series are kept; default a store keeping what the rules read. */
  readonly recorded?: SeriesStore;
  /** Transitions kept in `history` (oldest dropped first). Default 1000. */
  readonly historyLimit?: number;
}

/** The recorded series are trimmed to what the rules read every this many evaluations. */
const COMPACT_EVERY = 10;

export class RuleEngine {
  private evaluations = 0;
  private readonly groups: Array<Omit<GroupStatus, 'rules'> & { rules: CompiledRule[] }>;
  private readonly recorded: SeriesStore;
  private readonly historyLimit: number;
  readonly history: AlertTransition[] = [];

  constructor(
    groups: readonly RuleGroupSpec[],
    private readonly source: SeriesSource,
    options: RuleEngineOptions = {},
  ) {
    const scale = options.timeScale ?? 1;
    this.historyLimit = options.historyLimit ?? 1000;
    this.groups = groups.map((g) => ({
      name: g.name,
      file: g.file ?? '',
      lastEvaluation: null,
      evaluationMs: 0,
      rules: g.rules.map((spec) => ({
        kind: spec.record ? ('recording' as const) : ('alerting' as const),
        name: spec.record ?? spec.alert ?? '',
        spec,
        expr: parsePromql(spec.expr, scale),
        forMs: Math.round(parseDurationMs(spec.for ?? '0s') / scale),
        health: 'unknown' as const,
        lastError: '',
        lastEvaluation: null,
        evaluationMs: 0,
        active: new Map(),
        produced: new Map(),
      })),
    }));
    this.recorded =
      options.recorded ??
      new SeriesStore(
        retentionPolicy(this.selectors(), {
          timeScale: scale,
          recorded: this.recordedNames(),
          keepUnread: true,
        }),
      );
  }

  /** Every selector of every rule (what the series stores must keep). */
  selectors(): Selector[] {
    return this.groups.flatMap((g) => g.rules.flatMap((r) => selectorsOf(r.expr)));
  }

  /** The names recording rules produce. */
  recordedNames(): Set<string> {
    return new Set(
      this.groups.flatMap((g) => g.rules.flatMap((r) => (r.spec.record ? [r.spec.record] : []))),
    );
  }

  private readonly combined: SeriesSource = {
    select: (matchers, from, to, instant) => [
      ...this.source.select(matchers, from, to, instant),
      ...this.recorded.select(matchers, from, to, instant),
    ],
  };

  /** One evaluation of every group at time `t` (ms); returns the alert transitions it made. */
  evaluate(t: number): AlertTransition[] {
    const made: AlertTransition[] = [];
    for (const group of this.groups) {
      const groupStart = performance.now();
      for (const rule of group.rules) {
        const start = performance.now();
        try {
          const value = evaluate(rule.expr, t, this.combined);
          const samples = value.kind === 'scalar' ? [{ labels: {}, value: value.value }] : value.samples;
          if (rule.spec.record) this.record(rule, samples, t);
          else made.push(...this.alert(rule, samples, t));
          rule.health = 'ok';
          rule.lastError = '';
        } catch (err) {
          rule.health = 'err';
          rule.lastError = (err as Error).message;
        }
        rule.lastEvaluation = t;
        rule.evaluationMs = performance.now() - start;
      }
      group.lastEvaluation = t;
      group.evaluationMs = performance.now() - groupStart;
    }
    this.history.push(...made);
    if (this.history.length > this.historyLimit) {
      this.history.splice(0, this.history.length - this.historyLimit);
    }
    if (++this.evaluations % COMPACT_EVERY === 0) this.recorded.compact(t);
    return made;
  }

  private record(rule: CompiledRule, samples: ReadonlyArray<{ labels: Labels; value: number }>, t: number) {
    const produced = new Map<string, Labels>();
    for (const s of samples) {
      const { __name__: _n, ...rest } = s.labels;
      const labels = { ...rest, ...(rule.spec.labels ?? {}), __name__: rule.spec.record ?? '' };
      this.recorded.append(labels, t, s.value);
      produced.set(signature(labels), labels);
    }
    for (const [key, labels] of rule.produced) if (!produced.has(key)) this.recorded.markStale(labels, t);
    rule.produced = produced;
  }

  private alert(
    rule: CompiledRule,
    samples: ReadonlyArray<{ labels: Labels; value: number }>,
    t: number,
  ): AlertTransition[] {
    const made: AlertTransition[] = [];
    const note = (a: ActiveAlert, from: AlertTransition['from'], to: AlertTransition['to']) =>
      made.push({
        at: t,
        labels: a.labels,
        annotations: a.annotations,
        from,
        to,
        activeAt: a.activeAt,
        firedAt: a.firedAt,
        value: a.value,
      });
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
      const a: ActiveAlert = {
        labels,
        annotations,
        state: 'pending',
        activeAt: t,
        firedAt: null,
        value: s.value,
      };
      rule.active.set(key, a);
      note(a, 'inactive', 'pending');
    }
    for (const [key, a] of rule.active) {
      if (!seen.has(key)) {
        rule.active.delete(key);
        note(a, a.state, a.state === 'firing' ? 'resolved' : 'inactive');
        continue;
      }
      if (a.state === 'pending' && t - a.activeAt >= rule.forMs) {
        a.state = 'firing';
        a.firedAt = t;
        note(a, 'pending', 'firing');
      }
    }
    return made;
  }

  /** The series the recording rules produced (for tests and the SLO API). */
  recordedSelect(matchers: readonly Matcher[], from: number, to: number, instant = false): Series[] {
    return this.recorded.select(matchers, from, to, instant);
  }

  /** Alerts pending or firing now. */
  activeAlerts(): ActiveAlert[] {
    return this.groups.flatMap((g) => g.rules.flatMap((r) => [...r.active.values()]));
  }

  /** Every group with its rules' health and active alerts (the rules API). */
  status(): readonly GroupStatus[] {
    return this.groups;
  }
}

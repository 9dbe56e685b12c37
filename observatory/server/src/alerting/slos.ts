/**
 * The SLOs as the rule files describe them (Sloth's generated groups: `sloth-slo-sli-recordings-<id>`, the
 * objective in `slo:objective:ratio`, the burn alerts with their runbook), and their state after each
 * evaluation: the SLI per window, the burn rate per window (error ratio over the error budget), the error
 * budget remaining over the SLO period, and a bounded history of burn rates for the console's chart.
 */
import { PAGE_POLICY, SLI_WINDOWS, TICKET_POLICY } from '@glassbox/contracts/slo-policy';
import type { Labels, Series } from './promql/evaluate.js';
import type { RuleGroupSpec } from './rule-engine.js';

export interface SloAlertInfo {
  readonly name: string;
  readonly severity: string;
  readonly forDuration: string;
  readonly conditions: ReadonlyArray<{ factor: number; long: string; short: string }>;
}

export interface SloInfo {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly owner: string;
  readonly objective: number;
  /** The service that the burn alerts name (their `service` label). */
  readonly alertService: string;
  readonly summary: string;
  readonly description: string;
  readonly runbookUrl: string;
  readonly alerts: readonly SloAlertInfo[];
}

/** The SLOs the rule files define, in file order. */
export function sloCatalog(groups: readonly RuleGroupSpec[]): SloInfo[] {
  const out: SloInfo[] = [];
  for (const g of groups) {
    const m = /^sloth-slo-sli-recordings-(.+)$/.exec(g.name);
    if (!m) continue;
    const id = m[1] as string;
    const labels = g.rules[0]?.labels ?? {};
    const meta = groups.find((x) => x.name === `sloth-slo-meta-recordings-${id}`);
    const objectiveExpr = meta?.rules.find((r) => r.record === 'slo:objective:ratio')?.expr ?? '';
    const objective = Number(/vector\(([\d.eE+-]+)\)/.exec(objectiveExpr)?.[1] ?? Number.NaN);
    const alerts = groups.find((x) => x.name === `sloth-slo-alerts-${id}`)?.rules ?? [];
    const first = alerts[0];
    out.push({
      id,
      service: labels.sloth_service ?? '',
      name: labels.sloth_slo ?? id,
      owner: labels.owner ?? '',
      objective,
      alertService: first?.labels?.service ?? '',
      summary: first?.annotations?.summary ?? '',
      description: (first?.annotations?.description ?? '').replace(/ Error budget burning at .*$/, ''),
      runbookUrl: first?.annotations?.runbook_url ?? '',
      alerts: alerts.flatMap((a) => {
        const severity = a.labels?.severity ?? '';
        const policy = severity === 'page' ? PAGE_POLICY : severity === 'ticket' ? TICKET_POLICY : null;
        return a.alert && policy
          ? [{ name: a.alert, severity, forDuration: a.for ?? '0s', conditions: policy.conditions }]
          : [];
      }),
    });
  }
  return out;
}

export type Window = (typeof SLI_WINDOWS)[number];

export interface SloState {
  /** Error ratio per window (null: no traffic, no data yet). */
  readonly errorRatio: Readonly<Record<Window, number | null>>;
  readonly budgetRemaining: number | null;
}

export interface SloPoint {
  readonly t: number;
  /** Burn rate per window. */
  readonly burn: Readonly<Record<Window, number | null>>;
}

/** What the tracker reads: recorded series by matchers, newest sample only. */
export type RecordedReader = (matchers: ReadonlyArray<{ name: string; op: '='; value: string }>) => Series[];

const finiteOrNull = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);

export class SloTracker {
  private readonly states = new Map<string, SloState>();
  private readonly history = new Map<string, SloPoint[]>();

  /**
   * @param spacingMs at most one history point per this interval
   * @param maxPoints history points kept per SLO
   */
  constructor(
    readonly catalog: readonly SloInfo[],
    private readonly spacingMs: number,
    private readonly maxPoints = 720,
  ) {}

  record(t: number, read: RecordedReader): void {
    for (const slo of this.catalog) {
      const value = (name: string, extra: Labels = {}) =>
        finiteOrNull(
          read([
            { name: '__name__', op: '=', value: name },
            { name: 'sloth_id', op: '=', value: slo.id },
            ...Object.entries(extra).map(([k, v]) => ({ name: k, op: '=' as const, value: v })),
          ])[0]?.samples.at(-1)?.v,
        );
      const errorRatio = Object.fromEntries(
        SLI_WINDOWS.map((w) => [w, value(`slo:sli_error:ratio_rate${w}`)]),
      ) as Record<Window, number | null>;
      const state = { errorRatio, budgetRemaining: value('slo:period_error_budget_remaining:ratio') };
      this.states.set(slo.id, state);
      const points = this.history.get(slo.id) ?? [];
      const last = points.at(-1);
      if (!last || t - last.t >= this.spacingMs) {
        const budget = 1 - slo.objective;
        const burn = Object.fromEntries(
          SLI_WINDOWS.map((w) => [w, errorRatio[w] === null ? null : (errorRatio[w] as number) / budget]),
        ) as Record<Window, number | null>;
        points.push({ t, burn });
        if (points.length > this.maxPoints) points.splice(0, points.length - this.maxPoints);
        this.history.set(slo.id, points);
      }
    }
  }

  state(id: string): SloState | undefined {
    return this.states.get(id);
  }

  /** History points in [from, to], at most `maxPoints` (evenly picked). */
  points(id: string, from: number, to: number, maxPoints = 240): SloPoint[] {
    const inRange = (this.history.get(id) ?? []).filter((p) => p.t >= from && p.t <= to);
    if (inRange.length <= maxPoints) return inRange;
    const step = inRange.length / maxPoints;
    return Array.from({ length: maxPoints }, (_, i) => inRange[Math.floor(i * step)] as SloPoint);
  }
}

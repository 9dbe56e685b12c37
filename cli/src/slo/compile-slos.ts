/**
 * Compiles Sloth `prometheus/v1` SLOs into Prometheus rules, as Sloth does: per SLO, SLI error-ratio
 * recording rules over every window (`slo:sli_error:ratio_rate5m` … `_rate3d`), metadata rules (objective,
 * error budget, current burn rate, budget remaining over the period), and a page and a ticket alert with the
 * multi-window multi-burn-rate conditions of policy. A time scale divides every range and `for` duration.
 * Pure: text in, rule groups out.
 */
import {
  type AlertPolicy,
  formatDuration,
  PAGE_POLICY,
  SLI_WINDOWS,
  SLO_PERIOD,
  scaleDuration,
  scaledEvaluationIntervalMs,
  TICKET_POLICY,
} from '@glassbox/contracts/slo-policy';
import type { AlertingRule, RecordingRule, RuleGroup } from './rules.js';
import type { SlothSlo, SlothSpec } from './sloth-spec.js';

export interface CompileOptions {
  /** Divides every window and `for` duration (1 = real time). */
  readonly timeScale: number;
}

/** A number as PromQL prints it, without float noise (`1 - 0.999` → `0.001`). */
export function promNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** The error budget of an objective given in percent (99.9 → 0.001). */
export function errorBudget(objectivePercent: number): number {
  return Number((1 - objectivePercent / 100).toPrecision(12));
}

const WINDOW = /\{\{\s*\.window\s*\}\}/g;

function withWindow(query: string, window: string): string {
  return query.replace(WINDOW, window).trim();
}

/** The SLI error ratio over one window. Missing error series count as no errors (`or vector(0)`). */
function sliExpr(slo: SlothSlo, range: string): string {
  if (slo.sli.raw) return `(${withWindow(slo.sli.raw.error_ratio_query, range)})`;
  const events = slo.sli.events;
  if (!events) throw new Error(`SLO ${slo.name} has no SLI`);
  return `(\n  (${withWindow(events.error_query, range)})\n  or vector(0)\n)\n/\n(${withWindow(events.total_query, range)})`;
}

export function sloId(spec: SlothSpec, slo: SlothSlo): string {
  return `${spec.service}-${slo.name}`;
}

function sloLabels(spec: SlothSpec, slo: SlothSlo): Record<string, string> {
  return {
    ...(spec.labels ?? {}),
    ...(slo.labels ?? {}),
    sloth_id: sloId(spec, slo),
    sloth_service: spec.service,
    sloth_slo: slo.name,
  };
}

function selector(id: string): string {
  return `{sloth_id="${id}"}`;
}

function describePolicy(policy: AlertPolicy, objective: number): string {
  const conditions = policy.conditions.map((c) => `${c.factor}× over ${c.long} and ${c.short}`).join(', or ');
  return `Error budget burning at ${conditions} (objective ${objective} % over ${SLO_PERIOD}).`;
}

function alertRule(spec: SlothSpec, slo: SlothSlo, policy: AlertPolicy, scale: number): AlertingRule | null {
  const override = policy.severity === 'page' ? slo.alerting.page_alert : slo.alerting.ticket_alert;
  if (override?.disable) return null;
  const id = sloId(spec, slo);
  const budget = promNumber(errorBudget(slo.objective));
  const condition = (factor: number, window: string) =>
    `max(slo:sli_error:ratio_rate${window}${selector(id)} > (${promNumber(factor)} * ${budget})) without (sloth_window)`;
  const expr = policy.conditions
    .map((c) => `(\n  ${condition(c.factor, c.short)}\n  and\n  ${condition(c.factor, c.long)}\n)`)
    .join('\nor\n');
  const annotations: Record<string, string> = {
    summary: `${id}: error budget burn (${policy.severity})`,
    description: `${slo.description ? `${slo.description.trim()} ` : ''}${describePolicy(policy, slo.objective)}`,
    ...(slo.alerting.annotations ?? {}),
    ...(override?.annotations ?? {}),
  };
  return {
    alert: slo.alerting.name,
    expr,
    for: scaleDuration(policy.for, scale),
    labels: {
      ...(slo.alerting.labels ?? {}),
      ...(override?.labels ?? {}),
      severity: override?.labels?.severity ?? policy.severity,
      sloth_severity: policy.severity,
    },
    annotations,
  };
}

/** The three rule groups of one SLO: SLI recordings, metadata recordings, alerts. */
export function compileSlo(spec: SlothSpec, slo: SlothSlo, options: CompileOptions): RuleGroup[] {
  const scale = options.timeScale;
  const id = sloId(spec, slo);
  const labels = sloLabels(spec, slo);
  const budget = promNumber(errorBudget(slo.objective));
  const interval = scale === 1 ? {} : { interval: formatDuration(scaledEvaluationIntervalMs(scale)) };
  const sli: RecordingRule[] = SLI_WINDOWS.map((window) => ({
    record: `slo:sli_error:ratio_rate${window}`,
    expr: sliExpr(slo, scaleDuration(window, scale)),
    labels: { ...labels, sloth_window: window },
  }));
  const meta: RecordingRule[] = [
    { record: 'slo:objective:ratio', expr: `vector(${promNumber(slo.objective / 100)})`, labels },
    { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels },
    {
      record: 'slo:current_burn_rate:ratio',
      expr: `sum without (sloth_window) (slo:sli_error:ratio_rate5m${selector(id)}) / ${budget}`,
      labels,
    },
    {
      record: 'slo:period_error_budget_remaining:ratio',
      expr: `1 - sum without (sloth_window) (avg_over_time(slo:sli_error:ratio_rate5m${selector(id)}[${scaleDuration(SLO_PERIOD, scale)}])) / ${budget}`,
      labels,
    },
  ];
  const alerts = [
    alertRule(spec, slo, PAGE_POLICY, scale),
    alertRule(spec, slo, TICKET_POLICY, scale),
  ].filter((r): r is AlertingRule => r !== null);
  return [
    { name: `sloth-slo-sli-recordings-${id}`, ...interval, rules: sli },
    { name: `sloth-slo-meta-recordings-${id}`, ...interval, rules: meta },
    { name: `sloth-slo-alerts-${id}`, ...interval, rules: alerts },
  ];
}

/** Every SLO of every spec, in file order. */
export function compileSlos(specs: readonly SlothSpec[], options: CompileOptions): RuleGroup[] {
  return specs.flatMap((spec) => spec.slos.flatMap((slo) => compileSlo(spec, slo, options)));
}

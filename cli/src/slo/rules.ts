/** The shapes of a Prometheus rule file (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/). */

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval of this group (only in scaled files; the global one otherwise). */
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}

/** The labels every alert must carry and the annotations every alert must explain itself with. */
export const REQUIRED_ALERT_LABELS = ['severity', 'service'] as const;
export const REQUIRED_ALERT_ANNOTATIONS = ['summary', 'description', 'runbook_url'] as const;

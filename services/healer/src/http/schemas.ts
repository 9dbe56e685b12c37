import { type Static, Type } from 'typebox';

const LabelSet = Type.Record(Type.String(), Type.String());

/** One alert of an Alertmanager webhook notification (version 4). */
export const WebhookAlert = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: LabelSet,
  annotations: LabelSet,
  startsAt: Type.String({ format: 'date-time' }),
  endsAt: Type.String(),
  generatorURL: Type.String(),
  fingerprint: Type.String({ minLength: 1, maxLength: 64 }),
});

/** Alertmanager's webhook payload, version 4 (what Alertmanager and the observatory send). */
export const WebhookPayload = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String(),
  truncatedAlerts: Type.Integer({ minimum: 0 }),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  receiver: Type.String(),
  groupLabels: LabelSet,
  commonLabels: LabelSet,
  commonAnnotations: LabelSet,
  externalURL: Type.String(),
  alerts: Type.Array(WebhookAlert, { maxItems: 1000 }),
});
export type WebhookPayload = Static<typeof WebhookPayload>;

export const Receipt = Type.Object({
  fingerprint: Type.String(),
  alertname: Type.String(),
  outcome: Type.Union([
    Type.Literal('started'),
    Type.Literal('duplicate'),
    Type.Literal('no-runbook'),
    Type.Literal('resolved-notice'),
  ]),
  runbook: Type.Optional(Type.String()),
});

export const Remediation = Type.Object({
  id: Type.String(),
  incident: Type.String(),
  alertname: Type.String(),
  alertLabels: LabelSet,
  alertStartsAt: Type.String(),
  runbook: Type.String(),
  step: Type.Integer(),
  action: Type.String(),
  target: Type.String(),
  decision: Type.String(),
  status: Type.String(),
  detail: Type.Union([Type.String(), Type.Null()]),
  verification: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  traceId: Type.Union([Type.String(), Type.Null()]),
});

export const RemediationList = Type.Object({
  mode: Type.Object({
    dryRun: Type.Boolean(),
    approval: Type.String(),
    cooldownSeconds: Type.Number(),
    maxActionsPerHour: Type.Integer(),
  }),
  runbooks: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      match: Type.Array(Type.String()),
      actions: Type.Array(Type.String()),
    }),
  ),
  remediations: Type.Array(Remediation),
});

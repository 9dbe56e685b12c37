import { z } from 'zod';

// Every response of the query API is parsed here, at the edge, into typed domain objects.
// Units are in the names: `...Ms` are milliseconds (durations or unix ms), `...UnixNano` are unix
// nanoseconds kept as decimal strings (they do not fit a double exactly).

const finite = z.number().finite();
/** A latency or ratio that the server may leave empty (no data in a bucket). */
const maybeNumber = finite.nullable().catch(null);
const unixNano = z.string().regex(/^\d+$/, 'unix nanoseconds as a decimal string');

export const spanKinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKind = (typeof spanKinds)[number];
export const statusCodes = ['unset', 'ok', 'error'] as const;
export type StatusCode = (typeof statusCodes)[number];

/** OTLP enum value as a number (2), a name ('server') or the proto name ('SPAN_KIND_SERVER'). */
function otlpEnum<T extends string>(names: readonly T[], prefix: string) {
  return z.union([z.number().int(), z.string()]).transform((value, ctx): T => {
    const name =
      typeof value === 'number' ? names[value] : (value.toLowerCase().replace(prefix, '') as T | undefined);
    if (name !== undefined && names.includes(name)) return name;
    ctx.addIssue({ code: 'custom', message: `unknown value ${JSON.stringify(value)}` });
    return z.NEVER;
  });
}
export const spanKindSchema = otlpEnum(spanKinds, 'span_kind_');
export const statusCodeSchema = otlpEnum(statusCodes, 'status_code_');

export const attributesSchema = z.record(z.string(), z.unknown());
export type Attributes = z.infer<typeof attributesSchema>;

export const problemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

// ---- services ---------------------------------------------------------------------------------

export const servicesResponseSchema = z.object({
  services: z.array(z.object({ name: z.string(), spanCount: finite, lastSeenMs: finite })),
});
export type ServiceSummary = z.infer<typeof servicesResponseSchema>['services'][number];

export const operationsResponseSchema = z.object({
  operations: z.array(z.object({ name: z.string(), spanKind: spanKindSchema })),
});
export type Operation = z.infer<typeof operationsResponseSchema>['operations'][number];

// ---- traces -----------------------------------------------------------------------------------

export const traceSummarySchema = z.object({
  traceId: z.string(),
  rootService: z.string(),
  rootName: z.string(),
  startTimeMs: finite,
  durationMs: finite,
  spanCount: finite,
  errorCount: finite,
  services: z.array(z.object({ name: z.string(), spanCount: finite })),
});
export type TraceSummary = z.infer<typeof traceSummarySchema>;

export const tracesResponseSchema = z.object({ traces: z.array(traceSummarySchema) });

export const spanEventSchema = z.object({
  name: z.string(),
  timeUnixNano: unixNano,
  attributes: attributesSchema.default({}),
  droppedAttributesCount: finite.default(0),
});
export type SpanEvent = z.infer<typeof spanEventSchema>;

export const spanLinkSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  traceState: z.string().optional(),
  attributes: attributesSchema.default({}),
});
export type SpanLink = z.infer<typeof spanLinkSchema>;

export const spanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string(),
  name: z.string(),
  kind: spanKindSchema,
  service: z.string(),
  startTimeUnixNano: unixNano,
  endTimeUnixNano: unixNano,
  startTimeMs: finite,
  durationMs: finite,
  statusCode: statusCodeSchema,
  statusMessage: z.string().default(''),
  attributes: attributesSchema.default({}),
  resource: attributesSchema.default({}),
  scopeName: z.string().default(''),
  scopeVersion: z.string().default(''),
  events: z.array(spanEventSchema).default([]),
  links: z.array(spanLinkSchema).default([]),
  /** OTLP Span.flags: W3C trace flags in bits 0–7 (1 = sampled). */
  flags: finite.default(0),
  droppedAttributesCount: finite.default(0),
  droppedEventsCount: finite.default(0),
  droppedLinksCount: finite.default(0),
});
export type Span = z.infer<typeof spanSchema>;

export const traceResponseSchema = z.object({ traceId: z.string(), spans: z.array(spanSchema) });
export type Trace = z.infer<typeof traceResponseSchema>;

// ---- logs -------------------------------------------------------------------------------------

export const logRecordSchema = z.object({
  timeUnixNano: unixNano,
  timeMs: finite,
  severityNumber: finite,
  severityText: z.string().default(''),
  body: z.string(),
  service: z.string(),
  traceId: z.string().default(''),
  spanId: z.string().default(''),
  attributes: attributesSchema.default({}),
  resource: attributesSchema.default({}),
});
export type LogRecord = z.infer<typeof logRecordSchema>;

export const logsResponseSchema = z.object({ logs: z.array(logRecordSchema) });

// ---- metrics ----------------------------------------------------------------------------------

export const metricTypeSchema = z.enum(['gauge', 'sum', 'histogram', 'exp_histogram', 'summary']);
export type MetricType = z.infer<typeof metricTypeSchema>;

export const metricInfoSchema = z.object({
  name: z.string(),
  type: metricTypeSchema,
  unit: z.string().default(''),
  description: z.string().default(''),
  services: z.array(z.string()).default([]),
});
export type MetricInfo = z.infer<typeof metricInfoSchema>;

export const metricsResponseSchema = z.object({ metrics: z.array(metricInfoSchema) });

export const metricFunctions = ['rate', 'increase', 'sum', 'avg', 'max', 'p50', 'p90', 'p95', 'p99'] as const;
export type MetricFunction = (typeof metricFunctions)[number];

export const metricSeriesSchema = z.object({
  labels: z.record(z.string(), z.string()).default({}),
  points: z.array(z.tuple([finite, maybeNumber])),
});
export type MetricSeries = z.infer<typeof metricSeriesSchema>;

export const metricQueryResponseSchema = z.object({
  name: z.string(),
  fn: z.string(),
  stepMs: finite,
  series: z.array(metricSeriesSchema),
});
export type MetricQueryResult = z.infer<typeof metricQueryResponseSchema>;

// ---- RED, dependencies, self ------------------------------------------------------------------

export const redPointSchema = z.object({
  tMs: finite,
  requestRate: finite,
  errorRatio: maybeNumber,
  p95Ms: maybeNumber,
});
export type RedPoint = z.infer<typeof redPointSchema>;

export const redServiceSchema = z.object({
  service: z.string(),
  requestCount: finite.optional(),
  errorCount: finite.optional(),
  requestRate: finite,
  errorRatio: maybeNumber,
  p50Ms: maybeNumber,
  p95Ms: maybeNumber,
  p99Ms: maybeNumber,
  series: z.array(redPointSchema).default([]),
});
export type RedService = z.infer<typeof redServiceSchema>;

export const redResponseSchema = z.object({ services: z.array(redServiceSchema) });

export const redRouteSchema = z.object({
  route: z.string(),
  requestCount: finite.optional(),
  errorCount: finite.optional(),
  requestRate: finite,
  errorRatio: maybeNumber,
  p50Ms: maybeNumber,
  p95Ms: maybeNumber,
  p99Ms: maybeNumber,
  series: z.array(redPointSchema).default([]),
});
export type RedRoute = z.infer<typeof redRouteSchema>;

export const redRoutesResponseSchema = z.object({
  service: z.string().optional(),
  routes: z.array(redRouteSchema),
});

export const dependenciesResponseSchema = z.object({
  nodes: z.array(z.object({ service: z.string() })),
  edges: z.array(
    z.object({
      parent: z.string(),
      child: z.string(),
      callCount: finite,
      errorCount: finite,
      p50Ms: maybeNumber,
      p95Ms: maybeNumber,
    }),
  ),
});
export type Dependencies = z.infer<typeof dependenciesResponseSchema>;
export type DependencyEdge = Dependencies['edges'][number];

const signalCounts = z.object({
  spans: finite.default(0),
  logs: finite.default(0),
  metricPoints: finite.default(0),
});

/** `/api/self`; the ingest numbers are null when the query API runs without an ingest side. */
export const selfResponseSchema = z.object({
  ingest: z
    .object({
      spansPerSec: finite,
      logsPerSec: finite,
      metricPointsPerSec: finite,
      accepted: signalCounts,
      rejected: signalCounts,
      dropped: signalCounts,
    })
    .nullable(),
  queueDepth: finite.nullable(),
  storeBytes: finite.nullable(),
  storeMaxBytes: finite.optional(),
  retentionHours: finite.optional(),
  evicted: signalCounts.optional(),
  uptimeSec: finite.optional(),
  queryLatencyMs: z.object({ p50: maybeNumber, p95: maybeNumber }),
});
export type SelfHealth = z.infer<typeof selfResponseSchema>;

// ---- SLOs and alerts --------------------------------------------------------------------------

const labelsSchema = z.record(z.string(), z.string());
export const sloWindows = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type SloWindow = (typeof sloWindows)[number];
const perWindow = z.object(
  Object.fromEntries(sloWindows.map((w) => [w, maybeNumber])) as Record<SloWindow, typeof maybeNumber>,
);
export const alertStates = ['pending', 'firing'] as const;

export const activeAlertSchema = z.object({
  name: z.string(),
  state: z.enum(alertStates),
  severity: z.string(),
  service: z.string(),
  labels: labelsSchema,
  annotations: labelsSchema,
  activeAtMs: finite,
  firedAtMs: finite.nullable(),
  value: maybeNumber,
});
export type ActiveAlert = z.infer<typeof activeAlertSchema>;

export const alertTransitionSchema = z.object({
  atMs: finite,
  name: z.string(),
  severity: z.string(),
  service: z.string(),
  from: z.enum(['inactive', 'pending', 'firing']),
  to: z.enum(['pending', 'firing', 'resolved', 'inactive']),
  labels: labelsSchema,
  annotations: labelsSchema,
  activeAtMs: finite,
  firedAtMs: finite.nullable(),
});
export type AlertTransition = z.infer<typeof alertTransitionSchema>;

export const alertsResponseSchema = z.object({
  alerts: z.array(activeAlertSchema),
  history: z.array(alertTransitionSchema),
  evaluation: z.object({
    intervalMs: finite,
    timeScale: finite,
    rules: finite,
    evaluations: finite,
    lastEvaluation: finite.nullable(),
    lastDurationMs: finite,
    lastError: z.string().nullable(),
  }),
});
export type AlertsResponse = z.infer<typeof alertsResponseSchema>;

export const sloSchema = z.object({
  id: z.string(),
  service: z.string(),
  name: z.string(),
  owner: z.string(),
  objective: finite,
  alertService: z.string(),
  summary: z.string(),
  description: z.string(),
  runbookUrl: z.string(),
  errorRatio: perWindow,
  sli: perWindow,
  burnRate: perWindow,
  errorBudgetRemaining: maybeNumber,
  alerts: z.array(
    z.object({
      name: z.string(),
      severity: z.string(),
      forDuration: z.string(),
      state: z.enum(['inactive', 'pending', 'firing']),
      conditions: z.array(z.object({ factor: finite, long: z.string(), short: z.string() })),
    }),
  ),
  history: z.array(z.object({ tMs: finite, burnRate: maybeNumber })),
});
export type Slo = z.infer<typeof sloSchema>;

export const slosResponseSchema = z.object({
  window: z.enum(sloWindows),
  startMs: finite,
  endMs: finite,
  timeScale: finite,
  thresholds: z.array(
    z.object({ severity: z.string(), factor: finite, long: z.string(), short: z.string() }),
  ),
  slos: z.array(sloSchema),
});
export type SlosResponse = z.infer<typeof slosResponseSchema>;

/** One step of a remediation, as the healer's audit log records it (GET /api/remediations). */
export const remediationSchema = z.object({
  id: z.string(),
  incident: z.string(),
  alertname: z.string(),
  alertLabels: z.record(z.string(), z.string()),
  alertStartsAt: z.string(),
  runbook: z.string(),
  step: z.number().int(),
  action: z.string(),
  target: z.string(),
  decision: z.string(),
  status: z.string(),
  detail: z.string().nullable(),
  verification: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: finite.nullable(),
  traceId: z.string().nullable(),
});
export type Remediation = z.infer<typeof remediationSchema>;

export const remediationsResponseSchema = z.object({
  mode: z.object({
    dryRun: z.boolean(),
    approval: z.string(),
    cooldownSeconds: finite,
    maxActionsPerHour: finite,
  }),
  runbooks: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      match: z.array(z.string()),
      actions: z.array(z.string()),
    }),
  ),
  remediations: z.array(remediationSchema),
});
export type RemediationsResponse = z.infer<typeof remediationsResponseSchema>;

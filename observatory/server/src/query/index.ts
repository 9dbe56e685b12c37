export { type JaegerRoutesOptions, jaegerRoutes } from './jaeger.js';
export type {
  JaegerDependencyLink,
  JaegerKeyValue,
  JaegerProcess,
  JaegerReference,
  JaegerResponse,
  JaegerSpan,
  JaegerTrace,
} from './jaeger-model.js';
export { LatencyTracker } from './latency.js';
export { type QueryRoutesOptions, queryRoutes, type SelfStatsSource } from './routes.js';
export type {
  DependencyEdge,
  DependencyGraph,
  LogRecord,
  MetricQueryResult,
  MetricSeries,
  MetricSummary,
  OperationSummary,
  QueryStore,
  RedNumbers,
  RedPoint,
  RedRoute,
  RedService,
  ServiceSummary,
  SpanEvent,
  SpanKindName,
  SpanLink,
  SpanRecord,
  StatusCodeName,
  TraceDetail,
  TraceSummary,
} from './types.js';

export { Retention, type RetentionOptions, type RetentionResult } from './retention.js';
export { applySchema, SCHEMA_VERSION, TABLES, type TableName } from './schema.js';
export { TelemetryStore } from './telemetry-store.js';
export {
  EMPTY_ENVELOPE,
  type EnvelopeColumns,
  type LogRow,
  type MetricPointRow,
  type MetricType,
  type RowCounts,
  type SpanRow,
  type StoreOptions,
  type WriteMode,
} from './types.js';
export {
  DEFAULT_WRITE_QUEUE_OPTIONS,
  type RowBatch,
  WriteQueue,
  type WriteQueueOptions,
} from './write-queue.js';

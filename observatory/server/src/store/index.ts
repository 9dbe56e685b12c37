export { Retention, type RetentionOptions, type RetentionResult } from './retention.js';
export { SCHEMA_DDL, TABLES, type TableName } from './schema.js';
export { TelemetryStore } from './telemetry-store.js';
export type {
  LogRow,
  MetricPointRow,
  MetricType,
  RowCounts,
  SpanRow,
  StoreOptions,
  WriteMode,
} from './types.js';
export {
  DEFAULT_WRITE_QUEUE_OPTIONS,
  type RowBatch,
  WriteQueue,
  type WriteQueueOptions,
} from './write-queue.js';

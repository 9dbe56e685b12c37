/**
 * Orchestrated sagas for any service: the pure runner (steps, transient vs definitive failures, pivot,
 * compensation in reverse, cancellation), the persisted `sagas` table with leases fenced by owner, and the worker
 * that runs them and resumes them after a crash (a `SKIP LOCKED` recovery loop). A service defines its saga —
 * its steps, each in its own file, and how progress projects into its own tables — and names the kit table
 * `sagas` in its database (`kitTables`).
 */
export {
  type AnySagaStep,
  CANCELLED,
  definitiveError,
  exponentialBackoff,
  initialState,
  type ProgressStore,
  type RunOptions,
  type RunOutcome,
  runSaga,
  type SagaEvent,
  type SagaFailure,
  type SagaLog,
  type SagaState,
  type SagaStatus,
  type SagaStep,
  StepError,
  toStepError,
  transientError,
} from './runner.js';
export {
  createSagaStore,
  type LoadedSaga,
  type NewSaga,
  type SagaStore,
  type SaveOptions,
  type SaveResult,
} from './store.js';
export {
  createSagaWorker,
  type RunResult,
  type SagaContext,
  type SagaDefinition,
  type SagaWorker,
  type SagaWorkerOptions,
} from './worker.js';

export {
  createOperationalApp,
  createServiceApp,
  describeValidationError,
  nameServerSpan,
  type ReadinessCheck,
  type ServiceApp,
  type ServiceAppOptions,
} from './app.js';
export {
  type AccessClaims,
  type AuthHook,
  type AuthPluginOptions,
  authPlugin,
  INTERNAL_TOKEN_HEADER,
  JWT_AUDIENCE,
  JWT_ISSUER,
  type Principal,
  principalOf,
  type Role,
  TENANT_HEADER,
  VerifiedTokenCache,
  verifyAccessToken,
  verifyWithExpiry,
} from './auth.js';
export {
  BaseConfig,
  ConfigError,
  developmentSecret,
  loadConfig,
} from './config.js';
export {
  type AppliedMigration,
  createDb,
  type Db,
  isUniqueViolation,
  migrate,
  type Queryable,
  type Transaction,
} from './db.js';
export { type DependencyCall, startDependencyCall } from './dependency-calls.js';
export {
  AppError,
  appError,
  currentTraceId,
  defineErrorCodes,
  type ErrorCode,
  type ErrorCodeDefinition,
  ErrorCodes,
  errorCodeDefinition,
  isAppError,
  type ProblemDetails,
} from './errors.js';
export { beforeDependencyCall } from './faults/dependency.js';
export { type FaultFlags, startFaultFlags } from './faults/flags.js';
export { leakedBytes } from './faults/request.js';
export { activeFaults, onFaultsChanged, setActiveFaults } from './faults/state.js';
export {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
  type HttpResponse,
  type RequestOptions,
  UpstreamError,
} from './http-client.js';
export { withClientRoute } from './http-telemetry.js';
export { remoteJwks } from './jwks.js';
export { type KitTable, migrateKitTables } from './kit-tables.js';
export { createLogger, type Logger, REDACT_PATHS } from './logger.js';
export { ProblemSchema, problemResponses } from './problem-schema.js';
export {
  type OperationalApp,
  type RunningService,
  type RunServiceOptions,
  runService,
  type ServiceContext,
} from './service.js';
export {
  createPeriodicWorker,
  type PeriodicWorker,
  type PeriodicWorkerOptions,
} from './worker/periodic-worker.js';

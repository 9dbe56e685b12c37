import { trace } from '@opentelemetry/api';

/**
 * The kit's error catalogue: the codes every service shares because HTTP and the platform raise them
 * (validation, authentication, limits, dependencies). A service's own domain codes (OUT_OF_STOCK,
 * PAYMENT_DECLINED, …) are not here: the service declares them with `defineErrorCodes` in its own
 * `src/errors.ts`, which registers them for the problem+json handler and gives it a typed `appError`.
 * Every error a service raises on purpose is an AppError; app.ts turns it into an RFC 9457 response.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'This action is not allowed for your role' },
  NOT_FOUND: { status: 404, title: 'The resource was not found' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  ALREADY_EXISTS: { status: 409, title: 'The resource already exists' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'An Idempotency-Key header is required' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The request URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The content type is not supported' },
  UPSTREAM_FAILED: { status: 502, title: 'A dependency answered with an error' },
  UPSTREAM_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  UPSTREAM_TIMEOUT: { status: 504, title: 'A dependency did not answer in time' },
  /** An unsafe request reached a service whose answer was lost: it may or may not have been applied. */
  OUTCOME_UNKNOWN: { status: 503, title: 'The outcome of the request is unknown' },
  NOT_READY: { status: 503, title: 'The service is not ready' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, ErrorCodeDefinition>;

export interface ErrorCodeDefinition {
  readonly status: number;
  readonly title: string;
}

export type ErrorCode = keyof typeof ErrorCodes;

/** Every code this process knows: the kit's, and those its service declared. */
const registry = new Map<string, ErrorCodeDefinition>(Object.entries(ErrorCodes));

/** The status and title of a known code (the kit's or a declared one). */
export function errorCodeDefinition(code: string): ErrorCodeDefinition | undefined {
  return registry.get(code);
}

/**
 * Declares a service's own error codes: registered once per process (a code declared twice must mean the
 * same status and title, so two services sharing a contract code agree), and returns an `appError` that
 * accepts the kit's codes and these, type-checked.
 */
export function defineErrorCodes<const C extends Record<string, ErrorCodeDefinition>>(
  codes: C,
): {
  codes: C;
  appError(
    code: ErrorCode | (keyof C & string),
    detail?: string,
    extensions?: Record<string, unknown>,
  ): AppError;
} {
  for (const [code, definition] of Object.entries(codes)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code)) throw new Error(`error code ${code}: use UPPER_SNAKE_CASE`);
    if (!Number.isInteger(definition.status) || definition.status < 400 || definition.status > 599) {
      throw new Error(`error code ${code}: status ${definition.status} is not a 4xx or 5xx`);
    }
    const known = registry.get(code);
    if (known && (known.status !== definition.status || known.title !== definition.title)) {
      throw new Error(
        `error code ${code} is already declared as ${known.status} "${known.title}", not ${definition.status} "${definition.title}"`,
      );
    }
    registry.set(code, definition);
  }
  return { codes, appError: (code, detail, extensions) => new AppError(code, detail, extensions) };
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  traceId?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: string,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    const definition = registry.get(code);
    // A code nobody declared is a programming error: caught by the service's tests, never a guess at a status.
    if (!definition) throw new Error(`unknown error code ${code}: declare it with defineErrorCodes`);
    super(detail ?? definition.title);
    this.name = 'AppError';
    this.status = definition.status;
    this.title = definition.title;
  }
}

/** Makes a coded error; `detail` is for humans, `extensions` become members of the problem document. */
export function appError(code: ErrorCode, detail?: string, extensions?: Record<string, unknown>): AppError {
  return new AppError(code, detail, extensions);
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

export function problemType(code: string): string {
  return `https://glassbox.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

/** The trace id of the active span, if any: put in every problem document so a client can find the trace. */
export function currentTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : undefined;
}

export function toProblem(error: AppError, instance?: string): ProblemDetails {
  // Extensions first: a member of the error's own (e.g. a `status` of some resource) never overrides the
  // standard members of the problem document.
  return {
    ...error.extensions,
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    code: error.code,
    traceId: currentTraceId(),
  };
}

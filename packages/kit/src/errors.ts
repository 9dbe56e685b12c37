import { trace } from '@opentelemetry/api';

/**
 * The one error catalogue. Every error a service raises on purpose is an AppError made by `appError`
 * with a code from here; the problem+json handler in app.ts turns it into an RFC 9457 response.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  INVALID_CREDENTIALS: { status: 401, title: 'The credentials are not valid' },
  FORBIDDEN: { status: 403, title: 'This action is not allowed for your role' },
  NOT_FOUND: { status: 404, title: 'The resource was not found' },
  CONFLICT: { status: 409, title: 'The request conflicts with the current state' },
  ALREADY_EXISTS: { status: 409, title: 'The resource already exists' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'An Idempotency-Key header is required' },
  OUT_OF_STOCK: { status: 409, title: 'Not enough stock' },
  SOLD_OUT: { status: 409, title: 'The sale is sold out' },
  LIMIT_REACHED: { status: 409, title: 'The per-customer limit of the sale is reached' },
  NOT_ACTIVE: { status: 409, title: 'The sale is not active' },
  PAYMENT_DECLINED: { status: 402, title: 'The payment was declined' },
  ILLEGAL_TRANSITION: { status: 409, title: 'The state change is not allowed' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  WAITING_ROOM: { status: 429, title: 'Too many buyers right now: please try again shortly' },
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
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

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
    readonly code: ErrorCode,
    detail?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? ErrorCodes[code].title);
    this.name = 'AppError';
    this.status = ErrorCodes[code].status;
    this.title = ErrorCodes[code].title;
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

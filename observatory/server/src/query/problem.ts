import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** The errors the query API raises on purpose; each becomes an RFC 9457 problem document. */
export const QueryErrors = {
  BAD_PARAMETER: { status: 400, title: 'A query parameter is not valid' },
  NOT_FOUND: { status: 404, title: 'The resource was not found' },
  TOO_MANY_TAILS: { status: 429, title: 'Too many live tails are open' },
  UPSTREAM_UNAVAILABLE: { status: 502, title: 'A service the observatory reads from did not answer' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type QueryErrorCode = keyof typeof QueryErrors;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: QueryErrorCode;
  errors?: { path: string; message: string }[];
}

export class QueryError extends Error {
  readonly status: number;
  constructor(
    readonly code: QueryErrorCode,
    detail: string,
    readonly errors?: { path: string; message: string }[],
  ) {
    super(detail);
    this.name = 'QueryError';
    this.status = QueryErrors[code].status;
  }
}

export function badParameter(path: string, message: string): QueryError {
  return new QueryError('BAD_PARAMETER', `${path}: ${message}`, [{ path, message }]);
}

export function problem(code: QueryErrorCode, detail: string, instance?: string): ProblemDetails {
  return {
    type: `https://glassbox.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title: QueryErrors[code].title,
    status: QueryErrors[code].status,
    detail,
    ...(instance ? { instance } : {}),
    code,
  };
}

/** Maps any error (ours, Fastify's schema validation, anything else) to a problem document. */
export function toProblem(error: unknown, instance: string): ProblemDetails {
  if (error instanceof QueryError) {
    return {
      ...problem(error.code, error.message, instance),
      ...(error.errors ? { errors: error.errors } : {}),
    };
  }
  const fe = error as Partial<FastifyError>;
  if (fe.validation) {
    const context = fe.validationContext ?? 'querystring';
    const errors = fe.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
      const path = `${context}${v.instancePath.replaceAll('/', '.')}${missing ? `.${missing}` : ''}`;
      return { path, message: v.message ?? 'is not valid' };
    });
    return { ...problem('BAD_PARAMETER', fe.message ?? 'bad parameter', instance), errors };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { ...problem('BAD_PARAMETER', fe.message ?? 'bad request', instance), status: fe.statusCode };
  }
  return problem('INTERNAL', 'the query failed; see the observatory log', instance);
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** Error handler for the /api plugin: problem+json for every error, 5xx logged. */
export function problemErrorHandler(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const body = toProblem(error, request.url);
  if (body.status >= 500) request.log.error({ err: error }, 'query API error');
  return sendProblem(reply, body);
}

/**
 * preHandler of the query and Jaeger APIs: Ajv coerces a parameter such as `1e309` to Infinity, which then
 * passes any `maximum` of its schema (an Ajv quirk) and would reach SQL as a failed query (500). A coerced
 * parameter must be a finite number.
 */
export async function refuseNonFiniteQuery(request: { query: unknown }): Promise<void> {
  if (request.query === null || typeof request.query !== 'object') return;
  for (const [name, value] of Object.entries(request.query)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
      throw new QueryError('BAD_PARAMETER', `${name} must be a finite number`, [
        { path: `querystring/${name}`, message: 'must be a finite number' },
      ]);
    }
  }
}

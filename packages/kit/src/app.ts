import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { context, trace } from '@opentelemetry/api';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchemaValidationError,
  LogController,
} from 'fastify';
import {
  AppError,
  appError,
  currentTraceId,
  type ErrorCode,
  ErrorCodes,
  type ProblemDetails,
  problemType,
  toProblem,
} from './errors.js';
import { registerRequestFaults } from './faults/request.js';
import { setServerRoute, tracedServer } from './http-telemetry.js';
import type { Logger } from './logger.js';
import { getTelemetry } from './telemetry/index.js';
import { escapeControlChars, findNul } from './untrusted-text.js';

export type ServiceApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export type ReadinessCheck = () => Promise<void>;

export interface ServiceAppOptions {
  name: string;
  version?: string;
  logger: Logger;
  /** Named dependency checks run by /readyz; any failure answers 503 and names it. */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * Checks of dependencies the service works around while they fail (the bus: events wait in the outbox). A
   * failure is reported by /readyz — `"status": "degraded"` and the check's message — but still answers 200,
   * so an outage of the broker does not take every service out of rotation with it.
   */
  degradedWhenFailing?: Record<string, ReadinessCheck>;
  description?: string;
  bodyLimit?: number;
  /**
   * Serve /metrics and /openapi.json on this app (the default, for internal services). The gateway's port is
   * public: it serves them on a separate, internal listener instead (`createOperationalApp`, `runService`'s
   * `operational`), since metrics show the internal topology (upstream addresses and ports) and the process.
   */
  operationalRoutes?: boolean;
}

const AJV_OPTIONS = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false } as const;
const bodyValidator = addFormats.default(new Ajv.default({ ...AJV_OPTIONS, coerceTypes: false }));
const textValidator = addFormats.default(new Ajv.default({ ...AJV_OPTIONS, coerceTypes: 'array' }));

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/**
 * Ajv coerces a query string such as `1e309` to Infinity, and Infinity passes every `maximum` (an Ajv quirk):
 * `?limit=1e309` would reach SQL. Coerced text must be a finite number, or it is a 400 naming the parameter.
 */
function finiteOnly(validate: Validate): Validate {
  const check: Validate = (data) => {
    if (!validate(data)) {
      check.errors = validate.errors;
      return false;
    }
    const at = nonFinitePath(data, '', 0);
    check.errors =
      at === undefined
        ? null
        : [
            {
              instancePath: at,
              schemaPath: '#',
              keyword: 'type',
              params: {},
              message: 'must be a finite number',
            },
          ];
    return at === undefined;
  };
  return check;
}

function nonFinitePath(value: unknown, at: string, depth: number): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : at;
  if (value === null || typeof value !== 'object' || depth > 8) return undefined;
  for (const [key, member] of Object.entries(value)) {
    const found = nonFinitePath(member, `${at}/${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Route templates resolved by a handler (the gateway's), for the request's log line. */
const routeTemplates = new WeakMap<FastifyRequest['raw'], string>();

const REQUEST_ID = /^[\w.:-]{1,128}$/;
const PROBES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

/**
 * Builds a service's Fastify app without listening (tests call `app.inject()`): request ids, problem+json
 * errors with the trace id, route-named server spans, `traceresponse`, probes, /metrics and the OpenAPI
 * document. Feature routes are registered by the service afterwards.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's two lines per request ("incoming request", "request completed") are replaced by one, written
    // when the response is sent (the onResponse hook below).
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    return503OnClosing: true,
    // Requests the router cannot even match (an undecodable URL, an over-long path parameter) are answered
    // by the same problem handler as everything else.
    frameworkErrors: (error, request, reply) => sendProblem(error, request, reply),
    // What Node's HTTP parser refuses before there is a request (oversized headers, not HTTP at all).
    clientErrorHandler: answerClientError,
    // The server Fastify would create, each request in a server span (http-telemetry.ts).
    serverFactory: tracedServer,
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Query strings, params and headers are text: coerce them to the declared types. Bodies are JSON: a
  // string where a number is declared is a client error, not something to guess at.
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body'
      ? bodyValidator.compile(schema as object)
      : finiteOnly(textValidator.compile(schema as object)),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `glassbox ${options.name}`,
        version: options.version ?? '0.1.0',
        description: options.description,
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const span = trace.getSpan(context.active());
    if (!span) return;
    const route = request.routeOptions.url;
    if (route) nameServerSpan(request.method, route);
    span.setAttribute('glassbox.request_id', request.id);
    const sc = span.spanContext();
    reply.header('traceresponse', `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
  });

  // One log line per request: method, route template, status and duration; the trace id comes with every
  // record (the pino instrumentation). Probes are not logged.
  app.addHook('onResponse', async (request, reply) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (PROBES.has(path)) return;
    const route = routeTemplates.get(request.raw) ?? request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const durationMs = Math.round(reply.elapsedTime * 10) / 10;
    const line = { method: request.method, route, status, duration_ms: durationMs };
    const msg = `${request.method} ${route} ${status} ${durationMs} ms`;
    if (status >= 500) request.log.error(line, msg);
    else request.log.info(line, msg);
  });
  // Injected faults (latency, error, hang, event-loop-block, memory-leak) on every request but the probes.
  registerRequestFaults(app, PROBES);

  // PostgreSQL refuses U+0000 in text: a NUL anywhere in what a route reads is a 400 here, not a 500 later.
  app.addHook('preValidation', async (request) => {
    const at =
      findNul(request.params, 'params') ??
      findNul(request.query, 'querystring') ??
      findNul(request.body, 'body');
    if (at) {
      const message = 'must not contain the NUL character (U+0000)';
      throw appError('VALIDATION_FAILED', `${at} ${message}`, { errors: [{ path: at, message }] });
    }
  });

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => sendProblem(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      appError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok', service: options.name }));
  const runChecks = (checks: Record<string, ReadinessCheck>) =>
    Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, (error as Error).message || 'failed'] as const;
        }
      }),
    );
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const [results, soft] = await Promise.all([
      runChecks(options.readiness ?? {}),
      runChecks(options.degradedWhenFailing ?? {}),
    ]);
    const failed = results.some(([, status]) => status !== 'ok');
    const degraded = soft.some(([, status]) => status !== 'ok');
    return reply.code(failed ? 503 : 200).send({
      status: failed ? 'unavailable' : degraded ? 'degraded' : 'ready',
      service: options.name,
      checks: Object.fromEntries([...results, ...soft]),
    });
  });
  if (options.operationalRoutes ?? true) {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => sendMetrics(reply));
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  return app;
}

async function sendMetrics(reply: FastifyReply) {
  const telemetry = getTelemetry();
  const text = telemetry ? await telemetry.prometheusText() : '# telemetry not started\n';
  return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
}

/**
 * The operational endpoints of a service whose main port is public (the gateway): /metrics, /openapi.json and
 * /healthz on their own listener, meant for an internal interface (loopback by default) that Prometheus
 * scrapes. Anything else is a 404 problem.
 */
export async function createOperationalApp(options: {
  name: string;
  logger: Logger;
  /** The OpenAPI document of the service's app. */
  openapi: () => unknown;
}) {
  const ops = Fastify({ loggerInstance: options.logger.child({ listener: 'operational' }) });
  ops.setErrorHandler((error: FastifyError, request, reply) => sendProblem(error, request, reply));
  ops.setNotFoundHandler((request, reply) =>
    sendProblem(
      appError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );
  ops.get('/metrics', async (_request, reply) => sendMetrics(reply));
  ops.get('/openapi.json', async () => options.openapi());
  ops.get('/healthz', async () => ({ status: 'ok', service: options.name }));
  return ops;
}

/**
 * Names the active HTTP server span after its route template (`POST /api/v1/orders/:id`) and gives its
 * `http.server.request.duration` the `http.route` (http-telemetry.ts). The kit does it with the Fastify route;
 * a route that matches many paths (the gateway's `/api/v1/*`) calls it again with the template it resolved.
 * Never a raw path: ids would make every request a series of its own. Given the request, its log line names
 * the template too.
 */
export function nameServerSpan(method: string, route: string, request?: FastifyRequest): void {
  if (request) routeTemplates.set(request.raw, route);
  const span = trace.getSpan(context.active());
  if (span) setServerRoute(span, method, route);
}

function sendProblem(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  const problem = withEscapedText(toProblemDocument(error, request));
  if (problem.status >= 500) {
    request.log.error({ err: error }, 'request failed');
    const span = trace.getSpan(context.active());
    span?.recordException(error);
  } else {
    request.log.info({ code: problem.code, status: problem.status }, problem.detail ?? problem.title);
  }
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

export function toProblemDocument(error: FastifyError | AppError, request: FastifyRequest): ProblemDetails {
  const instance = request.url.split('?')[0];
  if (error instanceof AppError) return toProblem(error, instance);
  const traceId = currentTraceId();
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    const errors = error.validation.map((v) => describeValidationError(part, v));
    return {
      type: problemType('VALIDATION_FAILED'),
      title: 'The request is not valid',
      status: 400,
      detail: errors.map((e) => `${e.path} ${e.message}`).join('; '),
      instance,
      code: 'VALIDATION_FAILED',
      traceId,
      errors,
    };
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
  if (status < 500) {
    // Fastify's own client errors: malformed JSON, wrong media type, body too large, bad URL, …
    const code = CLIENT_ERROR_CODES[status] ?? 'VALIDATION_FAILED';
    return {
      type: problemType(code),
      title: code === 'VALIDATION_FAILED' ? 'The request is not valid' : error.message,
      status,
      detail: error.message,
      instance,
      code,
      traceId,
    };
  }
  return {
    type: problemType('INTERNAL'),
    title: 'Internal error',
    status: 500,
    detail: 'an unexpected error occurred; the trace id identifies it',
    instance,
    code: 'INTERNAL',
    traceId,
  };
}

/** Codes of the client errors Fastify and Node raise themselves, by status. */
const CLIENT_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * The problem with every text a client may have put in it (member names, values, header text quoted by
 * Fastify) escaped: a newline or an ANSI escape echoed in `detail` would forge or repaint a log line.
 */
function withEscapedText(problem: ProblemDetails): ProblemDetails {
  return {
    ...problem,
    title: escapeControlChars(problem.title),
    ...(problem.detail === undefined ? {} : { detail: escapeControlChars(problem.detail) }),
    ...(problem.errors === undefined
      ? {}
      : {
          errors: problem.errors.map((e) => ({
            path: escapeControlChars(e.path),
            message: escapeControlChars(e.message),
          })),
        }),
  };
}

/**
 * Node's HTTP parser refused the bytes before any request existed: answer problem+json on the raw socket (no
 * trace exists yet, so no traceId), then close it, as Node and Fastify do.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'HEADERS_TOO_LARGE'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : error.code === 'HPE_URI_TOO_LONG'
          ? 'URI_TOO_LONG'
          : 'VALIDATION_FAILED';
  const { status, title } = ErrorCodes[code];
  const body = JSON.stringify({
    type: problemType(code),
    title,
    status,
    detail: code === 'VALIDATION_FAILED' ? 'the request is not valid HTTP' : title,
    code,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\nConnection: close\r\n` +
        `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const STATUS_TEXT: Partial<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

/**
 * Names the member at fault: Ajv reports an unexpected or a missing property on its parent object
 * ("must NOT have additional properties"), which would not tell a client which one.
 */
export function describeValidationError(
  part: string,
  v: { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string },
): { path: string; message: string } {
  const at = v.instancePath ?? '';
  const { additionalProperty, missingProperty } = v.params ?? {};
  if (v.keyword === 'additionalProperties' && typeof additionalProperty === 'string') {
    return { path: `${part}${at}/${additionalProperty}`, message: 'is not allowed' };
  }
  if (v.keyword === 'required' && typeof missingProperty === 'string') {
    return { path: `${part}${at}/${missingProperty}`, message: 'is required' };
  }
  return { path: `${part}${at}`, message: v.message ?? 'is not valid' };
}

/** `promise`, or a rejection once `ms` have passed without it settling. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/**
 * The kit's own HTTP telemetry, in place of the OpenTelemetry HTTP instrumentation: a server span for every
 * request a service app answers (probes aside) and a client span for every call of the kit's HTTP client,
 * W3C trace context extracted and injected, and `http.server.request.duration` /
 * `http.client.request.duration` with the stable HTTP conventions' names and attributes.
 *
 * Why not the instrumentation: it patches `node:http` for every request of the process and builds its
 * attributes from a parsed URL (the forwarded headers, synthetic-source detection, header capture hooks…),
 * and priced in one process (`bench:telemetry-parts`, the http part with and without it, nothing exported)
 * it was 250–340 µs of CPU per call between two services: most of what the SDK added to one. Here the server
 * side wraps only the service app's request handler (a Fastify `serverFactory`), the client side only the
 * kit's client, and nothing else on `node:http` — the OTLP exporters' own requests above all — is touched.
 *
 * Off until `startHttpTelemetry` (telemetry/index.ts calls it unless `http` is among
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS): a process without telemetry pays nothing here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Histogram,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { errorTypeOf } from './error-type.js';

/** Paths that are not traced or measured: the probes and the metrics scrape. */
export const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** `http.request.method`: a known method, or `_OTHER` (the conventions' bound on its values). */
export function normalizedMethod(method: string | undefined): string {
  const upper = (method ?? 'GET').toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** The conventions' buckets for both request durations (seconds). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

interface Instruments {
  server: Histogram;
  client: Histogram;
}
let instruments: Instruments | undefined;
/** The instruments while HTTP telemetry is on. */
let active: Instruments | undefined;

/** Turns HTTP telemetry on, with instruments from the global meter provider (set it first). Idempotent. */
export function startHttpTelemetry(): void {
  if (!instruments) {
    const meter = metrics.getMeter('glassbox.http');
    instruments = {
      server: meter.createHistogram('http.server.request.duration', {
        description: 'Duration of HTTP server requests.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      client: meter.createHistogram('http.client.request.duration', {
        description: 'Duration of HTTP client requests.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
    };
  }
  active = instruments;
}

/** Turns HTTP telemetry off again (tests); `startHttpTelemetry` turns the same instruments back on. */
export function stopHttpTelemetry(): void {
  active = undefined;
}

export function httpTelemetryOn(): boolean {
  return active !== undefined;
}

const tracer = () => trace.getTracer('@glassbox/kit/http');

/** The route template of each traced request's server span, once the router (or a handler) knows it. */
const routes = new WeakMap<Span, string>();

/**
 * Gives the server span `span` its route template: its name becomes `METHOD /route/:param` and its duration
 * is recorded with `http.route`.
 */
export function setServerRoute(span: Span, method: string, route: string): void {
  // A span that is not sampled still records its duration with the route.
  routes.set(span, route);
  if (!span.isRecording()) return;
  span.setAttribute('http.route', route);
  span.updateName(`${method} ${route}`);
}

/** `host[:port]` of a Host header, as `server.address` and `server.port`. */
function hostAttributes(host: string | undefined, attributes: Attributes): void {
  if (!host) return;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match) return;
  attributes['server.address'] = match[1]?.replace(/^\[(.*)\]$/, '$1');
  attributes['server.port'] = match[2] ? Number(match[2]) : 80;
}

/**
 * Wraps a request handler (Fastify's, through `serverFactory`) so that every request but the probes runs in a
 * server span: its parent from the request's `traceparent`, its context active for the whole request (body
 * parsing and the onResponse hooks included), ended with the response's status when the response closes, and
 * measured in `http.server.request.duration`.
 */
export function tracedRequestHandler(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const histogram = active?.server;
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!histogram || UNTRACED_PATHS.has(path)) {
      handler(req, res);
      return;
    }
    const start = performance.now();
    const method = normalizedMethod(req.method);
    const attributes: Attributes = {
      'http.request.method': method,
      'url.scheme': 'http',
      'url.path': path,
      'network.protocol.version': req.httpVersion,
      'client.address': req.socket.remoteAddress,
      'network.peer.address': req.socket.remoteAddress,
      'network.peer.port': req.socket.remotePort,
    };
    hostAttributes(req.headers.host, attributes);
    const agent = req.headers['user-agent'];
    if (agent) attributes['user_agent.original'] = agent;
    if (method !== req.method) attributes['http.request.method_original'] = req.method;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(method, { kind: SpanKind.SERVER, attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    // The request's and the response's events need no binding to the span's context: Fastify parses bodies in
    // an AsyncResource of the request, and the response's 'finish' (its onResponse hooks) follows the write
    // made in the context. The tests hold both.
    res.once('close', () => {
      const status = res.statusCode;
      const route = routes.get(span);
      // In the instrumentation's order (the labels of /metrics follow it).
      const metric: Attributes = {
        'http.request.method': method,
        'url.scheme': 'http',
        'network.protocol.version': req.httpVersion,
      };
      if (route) metric['http.route'] = route;
      metric['http.response.status_code'] = status;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) {
        metric['error.type'] = String(status);
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      histogram.record((performance.now() - start) / 1000, metric);
    });
    context.with(ctx, () => handler(req, res));
  };
}

/** What Fastify sets on the servers it creates itself (lib/server.js), for a `serverFactory` to do alike. */
export interface ServerTimeouts {
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/**
 * A Fastify `serverFactory`: the server Fastify would create, with its handler traced
 * (`tracedRequestHandler`) when HTTP telemetry is on.
 */
export function tracedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: ServerTimeouts,
): Server {
  const server = createServer(httpTelemetryOn() ? tracedRequestHandler(handler) : handler);
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}

/** The route template of the calls made in a context (`withClientRoute`). */
const CLIENT_ROUTE = createContextKey('glassbox.http.client_route');

/**
 * Runs `fn` in a context that names the HTTP calls it makes through undici (the gateway's proxy) by `route`,
 * the template of the path they call: their client spans are `METHOD route` with `url.template`, as the
 * kit's own client names its calls (`RequestOptions.route`). Without it undici's client spans are named by
 * the method alone.
 */
export function withClientRoute<T>(route: string, fn: () => T): T {
  return context.with(context.active().setValue(CLIENT_ROUTE, route), fn);
}

/**
 * The undici instrumentation's `requestHook`: names the client span of a request made inside
 * `withClientRoute`. The hook runs as the request is created, in its caller's context.
 */
export function nameUndiciClientSpan(span: Span, request: { method: string }): void {
  const route = context.active().getValue(CLIENT_ROUTE);
  if (typeof route !== 'string') return;
  span.updateName(`${normalizedMethod(request.method)} ${route}`);
  span.setAttribute('url.template', route);
}

/** One call of the kit's HTTP client, traced. */
export interface ClientCall {
  /** The answer came: its status and HTTP version. */
  answered(status: number, httpVersion: string): void;
  /** No answer: the request failed (refused, reset, timed out). */
  failed(error: unknown): void;
}

/**
 * Starts the client span of one outgoing request (a child of the active span) and writes its trace context
 * into `headers`. Undefined while HTTP telemetry is off.
 */
export function startClientCall(
  request: { method: string; hostname: string; port: number; path: string; route?: string | undefined },
  headers: Record<string, string>,
): ClientCall | undefined {
  const histogram = active?.client;
  if (!histogram) return undefined;
  const start = performance.now();
  const method = normalizedMethod(request.method);
  const host = request.hostname.includes(':') ? `[${request.hostname}]` : request.hostname;
  const base: Attributes = {
    'http.request.method': method,
    'server.address': request.hostname,
    'server.port': request.port,
  };
  const parent: Context = context.active();
  const attributes: Attributes = { ...base, 'url.full': `http://${host}:${request.port}${request.path}` };
  if (request.route !== undefined) attributes['url.template'] = request.route;
  // `{method} {url.template}` when the caller named the template, else `{method}` (the HTTP conventions).
  const span = tracer().startSpan(
    request.route === undefined ? method : `${method} ${request.route}`,
    { kind: SpanKind.CLIENT, attributes },
    parent,
  );
  propagation.inject(trace.setSpan(parent, span), headers);
  let ended = false;
  const end = (metric: Attributes) => {
    if (ended) return;
    ended = true;
    span.end();
    histogram.record((performance.now() - start) / 1000, metric);
  };
  return {
    answered(status, httpVersion) {
      const metric: Attributes = {
        ...base,
        'http.response.status_code': status,
        'network.protocol.version': httpVersion,
      };
      span.setAttribute('http.response.status_code', status);
      if (status >= 400) {
        metric['error.type'] = String(status);
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      end(metric);
    },
    failed(error) {
      const type = errorTypeOf(error);
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      end({ ...base, 'error.type': type });
    },
  };
}

import http, { type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDependencyCall } from './dependency-calls.js';
import { AppError, type ProblemDetails } from './errors.js';
import { beforeDependencyCall } from './faults/dependency.js';
import { startClientCall } from './http-telemetry.js';

export interface HttpClientOptions {
  /** Name of the dependency, used in errors and logs (e.g. "inventory"). */
  name: string;
  baseUrl: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Extra attempts after the first for retryable failures. */
  retries?: number;
  /** Base of the exponential backoff between attempts. */
  backoffMs?: number;
  headers?: Record<string, string>;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /**
   * The path's template, without its query (`/internal/reservations/:id/commit`): the call's client span is
   * named `POST /internal/reservations/:id/commit` and carries it as `url.template`. Without it the span is
   * named by the method alone — a path with ids in it would make every call a name of its own.
   */
  route?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Defaults to true for GET/PUT/DELETE and for any request that carries an Idempotency-Key. */
  retry?: boolean;
}

export interface HttpResponse<T> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** A dependency answered with a status ≥ 400; `problem` is its problem document when it sent one. */
export class UpstreamError extends AppError {
  constructor(
    readonly dependency: string,
    readonly upstreamStatus: number,
    readonly problem: ProblemDetails | undefined,
  ) {
    super(
      upstreamStatus >= 500 ? 'UPSTREAM_FAILED' : 'CONFLICT',
      `${dependency} answered ${upstreamStatus}${problem?.detail ? `: ${problem.detail}` : ''}`,
    );
    this.name = 'UpstreamError';
  }
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

export interface HttpClient {
  readonly name: string;
  request<T = unknown>(options: RequestOptions): Promise<HttpResponse<T>>;
  /** Like request, but throws UpstreamError for a status ≥ 400 and returns the body. */
  json<T = unknown>(options: RequestOptions): Promise<T>;
}

/**
 * An outbound HTTP client on `node:http`, over keep-alive connections of its own agent. Each request is a
 * client span whose W3C trace context it sends, and is measured in `http.client.request.duration`
 * (http-telemetry.ts). Not `fetch`: per call it cost the
 * checkout's caller a third more CPU, and it loads Node's internal undici (docs/performance.md: footprint,
 * checkout). Every attempt has a timeout; retryable failures (network errors, timeouts, 502/503/504) are
 * retried a bounded number of times with jittered backoff, and only for requests that are safe to repeat.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 100;
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:') {
    throw new Error(`${options.name}: only http: base URLs are supported, got ${options.baseUrl}`);
  }
  const basePath = base.pathname.replace(/\/$/, '');
  // `[::1]` in a URL, `::1` for node:http.
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
  // Idle connections are closed before the services' own keep-alive timeout (Fastify: 72 s) closes them.
  const agent = new http.Agent({ keepAlive: true, timeout: 30_000 });
  const port = Number(base.port || 80);

  async function request<T>(req: RequestOptions): Promise<HttpResponse<T>> {
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...options.headers,
      ...req.headers,
    };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const hasIdempotencyKey = Object.keys(headers).some((h) => h.toLowerCase() === 'idempotency-key');
    const canRetry =
      req.retry ?? (method === 'GET' || method === 'PUT' || method === 'DELETE' || hasIdempotencyKey);
    const attempts = canRetry ? retries + 1 : 1;

    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      // Timed from before the fault seam: an injected delay or error is part of the call as the caller sees it.
      const call = startDependencyCall(options.name, method);
      try {
        const injected = await beforeDependencyCall(options.name);
        if (injected) {
          call.answered(injected.status);
          const problem = {
            type: 'about:blank',
            title: 'Injected fault',
            status: injected.status,
            detail: `fault ${injected.faultId} (dependency-error)`,
            code: 'FAULT_INJECTED',
          };
          if (RETRYABLE_STATUS.has(injected.status) && attempt < attempts - 1) {
            lastError = new UpstreamError(options.name, injected.status, problem);
            continue;
          }
          return { status: injected.status, headers: {}, body: problem as T };
        }
        const response = await send({
          agent,
          hostname,
          port,
          path: `${basePath}${req.path}`,
          route: req.route === undefined ? undefined : `${basePath}${req.route}`,
          method,
          headers,
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          timeoutMs: req.timeoutMs ?? timeoutMs,
        });
        const text = response.text;
        call.answered(response.status);
        const body = (text.length > 0 && isJson(response.headers) ? JSON.parse(text) : text) as T;
        if (RETRYABLE_STATUS.has(response.status) && attempt < attempts - 1) {
          lastError = new UpstreamError(options.name, response.status, body as ProblemDetails);
          continue;
        }
        return { status: response.status, headers: response.headers, body };
      } catch (error) {
        call.failed(error);
        lastError = error;
      }
    }
    throw toUpstreamError(options.name, lastError);
  }

  return {
    name: options.name,
    request,
    async json<T>(req: RequestOptions): Promise<T> {
      const response = await request<T>(req);
      if (response.status >= 400) {
        throw new UpstreamError(options.name, response.status, response.body as ProblemDetails);
      }
      return response.body;
    },
  };
}

interface Outbound {
  agent: http.Agent;
  hostname: string;
  port: number;
  path: string;
  route: string | undefined;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}

/**
 * One request and its whole answer as text, in a client span (http-telemetry.ts) that ends when the answer
 * has been read. The timeout covers the answer's body too; when it fires, the request is destroyed with an
 * AbortError (its cause the TimeoutError), as fetch would.
 */
function send(out: Outbound): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.timeout(out.timeoutMs);
    const headers =
      out.body === undefined
        ? { ...out.headers }
        : { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) };
    const call = startClientCall(out, headers);
    const fail = (error: unknown) => {
      call?.failed(error);
      reject(error);
    };
    const request = http.request(
      {
        agent: out.agent,
        hostname: out.hostname,
        port: out.port,
        path: out.path,
        method: out.method,
        headers,
        signal,
      },
      (response) => {
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          call?.answered(status, response.httpVersion);
          resolve({ status, headers: response.headers, text });
        });
        response.on('error', fail);
        // Cut off before its end: the timeout destroyed the request, or the peer closed the connection.
        response.on('close', () => {
          if (!response.complete) {
            fail(
              signal.aborted
                ? signal.reason
                : Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }),
            );
          }
        });
      },
    );
    request.on('error', fail);
    request.end(out.body);
  });
}

function isJson(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').includes('json');
}

function toUpstreamError(name: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const err = error as { name?: string; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new AppError('UPSTREAM_TIMEOUT', `${name} did not answer in time`, { dependency: name });
  }
  return new AppError('UPSTREAM_UNAVAILABLE', `${name} is unreachable: ${err?.message ?? String(error)}`, {
    dependency: name,
  });
}

import { appError, beforeDependencyCall, type Logger, startDependencyCall } from '@glassbox/kit';
import { metrics } from '@opentelemetry/api';
import { Agent, type Dispatcher, request } from 'undici';
import { CircuitBreaker } from '../domain/circuit-breaker.js';
import type { Upstream } from '../domain/routes.js';

export interface UpstreamRequest {
  method: Dispatcher.HttpMethod;
  /** Path and query exactly as the client sent them. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Aborts the upstream call when the client goes away. */
  signal?: AbortSignal;
  /**
   * The verified tenant of a GET whose answer is the same for every user of that tenant (a route with shared
   * reads): its last good answer is kept once for the tenant and may be served degraded to any of its callers.
   * Absent: the answer is the caller's own (kept per Authorization header).
   */
  sharedWithTenant?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** A degraded answer: the last good one to the same request, served while the circuit is held open. */
  degraded?: { storedAtMs: number; scope: 'caller' | 'tenant' };
}

/**
 * Last good answers kept for degraded reads, per upstream (one upstream's traffic — order polls, say — never
 * evicts another's answers while its circuit is held and nothing refreshes them): entries at most, bytes per
 * answer at most, bytes in all.
 */
const LAST_GOOD = { entries: 1000, entryBytes: 64 * 1024, totalBytes: 2 * 1024 * 1024 };

export interface UpstreamsOptions {
  /** Base URL of each upstream (from `<NAME>_URL`); a route to an upstream without one answers 503. */
  urls: Readonly<Partial<Record<Upstream, string>>>;
  timeoutMs: number;
  connectTimeoutMs?: number;
  breaker: { failureThreshold: number; openMs: number };
  logger: Logger;
  maxResponseBytes?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The connection was never made: the request did not reach the service. */
const NOT_SENT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** The connection broke while the request was on its way or being handled: the service may have acted on it. */
const CUT_OFF_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

type Failure = 'not_sent' | 'cut_off' | 'timeout' | 'aborted' | 'other';

function classify(error: unknown, clientSignal?: AbortSignal): Failure {
  if (clientSignal?.aborted) return 'aborted';
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  if (TIMEOUT_ERRORS.has(code) || e?.name === 'TimeoutError') return 'timeout';
  if (NOT_SENT_ERRORS.has(code)) return 'not_sent';
  if (CUT_OFF_ERRORS.has(code)) return 'cut_off';
  return 'other';
}

const meter = metrics.getMeter('glassbox.gateway');
const failuresCounter = meter.createCounter('glassbox.gateway.upstream.failures', {
  description:
    'Calls the gateway could not complete, by upstream and reason (unavailable, timeout, bad_response, circuit_open)',
  unit: '{call}',
});

const degradedCounter = meter.createCounter('glassbox.gateway.degraded_answers', {
  description:
    "GETs answered with the last good answer while the upstream circuit was held open (scope: the caller's own, or the tenant's for shared reads)",
  unit: '{request}',
});

/**
 * Forwards requests to the services over pooled keep-alive connections (undici; the OpenTelemetry undici
 * instrumentation adds traceparent and records http.client.request.duration). Each call has a timeout; safe
 * methods are retried once when the connection failed; unsafe ones never. A circuit breaker per upstream fails
 * fast while a service is down. Errors: 503 UPSTREAM_UNAVAILABLE (nothing reached the service), 504
 * UPSTREAM_TIMEOUT, and for unsafe methods whose request was sent but whose answer was lost (cut off, timed
 * out) 503 OUTCOME_UNKNOWN.
 */
export function createUpstreams(options: UpstreamsOptions) {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: 256,
    connect: { timeout: options.connectTimeoutMs ?? 2_000 },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    maxResponseSize: options.maxResponseBytes ?? 10 * 1024 * 1024,
  });
  const breakers = new Map<Upstream, CircuitBreaker>();
  // The last good answer to each GET, per caller (the Authorization header is part of the key: an answer is
  // only ever replayed to the caller it was made for) — or, for a route whose reads answer every user of a
  // tenant alike, per verified tenant — in a bounded store per upstream, oldest first.
  const lastGood = new Map<
    Upstream,
    { answers: Map<string, { res: UpstreamResponse; at: number }>; bytes: number }
  >();
  const storeOf = (upstream: Upstream) => {
    let store = lastGood.get(upstream);
    if (!store) {
      store = { answers: new Map(), bytes: 0 };
      lastGood.set(upstream, store);
    }
    return store;
  };
  const lastGoodKey = (req: UpstreamRequest) =>
    req.sharedWithTenant !== undefined
      ? `tenant:${req.sharedWithTenant}\n${req.url}`
      : `caller:${req.headers.authorization ?? ''}\n${req.url}`;
  const remember = (upstream: Upstream, key: string, res: UpstreamResponse) => {
    // A server error says nothing new about the resource: the last good answer stays (it is what a held circuit
    // serves while the upstream fails). Any other answer replaces it, or (not a 200) forgets it: a 404 is news.
    if (res.status >= 500) return;
    const store = storeOf(upstream);
    const old = store.answers.get(key);
    if (old) {
      store.answers.delete(key);
      store.bytes -= old.res.body.length;
    }
    if (res.status !== 200 || res.body.length > LAST_GOOD.entryBytes) return;
    store.answers.set(key, { res, at: Date.now() });
    store.bytes += res.body.length;
    for (const [k, v] of store.answers) {
      if (store.answers.size <= LAST_GOOD.entries && store.bytes <= LAST_GOOD.totalBytes) break;
      store.answers.delete(k);
      store.bytes -= v.res.body.length;
    }
  };
  const breakerOf = (upstream: Upstream) => {
    let b = breakers.get(upstream);
    if (!b) {
      b = new CircuitBreaker(options.breaker);
      breakers.set(upstream, b);
    }
    return b;
  };

  async function once(upstream: Upstream, req: UpstreamRequest): Promise<UpstreamResponse> {
    // The agent's headersTimeout/bodyTimeout bound the call (UND_ERR_*_TIMEOUT → 504); the signal is the client's.
    const base = options.urls[upstream];
    if (!base) throw Object.assign(new Error(`no URL for ${upstream}`), { code: 'ECONNREFUSED' });
    // Timed from before the fault seam (glassbox.dependency.duration): an injected delay or error is part of
    // the call as the gateway lives through it.
    const call = startDependencyCall(upstream, req.method);
    try {
      const res = await callOnce(upstream, base, req);
      call.answered(res.status);
      return res;
    } catch (error) {
      if (req.signal?.aborted) call.cancelled();
      else call.failed(error);
      throw error;
    }
  }

  async function callOnce(upstream: Upstream, base: string, req: UpstreamRequest): Promise<UpstreamResponse> {
    // Injected dependency faults (dependency-latency, dependency-error) on this upstream.
    const injected = await beforeDependencyCall(upstream);
    if (injected) {
      const problem = {
        type: 'about:blank',
        title: 'Injected fault',
        status: injected.status,
        detail: `fault ${injected.faultId} (dependency-error)`,
        code: 'FAULT_INJECTED',
      };
      return {
        status: injected.status,
        headers: { 'content-type': 'application/problem+json' },
        body: Buffer.from(JSON.stringify(problem)),
      };
    }
    const res = await request(`${base}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.body && req.body.length > 0 ? req.body : undefined,
      signal: req.signal,
      dispatcher: agent,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, body };
  }

  return {
    breakerState(upstream: Upstream) {
      return breakerOf(upstream).state;
    },

    /** Holds an upstream's circuit open for `ms` (the healer's open-circuit action); GETs get degraded answers. */
    holdOpen(upstream: Upstream, ms: number) {
      breakerOf(upstream).hold(ms);
      options.logger.warn({ upstream, forMs: ms }, `circuit to ${upstream} held open`);
    },

    release(upstream: Upstream) {
      breakerOf(upstream).release();
      options.logger.info({ upstream }, `circuit to ${upstream} released`);
    },

    /** Every upstream's circuit: its state and, when held open, for how long still. */
    circuits() {
      return Object.keys(options.urls).map((name) => {
        const b = breakerOf(name as Upstream);
        return { upstream: name, state: b.state, heldForMs: b.held ? b.retryAfterMs() : 0 };
      });
    },

    async forward(upstream: Upstream, req: UpstreamRequest): Promise<UpstreamResponse> {
      const breaker = breakerOf(upstream);
      if (!breaker.tryAcquire()) {
        failuresCounter.add(1, { upstream, reason: 'circuit_open' });
        const stale =
          breaker.held && req.method === 'GET' ? storeOf(upstream).answers.get(lastGoodKey(req)) : undefined;
        if (stale) {
          const scope = req.sharedWithTenant !== undefined ? 'tenant' : 'caller';
          degradedCounter.add(1, { upstream, 'glassbox.degraded.scope': scope });
          return { ...stale.res, degraded: { storedAtMs: stale.at, scope } };
        }
        const retryAfter = Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000));
        throw appError('UPSTREAM_UNAVAILABLE', `${upstream} is unavailable (circuit open)`, {
          upstream,
          retryAfterSeconds: retryAfter,
        });
      }
      const attempts = SAFE_METHODS.has(req.method) ? 2 : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await once(upstream, req);
          breaker.onSuccess();
          if (req.method === 'GET') remember(upstream, lastGoodKey(req), res);
          return res;
        } catch (error) {
          const failure = classify(error, req.signal);
          if (failure === 'aborted') {
            breaker.onSuccess();
            throw appError('UPSTREAM_FAILED', 'the client went away');
          }
          if ((failure === 'not_sent' || failure === 'cut_off') && attempt < attempts) {
            await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
            continue;
          }
          breaker.onFailure();
          const reason =
            failure === 'timeout' ? 'timeout' : failure === 'other' ? 'bad_response' : 'unavailable';
          failuresCounter.add(1, { upstream, reason });
          options.logger.warn(
            { upstream, reason, err: (error as Error).message, code: (error as { code?: string }).code },
            `${upstream} call failed`,
          );
          if (failure === 'other') {
            throw appError('UPSTREAM_FAILED', `${upstream} answered with something unusable`, { upstream });
          }
          if (!SAFE_METHODS.has(req.method) && failure !== 'not_sent') {
            throw outcomeUnknown(upstream, req, failure === 'timeout' ? 'timed out' : 'was cut off');
          }
          if (failure === 'timeout') {
            throw appError('UPSTREAM_TIMEOUT', `${upstream} did not answer within ${options.timeoutMs} ms`, {
              upstream,
            });
          }
          throw appError('UPSTREAM_UNAVAILABLE', `${upstream} is unavailable`, { upstream });
        }
      }
    },

    async close() {
      await agent.close();
    },
  };
}

/**
 * An unsafe request reached the service and its answer was lost: the gateway cannot know whether it was applied
 * (an order placed, a payment taken). With an Idempotency-Key the client retries the very same request with the
 * same key, which the services answer with the first outcome; without one it must look before trying again.
 */
function outcomeUnknown(upstream: Upstream, req: UpstreamRequest, what: string) {
  const key = req.headers['idempotency-key'];
  const detail = key
    ? `the call to ${upstream} ${what} after the request was sent: it may have been applied. Retry the same ` +
      'request with the same Idempotency-Key: you get its outcome, and it is never applied twice'
    : `the call to ${upstream} ${what} after the request was sent: it may have been applied. It carried no ` +
      'Idempotency-Key, so check whether it took effect before sending it again';
  return appError('OUTCOME_UNKNOWN', detail, {
    upstream,
    retryable: key !== undefined,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    retryAfterSeconds: 1,
  });
}

export type Upstreams = ReturnType<typeof createUpstreams>;

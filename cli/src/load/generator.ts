import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { pickWeighted, type WeightedChoice } from '../args.js';
import { DEMO } from '../services.js';
import { isOk, type Outcome, rng, SlidingWindow, StepStats, type StepSummary } from './stats.js';

export const FINAL_STATUSES = ['CONFIRMED', 'FAILED', 'CANCELLED'] as const;

/** Steps in report order. `journey` and `order_settle` are derived: whole journey, checkout → final status. */
export const STEPS = [
  'register',
  'login',
  'browse',
  'browse_next',
  'view',
  'checkout',
  'poll',
  'order_settle',
  'journey',
] as const;
export type StepName = (typeof STEPS)[number];

export interface LoadOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:8080 */
  readonly gateway: string;
  /** Journeys started per second (open model: arrivals do not wait for responses). */
  readonly rate: number;
  readonly durationMs: number;
  /** At most this many journeys in flight; arrivals beyond are dropped (and counted). */
  readonly concurrency: number;
  readonly tenant: string;
  /** Customers to register at the start; 0 logs in as the demo customer only. */
  readonly users: number;
  readonly tokens: readonly WeightedChoice[];
  /** Stop after this many journeys even if the duration is not over. */
  readonly maxJourneys?: number;
  readonly seed?: number;
  readonly arrivals?: 'poisson' | 'uniform';
  readonly requestTimeoutMs?: number;
  /** After the last arrival, wait this long for in-flight journeys, then abort them. */
  readonly drainMs?: number;
  readonly pollIntervalMs?: number;
  /** Give up polling an order after this long (the order counts as TIMEOUT). */
  readonly pollTimeoutMs?: number;
  /** Fraction of journeys that check out (the rest browse only). */
  readonly checkoutRatio?: number;
  readonly searchTerms?: readonly string[];
  readonly pageLimit?: number;
  readonly progressIntervalMs?: number;
  /**
   * How many times a checkout whose outcome is unknown (503 OUTCOME_UNKNOWN / UPSTREAM_UNAVAILABLE, or the
   * connection lost) is sent again, with the same Idempotency-Key, after its Retry-After. Default 5.
   */
  readonly checkoutRetries?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Called for every order the shop accepted (checkout answered 2xx with an id): what a drill counts as owed. */
  readonly onOrderAccepted?: (order: { readonly id: string; readonly idempotencyKey: string }) => void;
  /** Abort to stop early (Ctrl-C); the report covers what ran. */
  readonly signal?: AbortSignal;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly started: number;
  readonly inFlight: number;
  readonly completed: number;
  readonly ok: number;
  readonly failed: number;
  readonly dropped: number;
  /** Journeys started per second over the last 5 s. */
  readonly rate: number;
  /** Requests over the last 5 s. */
  readonly requestsOk: number;
  readonly requestsFailed: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface FailureSample {
  readonly step: StepName;
  readonly outcome: string;
  readonly traceId: string;
  readonly detail: string;
}

export interface LoadReport {
  readonly gateway: string;
  readonly tenant: string;
  readonly startedAt: string;
  readonly elapsedMs: number;
  readonly config: {
    readonly rate: number;
    readonly durationMs: number;
    readonly concurrency: number;
    readonly arrivals: 'poisson' | 'uniform';
    readonly seed: number;
    readonly tokens: readonly WeightedChoice[];
    readonly maxJourneys: number | null;
  };
  readonly users: { readonly registered: number; readonly loggedIn: number; readonly demoFallback: boolean };
  readonly journeys: {
    readonly started: number;
    readonly completed: number;
    readonly ok: number;
    readonly failed: number;
    readonly aborted: number;
    readonly dropped: number;
    readonly achievedRate: number;
  };
  readonly steps: StepSummary[];
  readonly orders: {
    readonly placed: number;
    /** Final status per order: CONFIRMED/FAILED/CANCELLED, TIMEOUT (no final status in time), ERROR (polling failed). */
    readonly byStatus: Record<string, number>;
    readonly byToken: Record<string, Record<string, number>>;
  };
  /**
   * Checkouts sent again with the same Idempotency-Key because their outcome was unknown: how many were
   * (`retried`), how many of those then got their order (`recovered`), the extra requests (`attempts`) and why.
   */
  readonly checkoutRetries: {
    readonly retried: number;
    readonly recovered: number;
    readonly attempts: number;
    readonly byReason: Record<string, number>;
  };
  /** The first failures, with the trace id sent in `traceparent`, to look them up in the observatory. */
  readonly failures: FailureSample[];
}

export class GatewayUnreachableError extends Error {
  constructor(gateway: string, cause: string) {
    super(`the gateway at ${gateway} is unreachable: ${cause}`);
    this.name = 'GatewayUnreachableError';
  }
}

export class LoadSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadSetupError';
  }
}

interface Product {
  readonly id: string;
  readonly name?: string;
  readonly priceCents?: number;
}

interface User {
  readonly email: string;
  readonly password: string;
  token: string;
  relogin?: Promise<boolean>;
}

interface HttpResult {
  readonly outcome: Outcome;
  readonly durationMs: number;
  readonly body: unknown;
  readonly traceId: string;
  /** The answer's Retry-After in ms, when it had one in seconds. */
  readonly retryAfterMs?: number;
}

/** Problem codes of a POST that may or may not have been applied, or that never arrived: safe to resend with its key. */
const RESEND_CODES = new Set(['OUTCOME_UNKNOWN', 'UPSTREAM_UNAVAILABLE']);

/** Why a checkout answer asks for the same request again (with the same Idempotency-Key), or undefined. */
export function resendReason(result: { outcome: Outcome; body: unknown }): string | undefined {
  if (result.outcome === 'network' || result.outcome === 'timeout') return String(result.outcome);
  if (result.outcome !== 503) return undefined;
  const code = (result.body as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && RESEND_CODES.has(code) ? code : undefined;
}

const DEFAULT_SEARCH_TERMS = ['', '', 'shirt', 'mug', 'book', 'lamp', 'coffee', 'bag', 'tea', 'pro'];

class JourneyAbort extends Error {}

/** Runs the load test and resolves with its report. Throws GatewayUnreachableError when the gateway is down. */
export async function runLoadTest(options: LoadOptions): Promise<LoadReport> {
  const gateway = options.gateway.replace(/\/$/, '');
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
  const random = rng(seed);
  const arrivals = options.arrivals ?? 'poisson';
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const pollTimeoutMs = options.pollTimeoutMs ?? 30_000;
  const drainMs = options.drainMs ?? 30_000;
  const checkoutRatio = options.checkoutRatio ?? 1;
  const searchTerms = options.searchTerms ?? DEFAULT_SEARCH_TERMS;
  const pageLimit = options.pageLimit ?? 20;
  const runId = randomBytes(4).toString('hex');

  const stats = new Map<StepName, StepStats>(STEPS.map((s) => [s, new StepStats(s)]));
  const stat = (step: StepName): StepStats => stats.get(step) as StepStats;
  const failures: FailureSample[] = [];
  const ordersByStatus: Record<string, number> = {};
  const ordersByToken: Record<string, Record<string, number>> = {};
  let ordersPlaced = 0;
  const maxCheckoutRetries = options.checkoutRetries ?? 5;
  const checkoutRetries = { retried: 0, recovered: 0, attempts: 0, byReason: {} as Record<string, number> };
  const recentRequests = new SlidingWindow(5000);
  const recentOutcomes = new SlidingWindow(5000);
  const recentStarts = new SlidingWindow(5000);

  const stop = new AbortController();
  const onExternalAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  const agent = new Agent({
    connections: Math.max(4, options.concurrency),
    keepAliveTimeout: 10_000,
    connect: { timeout: Math.min(requestTimeoutMs, 5000) },
  });

  const recordFailure = (step: StepName, outcome: Outcome, traceId: string, body: unknown): void => {
    if (failures.length >= 20) return;
    let detail = '';
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      detail = [b.code, b.title, b.detail].filter((x) => typeof x === 'string').join(': ');
    } else if (typeof body === 'string') {
      detail = body.slice(0, 200);
    }
    failures.push({ step, outcome: String(outcome), traceId, detail });
  };

  async function http(
    step: StepName,
    method: 'GET' | 'POST',
    path: string,
    init: { token?: string; body?: unknown; headers?: Record<string, string>; record?: boolean } = {},
  ): Promise<HttpResult> {
    const traceId = randomBytes(16).toString('hex');
    const headers: Record<string, string> = {
      accept: 'application/json',
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      'user-agent': 'glassbox-load/0.1',
      ...(init.headers ?? {}),
    };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let payload: string | undefined;
    if (init.body !== undefined) {
      payload = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const started = performance.now();
    let outcome: Outcome;
    let body: unknown;
    let retryAfterMs: number | undefined;
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    try {
      const res = await request(`${gateway}${path}`, {
        method,
        headers,
        body: payload,
        dispatcher: agent,
        signal: AbortSignal.any([stop.signal, timeout]),
      });
      outcome = res.statusCode;
      const retryAfter = Number(res.headers['retry-after']);
      if (res.headers['retry-after'] !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0) {
        retryAfterMs = retryAfter * 1000;
      }
      const text = await res.body.text();
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
    } catch (err) {
      outcome = stop.signal.aborted ? 'aborted' : timeout.aborted ? 'timeout' : 'network';
      body = (err as Error).message;
    }
    const durationMs = performance.now() - started;
    if (init.record !== false && outcome !== 'aborted') {
      stat(step).record(durationMs, outcome);
      recentRequests.add(durationMs);
      recentOutcomes.add(isOk(outcome) ? 1 : 0);
      if (!isOk(outcome)) recordFailure(step, outcome, traceId, body);
    }
    return { outcome, durationMs, body, traceId, retryAfterMs };
  }

  // --- preflight: is the gateway there at all?
  {
    const result = await http('browse', 'GET', '/healthz', { record: false });
    if (typeof result.outcome !== 'number') {
      await agent.close();
      options.signal?.removeEventListener('abort', onExternalAbort);
      throw new GatewayUnreachableError(gateway, String(result.body ?? result.outcome));
    }
  }

  // --- users
  const login = async (email: string, password: string): Promise<string | undefined> => {
    const res = await http('login', 'POST', '/api/v1/auth/login', {
      body: { tenant: options.tenant, email, password },
    });
    const token = (res.body as { accessToken?: unknown } | undefined)?.accessToken;
    return isOk(res.outcome) && typeof token === 'string' ? token : undefined;
  };
  const users: User[] = [];
  let registered = 0;
  const password = `load-${runId}-Passw0rd!`;
  for (let i = 1; i <= options.users && !stop.signal.aborted; i++) {
    const email = `load-${runId}-${i}@load.test`;
    const res = await http('register', 'POST', '/api/v1/auth/register', {
      body: { tenant: options.tenant, email, password, name: `Load Customer ${i}` },
    });
    if (!isOk(res.outcome)) continue;
    registered += 1;
    const token = await login(email, password);
    if (token) users.push({ email, password, token });
  }
  let demoFallback = false;
  if (users.length === 0 && !stop.signal.aborted) {
    demoFallback = options.users > 0;
    const token = await login(DEMO.customer, DEMO.password);
    if (token) users.push({ email: DEMO.customer, password: DEMO.password, token });
  }
  if (users.length === 0) {
    await agent.close();
    options.signal?.removeEventListener('abort', onExternalAbort);
    throw new LoadSetupError(
      `cannot log in to tenant ${options.tenant} (registration and the demo account failed); ` +
        `first failure: ${failures[0] ? `${failures[0].outcome} ${failures[0].detail}` : 'none recorded'}`,
    );
  }

  /** Authenticated request; on 401 logs the user in again once and retries. */
  async function authed(
    user: User,
    step: StepName,
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const first = await http(step, method, path, { ...init, token: user.token });
    if (first.outcome !== 401) return first;
    user.relogin ??= login(user.email, user.password).then((token) => {
      user.relogin = undefined;
      if (token) user.token = token;
      return token !== undefined;
    });
    if (!(await user.relogin)) return first;
    return http(step, method, path, { ...init, token: user.token });
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stop.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        stop.signal.removeEventListener('abort', done);
        resolve();
      }
      stop.signal.addEventListener('abort', done, { once: true });
    });

  const check = (res: HttpResult): void => {
    if (res.outcome === 'aborted') throw new JourneyAbort();
  };

  const settle = (token: string, status: string): void => {
    ordersByStatus[status] = (ordersByStatus[status] ?? 0) + 1;
    const row = ordersByToken[token] ?? {};
    row[status] = (row[status] ?? 0) + 1;
    ordersByToken[token] = row;
  };

  // --- one journey: browse → (page) → view → checkout → poll
  async function journey(index: number, choices: JourneyChoices): Promise<'ok' | 'failed' | 'aborted'> {
    const user = users[index % users.length] as User;
    try {
      const query = new URLSearchParams({ limit: String(choices.limit) });
      if (choices.search) query.set('search', choices.search);
      let page = await authed(user, 'browse', 'GET', `/api/v1/products?${query}`);
      check(page);
      if (!isOk(page.outcome)) return 'failed';
      let items = productsOf(page.body);
      if (items.length === 0 && choices.search) {
        page = await authed(user, 'browse', 'GET', `/api/v1/products?limit=${choices.limit}`);
        check(page);
        if (!isOk(page.outcome)) return 'failed';
        items = productsOf(page.body);
      }
      const cursor = (page.body as { nextCursor?: unknown } | undefined)?.nextCursor;
      if (choices.nextPage && typeof cursor === 'string' && cursor) {
        const next = await authed(
          user,
          'browse_next',
          'GET',
          `/api/v1/products?limit=${choices.limit}&cursor=${encodeURIComponent(cursor)}`,
        );
        check(next);
        if (!isOk(next.outcome)) return 'failed';
        items = [...items, ...productsOf(next.body)];
      }
      if (items.length === 0) return 'ok';
      const viewed = items[Math.floor(choices.viewPick * items.length)] as Product;
      const view = await authed(user, 'view', 'GET', `/api/v1/products/${encodeURIComponent(viewed.id)}`);
      check(view);
      if (!isOk(view.outcome)) return 'failed';
      if (!choices.checkout) return 'ok';

      const basket = new Map<string, number>([[viewed.id, choices.quantity]]);
      if (choices.secondItem && items.length > 1) {
        const other = items[Math.floor(choices.secondPick * items.length)] as Product;
        if (other.id !== viewed.id) basket.set(other.id, 1);
      }
      const orderBody = {
        items: [...basket.entries()].map(([productId, quantity]) => ({ productId, quantity })),
        payment: { method: 'card', token: choices.token },
      };
      const idempotencyKey = randomUUID();
      const checkoutAt = performance.now();
      const placeOrder = () =>
        authed(user, 'checkout', 'POST', '/api/v1/orders', {
          body: orderBody,
          headers: { 'idempotency-key': idempotencyKey },
        });
      let placed = await placeOrder();
      check(placed);
      // Outcome unknown (the order service died after receiving it, say): the same request with the same key
      // answers the order if it was placed and places it otherwise, never twice (README, "The public API").
      let resends = 0;
      for (let reason = resendReason(placed); reason && resends < maxCheckoutRetries; ) {
        resends += 1;
        checkoutRetries.attempts += 1;
        checkoutRetries.byReason[reason] = (checkoutRetries.byReason[reason] ?? 0) + 1;
        await sleep(Math.min(placed.retryAfterMs ?? 1000, 5000));
        if (stop.signal.aborted) throw new JourneyAbort();
        placed = await placeOrder();
        check(placed);
        reason = resendReason(placed);
      }
      if (resends > 0) {
        checkoutRetries.retried += 1;
        if (isOk(placed.outcome)) checkoutRetries.recovered += 1;
      }
      if (!isOk(placed.outcome)) return 'failed';
      const order = placed.body as { id?: unknown; status?: unknown } | undefined;
      if (typeof order?.id !== 'string') {
        recordFailure('checkout', placed.outcome, placed.traceId, 'answer has no order id');
        return 'failed';
      }
      ordersPlaced += 1;
      options.onOrderAccepted?.({ id: order.id, idempotencyKey });
      let status = typeof order.status === 'string' ? order.status : 'PENDING';
      const deadline = checkoutAt + pollTimeoutMs;
      while (!isFinal(status)) {
        if (performance.now() >= deadline) {
          settle(choices.token, 'TIMEOUT');
          return 'failed';
        }
        await sleep(pollIntervalMs);
        if (stop.signal.aborted) throw new JourneyAbort();
        const polled = await authed(user, 'poll', 'GET', `/api/v1/orders/${encodeURIComponent(order.id)}`);
        check(polled);
        if (!isOk(polled.outcome)) {
          settle(choices.token, 'ERROR');
          return 'failed';
        }
        const s = (polled.body as { status?: unknown } | undefined)?.status;
        if (typeof s === 'string') status = s;
      }
      stat('order_settle').record(performance.now() - checkoutAt, 200);
      settle(choices.token, status);
      return 'ok';
    } catch (err) {
      if (err instanceof JourneyAbort) return 'aborted';
      throw err;
    }
  }

  async function timedJourney(index: number, choices: JourneyChoices): Promise<'ok' | 'failed' | 'aborted'> {
    const began = performance.now();
    const result = await journey(index, choices).catch(() => 'failed' as const);
    if (result !== 'aborted')
      stat('journey').record(performance.now() - began, result === 'ok' ? 200 : 'failed');
    return result;
  }

  // --- the open-model scheduler
  const startedAt = new Date();
  const t0 = performance.now();
  let started = 0;
  let completed = 0;
  let ok = 0;
  let failed = 0;
  let aborted = 0;
  let dropped = 0;
  const inFlight = new Set<Promise<void>>();

  const progressTimer = options.onProgress
    ? setInterval(() => {
        const latencies = recentRequests.values().sort((a, b) => a - b);
        const outcomes = recentOutcomes.values();
        const okRecent = outcomes.filter((o) => o === 1).length;
        options.onProgress?.({
          elapsedMs: performance.now() - t0,
          started,
          inFlight: inFlight.size,
          completed,
          ok,
          failed,
          dropped,
          rate: recentStarts.rate(),
          requestsOk: okRecent,
          requestsFailed: outcomes.length - okRecent,
          p50Ms: latencies.length ? (latencies[Math.ceil(0.5 * latencies.length) - 1] ?? null) : null,
          p99Ms: latencies.length ? (latencies[Math.ceil(0.99 * latencies.length) - 1] ?? null) : null,
        });
      }, options.progressIntervalMs ?? 1000)
    : undefined;

  let nextAt = 0;
  for (;;) {
    if (stop.signal.aborted) break;
    if (options.maxJourneys !== undefined && started + dropped >= options.maxJourneys) break;
    const gap =
      arrivals === 'uniform' ? 1000 / options.rate : (-Math.log(1 - random()) * 1000) / options.rate;
    // The first arrival comes at t=0, then one per gap.
    const at = started + dropped === 0 ? 0 : nextAt + gap;
    if (at >= options.durationMs) break;
    nextAt = at;
    const wait = t0 + at - performance.now();
    if (wait > 0) await sleep(wait);
    if (stop.signal.aborted) break;
    // Draw every choice now, in arrival order, so a seed reproduces the same journeys.
    const choices = drawChoices(random, options, searchTerms, pageLimit, checkoutRatio);
    if (inFlight.size >= options.concurrency) {
      dropped += 1;
      continue;
    }
    const index = started;
    started += 1;
    recentStarts.add(1);
    const p: Promise<void> = timedJourney(index, choices)
      .then((result) => {
        if (result === 'aborted') aborted += 1;
        else {
          completed += 1;
          if (result === 'ok') ok += 1;
          else failed += 1;
        }
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }

  // --- drain, then abort what is left
  if (inFlight.size > 0 && !stop.signal.aborted) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      }),
      new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true })),
    ]);
    clearTimeout(timer);
  }
  stop.abort();
  await Promise.allSettled([...inFlight]);
  if (progressTimer) clearInterval(progressTimer);
  options.signal?.removeEventListener('abort', onExternalAbort);
  await agent.close();

  const elapsedMs = performance.now() - t0;
  return {
    gateway,
    tenant: options.tenant,
    startedAt: startedAt.toISOString(),
    elapsedMs: Math.round(elapsedMs),
    config: {
      rate: options.rate,
      durationMs: options.durationMs,
      concurrency: options.concurrency,
      arrivals,
      seed,
      tokens: options.tokens,
      maxJourneys: options.maxJourneys ?? null,
    },
    users: { registered, loggedIn: users.length, demoFallback },
    journeys: {
      started,
      completed,
      ok,
      failed,
      aborted,
      dropped,
      achievedRate:
        Math.round((started / Math.max(1, Math.min(elapsedMs, options.durationMs) / 1000)) * 100) / 100,
    },
    steps: STEPS.map((s) => stat(s).summary()).filter((s) => s.count > 0),
    orders: { placed: ordersPlaced, byStatus: ordersByStatus, byToken: ordersByToken },
    checkoutRetries,
    failures,
  };
}

interface JourneyChoices {
  readonly search: string;
  readonly limit: number;
  readonly nextPage: boolean;
  readonly viewPick: number;
  readonly checkout: boolean;
  readonly quantity: number;
  readonly secondItem: boolean;
  readonly secondPick: number;
  readonly token: string;
}

function drawChoices(
  random: () => number,
  options: LoadOptions,
  searchTerms: readonly string[],
  pageLimit: number,
  checkoutRatio: number,
): JourneyChoices {
  return {
    search: searchTerms[Math.floor(random() * searchTerms.length)] ?? '',
    limit: random() < 0.5 ? pageLimit : Math.max(1, Math.round(pageLimit / 2)),
    nextPage: random() < 0.3,
    viewPick: random(),
    checkout: random() < checkoutRatio,
    quantity: random() < 0.8 ? 1 : 2,
    secondItem: random() < 0.3,
    secondPick: random(),
    token: pickWeighted(options.tokens, random()),
  };
}

function isFinal(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

function productsOf(body: unknown): Product[] {
  const items = (body as { items?: unknown } | undefined)?.items;
  if (!Array.isArray(items)) return [];
  return items.filter(
    (p): p is Product =>
      p !== null && typeof p === 'object' && typeof (p as { id?: unknown }).id === 'string',
  );
}

/**
 * Synthetic but realistic shop telemetry for developing the console: browse, login and checkout
 * traces across gateway, auth, catalog, order, inventory, payment and notification (with database
 * calls, a message hop, occasional failures and slow payments), trace-correlated logs, and
 * cumulative HTTP duration histograms plus a few business counters and gauges.
 * Written straight into the store's row shapes (the OTLP path is exercised by the e2e test).
 */
import { NULL_VALUES } from '../../server/src/ingest/convert.js';
import {
  EMPTY_ENVELOPE,
  type LogRow,
  type MetricPointRow,
  type SpanRow,
} from '../../server/src/store/types.js';

export interface Telemetry {
  spans: SpanRow[];
  logs: LogRow[];
}

const ns = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (rng: () => number, chars: number) => {
  let out = '';
  for (let i = 0; i < chars; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
};

const resourceJson = new Map<string, string>();
function resourceOf(service: string): string {
  let json = resourceJson.get(service);
  if (!json) {
    json = JSON.stringify({
      'service.name': service,
      'service.namespace': 'glassbox',
      'service.version': '0.1.0',
      'service.instance.id': `${service}-1`,
      'deployment.environment.name': 'demo',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
    });
    resourceJson.set(service, json);
  }
  return json;
}

const KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

interface Ctx {
  rng: () => number;
  traceId: string;
  spans: SpanRow[];
  logs: LogRow[];
}

interface SpanOpts {
  parent?: SpanRow;
  name: string;
  kind: number;
  service: string;
  startMs: number;
  durationMs: number;
  attrs?: Record<string, unknown>;
  error?: string;
  events?: { name: string; atMs: number; attributes: Record<string, unknown> }[];
  links?: { traceId: string; spanId: string }[];
  scope?: string;
}

function span(ctx: Ctx, o: SpanOpts): SpanRow {
  const startNs = ns(o.startMs);
  const durationNs = ns(o.durationMs);
  const row: SpanRow = {
    traceId: ctx.traceId,
    spanId: hex(ctx.rng, 16),
    parentSpanId: o.parent?.spanId ?? '',
    traceState: '',
    name: o.name,
    kind: o.kind,
    service: o.service,
    startNs,
    endNs: startNs + durationNs,
    durationNs,
    statusCode: o.error ? 2 : 0,
    statusMessage: o.error ?? '',
    attributes: JSON.stringify(o.attrs ?? {}),
    resource: resourceOf(o.service),
    scopeName: o.scope ?? '@opentelemetry/instrumentation-http',
    events: JSON.stringify(
      (o.events ?? []).map((e) => ({
        name: e.name,
        timeUnixNano: ns(e.atMs).toString(),
        attributes: e.attributes,
      })),
    ),
    links: JSON.stringify((o.links ?? []).map((l) => ({ ...l, traceState: '', attributes: {} }))),
    ...EMPTY_ENVELOPE,
    scopeVersion: '0.1.0',
    flags: 0x101,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  ctx.spans.push(row);
  return row;
}

const severities = { DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17 } as const;

function log(
  ctx: Ctx,
  s: SpanRow,
  atMs: number,
  level: keyof typeof severities,
  body: string,
  attrs: Record<string, unknown> = {},
): void {
  ctx.logs.push({
    timeNs: ns(atMs),
    observedNs: ns(atMs + 1),
    severityNumber: severities[level],
    severityText: level.toLowerCase(),
    body,
    service: s.service,
    traceId: s.traceId,
    spanId: s.spanId,
    attributes: JSON.stringify({ 'tenant.id': 'demo', ...attrs }),
    resource: s.resource,
    scopeName: 'pino',
    eventName: '',
    ...EMPTY_ENVELOPE,
    flags: 1,
    droppedAttributesCount: 0,
  });
}

const httpServer = (route: string, method: string, status: number) => ({
  'http.request.method': method,
  'http.route': route,
  'url.path': route.replace(':id', String(1000 + Math.floor(Math.random() * 9000))),
  'http.response.status_code': status,
  'server.address': 'localhost',
  'tenant.id': 'demo',
});
const httpClient = (method: string, url: string, status: number) => ({
  'http.request.method': method,
  'url.full': url,
  'http.response.status_code': status,
});
const db = (statement: string) => ({
  'db.system.name': 'postgresql',
  'db.namespace': 'glassbox',
  'db.query.text': statement,
});

/** One request through the gateway into `service`; returns the callee's SERVER span. */
function hop(
  ctx: Ctx,
  parent: SpanRow,
  service: string,
  method: string,
  route: string,
  startMs: number,
  durationMs: number,
  status = 200,
): SpanRow {
  const url = `http://127.0.0.1:${portOf[service] ?? 8080}${route}`;
  const client = span(ctx, {
    parent,
    name: method,
    kind: KIND.client,
    service: parent.service,
    startMs,
    durationMs,
    attrs: httpClient(method, url, status),
    scope: '@opentelemetry/instrumentation-undici',
    error: status >= 500 ? `HTTP ${status}` : undefined,
  });
  return span(ctx, {
    parent: client,
    name: `${method} ${route}`,
    kind: KIND.server,
    service,
    startMs: startMs + 0.4,
    durationMs: durationMs - 0.8,
    attrs: httpServer(route, method, status),
    error: status >= 500 ? `HTTP ${status}` : undefined,
  });
}

const portOf: Record<string, number> = {
  auth: 8081,
  user: 8082,
  catalog: 8083,
  inventory: 8084,
  order: 8085,
  payment: 8086,
};

function dbCall(ctx: Ctx, parent: SpanRow, startMs: number, durationMs: number, statement: string): SpanRow {
  const op = statement.split(' ')[0]!;
  return span(ctx, {
    parent,
    name: `pg.query:${op} glassbox`,
    kind: KIND.client,
    service: parent.service,
    startMs,
    durationMs,
    attrs: db(statement),
    scope: '@opentelemetry/instrumentation-pg',
  });
}

function browse(ctx: Ctx, t: number): void {
  const r = ctx.rng;
  const dbMs = 2 + r() * 6;
  const total = 6 + dbMs + r() * 8;
  const root = span(ctx, {
    name: 'GET /api/v1/products',
    kind: KIND.server,
    service: 'gateway',
    startMs: t,
    durationMs: total,
    attrs: httpServer('/api/v1/products', 'GET', 200),
  });
  const cat = hop(ctx, root, 'catalog', 'GET', '/products', t + 1.5, total - 3);
  dbCall(
    ctx,
    cat,
    t + 2.5,
    dbMs,
    'SELECT id, sku, name, price_cents FROM products WHERE tenant_id = $1 LIMIT $2',
  );
  log(ctx, cat, t + total - 2, 'INFO', 'listed products', { count: 20 });
  log(ctx, root, t + total, 'INFO', 'request completed', {
    statusCode: 200,
    responseTimeMs: Math.round(total),
  });
}

function login(ctx: Ctx, t: number): void {
  const r = ctx.rng;
  const bad = r() < 0.08;
  const scryptMs = 35 + r() * 25;
  const total = scryptMs + 12 + r() * 6;
  const status = bad ? 401 : 200;
  const root = span(ctx, {
    name: 'POST /api/v1/auth/login',
    kind: KIND.server,
    service: 'gateway',
    startMs: t,
    durationMs: total,
    attrs: httpServer('/api/v1/auth/login', 'POST', status),
  });
  const auth = hop(ctx, root, 'auth', 'POST', '/auth/login', t + 1, total - 2, status);
  dbCall(
    ctx,
    auth,
    t + 2,
    3 + r() * 2,
    'SELECT id, password_hash FROM credentials WHERE tenant_id = $1 AND email = $2',
  );
  span(ctx, {
    parent: auth,
    name: 'scrypt.verify',
    kind: KIND.internal,
    service: 'auth',
    startMs: t + 6,
    durationMs: scryptMs,
    scope: 'glassbox',
  });
  if (bad)
    log(ctx, auth, t + total - 2, 'WARN', 'login failed: bad credentials', { email: 'alice@demo.test' });
  else log(ctx, auth, t + total - 2, 'INFO', 'issued access token', { userId: 'u_alice' });
  log(ctx, root, t + total, 'INFO', 'request completed', {
    statusCode: status,
    responseTimeMs: Math.round(total),
  });
}

function checkout(ctx: Ctx, t: number, incident: boolean): void {
  const r = ctx.rng;
  const slowPay = r() < (incident ? 0.5 : 0.06);
  const fail = r() < (incident ? 0.25 : 0.03);
  const declined = !fail && r() < 0.05;
  const orderId = `ord_${hex(r, 8)}`;

  const invMs = 6 + r() * 6;
  const payMs = (slowPay ? 250 + r() * 400 : 25 + r() * 30) + (fail ? 300 : 0);
  const orderMs = 4 + invMs + 2 + payMs + 8;
  const total = orderMs + 5;
  const status = fail ? 502 : declined ? 402 : 201;

  const root = span(ctx, {
    name: 'POST /api/v1/orders',
    kind: KIND.server,
    service: 'gateway',
    startMs: t,
    durationMs: total,
    attrs: httpServer('/api/v1/orders', 'POST', status),
    error: fail ? 'HTTP 502' : undefined,
  });
  const order = hop(ctx, root, 'order', 'POST', '/orders', t + 2, orderMs, fail ? 502 : declined ? 402 : 201);
  let c = t + 3;
  dbCall(ctx, order, c, 2.5, 'INSERT INTO orders (id, tenant_id, status) VALUES ($1, $2, $3)');
  c += 3;
  const inv = hop(ctx, order, 'inventory', 'POST', '/reservations', c, invMs);
  dbCall(
    ctx,
    inv,
    c + 1,
    invMs - 3,
    'UPDATE stock SET reserved = reserved + $1 WHERE product_id = $2 AND available >= $1',
  );
  log(ctx, inv, c + invMs - 1, 'INFO', 'stock reserved', { orderId, quantity: 1 });
  c += invMs + 1;
  const pay = hop(ctx, order, 'payment', 'POST', '/payments', c, payMs, fail ? 503 : declined ? 402 : 201);
  const providerMs = payMs - 6;
  span(ctx, {
    parent: pay,
    name: 'provider.authorize',
    kind: KIND.client,
    service: 'payment',
    startMs: c + 2,
    durationMs: providerMs,
    attrs: {
      'payment.method': 'card',
      'payment.provider': 'simulated',
      'payment.token': slowPay ? 'tok_slow' : 'tok_ok',
    },
    scope: 'glassbox',
    error: fail ? 'provider timeout' : undefined,
    events: fail
      ? [
          {
            name: 'exception',
            atMs: c + 2 + providerMs - 1,
            attributes: {
              'exception.type': 'TimeoutError',
              'exception.message': 'provider did not answer within 300 ms',
              'exception.stacktrace':
                'TimeoutError: provider did not answer\n    at authorize (provider.ts:88:11)',
            },
          },
        ]
      : [],
  });
  dbCall(ctx, pay, c + payMs - 3.5, 2, 'INSERT INTO payments (id, order_id, status) VALUES ($1, $2, $3)');
  if (fail) {
    log(ctx, pay, c + payMs - 1, 'ERROR', 'payment provider timed out', {
      orderId,
      'error.type': 'TimeoutError',
    });
    log(ctx, order, t + 2 + orderMs - 2, 'ERROR', 'checkout failed: payment unavailable', { orderId });
  } else if (declined) {
    log(ctx, pay, c + payMs - 1, 'WARN', 'payment declined', { orderId, reason: 'card_declined' });
  } else {
    log(ctx, pay, c + payMs - 1, 'INFO', 'payment authorized', { orderId, amountCents: 4990 });
    log(ctx, order, t + 2 + orderMs - 2, 'INFO', 'order confirmed', { orderId });
  }
  c += payMs + 1;
  if (!fail && !declined) {
    const publish = span(ctx, {
      parent: order,
      name: 'orders publish',
      kind: KIND.producer,
      service: 'order',
      startMs: c,
      durationMs: 1.2,
      attrs: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'publish',
        'messaging.message.id': orderId,
      },
      scope: 'glassbox-bus',
    });
    const consume = span(ctx, {
      parent: publish,
      name: 'orders process',
      kind: KIND.consumer,
      service: 'notification',
      startMs: c + 3 + r() * 4,
      durationMs: 8 + r() * 10,
      attrs: {
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'process',
        'messaging.message.id': orderId,
      },
      scope: 'glassbox-bus',
      links: [{ traceId: ctx.traceId, spanId: publish.spanId }],
    });
    log(ctx, consume, c + 10, 'INFO', 'order confirmation email queued', { orderId, to: 'alice@demo.test' });
  }
  log(ctx, root, t + total, fail ? 'ERROR' : 'INFO', 'request completed', {
    statusCode: status,
    responseTimeMs: Math.round(total),
  });
}

/** One user request starting at `startMs`; `incident` raises failure and slowness. */
export function generateTrace(rng: () => number, startMs: number, incident = false): Telemetry {
  const ctx: Ctx = { rng, traceId: hex(rng, 32), spans: [], logs: [] };
  const pick = rng();
  if (pick < 0.55) browse(ctx, startMs);
  else if (pick < 0.75) login(ctx, startMs);
  else checkout(ctx, startMs, incident);
  return { spans: ctx.spans, logs: ctx.logs };
}

const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5];

interface HistogramState {
  service: string;
  attrs: string;
  counts: bigint[];
  count: bigint;
  sum: number;
  min: number;
  max: number;
}

/**
 * Cumulative metrics, like an SDK with periodic export: HTTP server duration histograms per
 * service and route, an order counter, and memory gauges. `record` the server spans of each
 * interval, then `collect` at its end.
 */
export class MetricAccumulator {
  private readonly histograms = new Map<string, HistogramState>();
  private orders = 0;
  private readonly startNs: bigint;

  constructor(startMs: number) {
    this.startNs = ns(startMs);
  }

  record(spans: readonly SpanRow[]): void {
    for (const s of spans) {
      if (s.kind !== KIND.server) continue;
      const a = JSON.parse(s.attributes) as Record<string, unknown>;
      const attrs = JSON.stringify({
        'http.request.method': a['http.request.method'],
        'http.route': a['http.route'],
        'http.response.status_code': a['http.response.status_code'],
      });
      const key = `${s.service}|${attrs}`;
      let h = this.histograms.get(key);
      if (!h) {
        h = {
          service: s.service,
          attrs,
          counts: BOUNDS.map(() => 0n).concat([0n]),
          count: 0n,
          sum: 0,
          min: Infinity,
          max: 0,
        };
        this.histograms.set(key, h);
      }
      const seconds = Number(s.durationNs) / 1e9;
      let i = BOUNDS.findIndex((b) => seconds <= b);
      if (i < 0) i = BOUNDS.length;
      h.counts[i]! += 1n;
      h.count += 1n;
      h.sum += seconds;
      h.min = Math.min(h.min, seconds);
      h.max = Math.max(h.max, seconds);
      if (s.service === 'order' && a['http.response.status_code'] === 201) this.orders++;
    }
  }

  collect(atMs: number, rng: () => number): MetricPointRow[] {
    const timeNs = ns(atMs);
    const base = {
      scopeName: 'glassbox',
      startNs: this.startNs,
      timeNs,
      ...NULL_VALUES,
      ...EMPTY_ENVELOPE,
      flags: 0,
    };
    const points: MetricPointRow[] = [];
    for (const h of this.histograms.values()) {
      points.push({
        ...base,
        name: 'http.server.request.duration',
        description: 'Duration of HTTP server requests.',
        unit: 's',
        type: 'histogram',
        service: h.service,
        attributes: h.attrs,
        resource: resourceOf(h.service),
        scopeName: '@opentelemetry/instrumentation-http',
        temporality: 2,
        isMonotonic: null,
        count: h.count,
        sum: h.sum,
        min: h.min,
        max: h.max,
        bounds: BOUNDS,
        bucketCounts: [...h.counts],
      });
    }
    points.push({
      ...base,
      name: 'glassbox.orders.confirmed',
      description: 'Orders confirmed.',
      unit: '{order}',
      type: 'sum',
      service: 'order',
      attributes: JSON.stringify({ 'tenant.id': 'demo' }),
      resource: resourceOf('order'),
      temporality: 2,
      isMonotonic: true,
      value: this.orders,
    });
    for (const service of ['gateway', 'auth', 'catalog', 'order', 'inventory', 'payment', 'notification']) {
      points.push({
        ...base,
        name: 'process.memory.usage',
        description: 'The amount of physical memory in use.',
        unit: 'By',
        type: 'gauge',
        service,
        attributes: '{}',
        resource: resourceOf(service),
        temporality: 0,
        isMonotonic: null,
        value: Math.round((60 + rng() * 8 + (service === 'gateway' ? 20 : 0)) * 1024 * 1024),
      });
    }
    return points;
  }
}

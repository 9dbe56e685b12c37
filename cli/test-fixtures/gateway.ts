// A small stand-in for the Glassbox gateway's public API (DESIGN §3), for the load generator's tests.
// It keeps its own counts, so a test can check the generator's report against what the server saw.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

export interface FixtureGatewayOptions {
  readonly products?: number;
  /** Every n-th product view answers 503. */
  readonly failEveryNthView?: number;
  /** A token stops working after this many uses (401), forcing a new login. */
  readonly tokenUses?: number;
  /** Registration answers 403 (the generator must fall back to the demo customer). */
  readonly registrationClosed?: boolean;
  /** Delay added to every answer. */
  readonly delayMs?: number;
  /** How long tok_slow orders stay PENDING. */
  readonly slowMs?: number;
  /**
   * Every n-th new order is placed, but its answer is lost: 503 OUTCOME_UNKNOWN with Retry-After, as the real
   * gateway answers when the order service dies after receiving the request.
   */
  readonly loseEveryNthOrder?: number;
}

export interface FixtureGatewayCounts {
  /** `${method} ${route} ${status}` → count */
  readonly requests: Map<string, number>;
  readonly ordersCreated: number;
  readonly idempotentReplays: number;
  /** Final status the clients were told, per order (first time it was final). */
  readonly finalStatuses: Map<string, string>;
  readonly orderTokens: Map<string, string>;
  readonly maxInFlight: number;
}

export interface FixtureGateway {
  readonly url: string;
  readonly counts: FixtureGatewayCounts;
  count(method: string, route: string, status?: number): number;
  close(): Promise<void>;
}

interface Order {
  id: string;
  token: string;
  createdAt: number;
  polls: number;
  status: string;
  items: Array<{ productId: string; quantity: number }>;
}

const WORDS = ['shirt', 'mug', 'book', 'lamp', 'coffee', 'bag', 'tea', 'pro', 'desk', 'pen'];

export async function startFixtureGateway(options: FixtureGatewayOptions = {}): Promise<FixtureGateway> {
  const products = Array.from({ length: options.products ?? 45 }, (_, i) => ({
    id: `p-${String(i + 1).padStart(3, '0')}`,
    sku: `SKU-${i + 1}`,
    name: `${WORDS[i % WORDS.length]} ${i + 1}`,
    priceCents: 500 + i * 10,
    currency: 'EUR',
  }));
  const users = new Map<string, string>([['demo/alice@demo.test', 'glassbox-demo']]);
  const tokens = new Map<string, { email: string; uses: number }>();
  const orders = new Map<string, Order>();
  const byKey = new Map<string, string>();
  const requests = new Map<string, number>();
  const finalStatuses = new Map<string, string>();
  const orderTokens = new Map<string, string>();
  let views = 0;
  let ordersCreated = 0;
  let idempotentReplays = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const server = http.createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const respond = () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const method = req.method ?? 'GET';
        let route = url.pathname;
        const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
          const key = `${method} ${route} ${status}`;
          requests.set(key, (requests.get(key) ?? 0) + 1);
          const problem = status >= 400;
          res.writeHead(status, {
            'content-type': problem ? 'application/problem+json' : 'application/json',
            ...headers,
          });
          res.end(body === undefined ? '' : JSON.stringify(body));
          inFlight -= 1;
        };
        const fail = (status: number, title: string): void =>
          send(status, { type: 'about:blank', title, status, traceId: '0'.repeat(32) });
        let body: Record<string, unknown> = {};
        try {
          body = chunks.length
            ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
            : {};
        } catch {
          return fail(400, 'bad json');
        }
        const auth = (): string | undefined => {
          const header = req.headers.authorization ?? '';
          const token = header.startsWith('Bearer ') ? header.slice(7) : '';
          const entry = tokens.get(token);
          if (!entry) return undefined;
          entry.uses += 1;
          if (options.tokenUses !== undefined && entry.uses > options.tokenUses) return undefined;
          return entry.email;
        };

        if (url.pathname === '/healthz') return send(200, { status: 'ok' });
        if (url.pathname === '/api/v1/auth/register' && method === 'POST') {
          if (options.registrationClosed) return fail(403, 'registration closed');
          if (body.tenant !== 'demo') return fail(404, 'no such tenant');
          const key = `${body.tenant}/${String(body.email)}`;
          if (users.has(key)) return fail(409, 'exists');
          users.set(key, String(body.password));
          return send(201, { id: randomUUID() });
        }
        if (url.pathname === '/api/v1/auth/login' && method === 'POST') {
          const key = `${String(body.tenant)}/${String(body.email)}`;
          if (users.get(key) !== body.password) return fail(401, 'bad credentials');
          const token = `tk-${randomUUID()}`;
          tokens.set(token, { email: String(body.email), uses: 0 });
          return send(200, { accessToken: token, refreshToken: `r-${token}`, expiresIn: 900 });
        }
        if (url.pathname === '/api/v1/products' && method === 'GET') {
          if (!auth()) return fail(401, 'unauthenticated');
          const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 20));
          const search = url.searchParams.get('search') ?? '';
          const offset = Number(
            Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || 0,
          );
          const matching = products.filter((p) => p.name.includes(search));
          const items = matching.slice(offset, offset + limit);
          const next =
            offset + limit < matching.length
              ? Buffer.from(String(offset + limit)).toString('base64url')
              : null;
          return send(200, { items, nextCursor: next });
        }
        const productMatch = /^\/api\/v1\/products\/([^/]+)$/.exec(url.pathname);
        if (productMatch && method === 'GET') {
          route = '/api/v1/products/:id';
          if (!auth()) return fail(401, 'unauthenticated');
          views += 1;
          if (options.failEveryNthView && views % options.failEveryNthView === 0)
            return fail(503, 'injected');
          const product = products.find((p) => p.id === decodeURIComponent(productMatch[1] ?? ''));
          return product ? send(200, product) : fail(404, 'no such product');
        }
        if (url.pathname === '/api/v1/orders' && method === 'POST') {
          if (!auth()) return fail(401, 'unauthenticated');
          const key = req.headers['idempotency-key'];
          if (typeof key !== 'string' || key === '') return fail(400, 'Idempotency-Key required');
          const existing = byKey.get(key);
          if (existing) {
            idempotentReplays += 1;
            const order = orders.get(existing) as Order;
            return send(200, { id: order.id, status: order.status });
          }
          const payment = body.payment as { method?: string; token?: string } | undefined;
          const items = body.items as Array<{ productId: string; quantity: number }> | undefined;
          if (!Array.isArray(items) || items.length === 0 || payment?.method !== 'card' || !payment.token) {
            return fail(400, 'bad order');
          }
          for (const item of items) {
            if (!products.some((p) => p.id === item.productId) || !(item.quantity >= 1)) {
              return fail(400, 'bad item');
            }
          }
          const order: Order = {
            id: randomUUID(),
            token: payment.token,
            createdAt: Date.now(),
            polls: 0,
            status: 'PENDING',
            items,
          };
          orders.set(order.id, order);
          byKey.set(key, order.id);
          orderTokens.set(order.id, order.token);
          ordersCreated += 1;
          if (options.loseEveryNthOrder && ordersCreated % options.loseEveryNthOrder === 0) {
            const status = 503;
            const title = 'The outcome of the request is unknown';
            const problem = { type: 'about:blank', title, status, code: 'OUTCOME_UNKNOWN', retryable: true };
            return send(status, problem, { 'retry-after': '0' });
          }
          return send(202, { id: order.id, status: order.status });
        }
        const orderMatch = /^\/api\/v1\/orders\/([^/]+)$/.exec(url.pathname);
        if (orderMatch && method === 'GET') {
          route = '/api/v1/orders/:id';
          if (!auth()) return fail(401, 'unauthenticated');
          const order = orders.get(decodeURIComponent(orderMatch[1] ?? ''));
          if (!order) return fail(404, 'no such order');
          order.polls += 1;
          if (order.status === 'PENDING') {
            if (order.token === 'tok_ok' && order.polls >= 1) order.status = 'CONFIRMED';
            else if (order.token === 'tok_declined' && order.polls >= 1) order.status = 'FAILED';
            else if (order.token === 'tok_slow' && Date.now() - order.createdAt >= (options.slowMs ?? 500)) {
              order.status = 'CONFIRMED';
            } else if (order.token === 'tok_cancel') order.status = 'CANCELLED';
          }
          if (order.status !== 'PENDING' && !finalStatuses.has(order.id))
            finalStatuses.set(order.id, order.status);
          return send(200, {
            id: order.id,
            status: order.status,
            items: order.items,
            totalCents: 0,
            currency: 'EUR',
          });
        }
        return fail(404, 'no route');
      };
      if (options.delayMs) setTimeout(respond, options.delayMs);
      else respond();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: {
      requests,
      get ordersCreated() {
        return ordersCreated;
      },
      get idempotentReplays() {
        return idempotentReplays;
      },
      finalStatuses,
      orderTokens,
      get maxInFlight() {
        return maxInFlight;
      },
    },
    count(method, route, status) {
      let total = 0;
      for (const [key, n] of requests) {
        const [m, r, s] = key.split(' ');
        if (m === method && r === route && (status === undefined || Number(s) === status)) total += n;
      }
      return total;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

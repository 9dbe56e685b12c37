/**
 * The gateway's routing table (DESIGN §3): which service owns a public path, and which paths need no token.
 * Pure: the proxy turns a request's raw path into a match here and forwards the same path and query unchanged.
 */
export const UPSTREAMS = ['auth', 'user', 'catalog', 'inventory', 'order', 'payment'] as const;
export type Upstream = (typeof UPSTREAMS)[number];

export interface RouteMatch {
  upstream: Upstream;
  /** True when the route is reachable without an access token. */
  public: boolean;
  /**
   * The route group as a low-cardinality template (`/api/v1/orders/*`): the `http.route` of the gateway's
   * spans and metrics, so the public API's availability can be measured per group (slo/public-api.yaml).
   */
  route: string;
}

interface Rule extends Omit<RouteMatch, 'route'> {
  prefix: string;
  /** Match only the prefix itself, not paths below it. */
  exact?: boolean;
}

// First match wins: specific rules before the general ones they overlap.
const RULES: readonly Rule[] = [
  { prefix: '/api/v1/auth', upstream: 'auth', public: true },
  { prefix: '/api/v1/me', upstream: 'user', public: false },
  { prefix: '/api/v1/products', upstream: 'catalog', public: false },
  { prefix: '/api/v1/admin/products', upstream: 'catalog', public: false },
  { prefix: '/api/v1/admin/stock', upstream: 'inventory', public: false },
  { prefix: '/api/v1/orders', upstream: 'order', public: false },
  // Provider callbacks carry an HMAC signature instead of a token; the payment service verifies it.
  { prefix: '/api/v1/payments/provider-callbacks', upstream: 'payment', public: true, exact: true },
  { prefix: '/api/v1/payments', upstream: 'payment', public: false },
  { prefix: '/api/v1/admin/payments', upstream: 'payment', public: false },
];

/**
 * Paths the gateway refuses to route whatever their prefix: dot segments, empty segments, backslashes and
 * percent-encoded dots, slashes or backslashes, which a server behind could normalize into another path
 * (for instance one under /internal).
 */
export function isSafePath(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\\') || path.includes('//')) return false;
  if (/%(2e|2f|5c|00)/i.test(path)) return false;
  return !path.split('/').some((segment) => segment === '.' || segment === '..');
}

/** The owner of a request path (no query), or undefined when the gateway does not expose it. */
export function matchRoute(path: string): RouteMatch | undefined {
  if (!isSafePath(path)) return undefined;
  for (const rule of RULES) {
    const hit = rule.exact
      ? path === rule.prefix || path === `${rule.prefix}/`
      : path === rule.prefix || path.startsWith(`${rule.prefix}/`);
    if (hit)
      return {
        upstream: rule.upstream,
        public: rule.public,
        route: rule.exact ? rule.prefix : `${rule.prefix}/*`,
      };
  }
  return undefined;
}

/** Splits a raw request URL into its path and query string (with the "?"), without decoding anything. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}

/**
 * The gateway's routing table (DESIGN §3): which service owns a public path, and which paths need no token —
 * read from the service manifest (`@glassbox/contracts`). Pure: the proxy turns a request's raw path into a
 * match here and forwards the same path and query unchanged.
 */
import { gatewayRoutes, type ServiceName } from '@glassbox/contracts';

/** Every service that owns a public prefix (from the service manifest). */
export const UPSTREAMS: readonly Upstream[] = [...new Set(gatewayRoutes().map((r) => r.upstream))];
export type Upstream = ServiceName;

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

// The manifest's public prefixes, longest first: a specific rule wins over the general one it overlaps.
const RULES = gatewayRoutes();

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

/**
 * The gateway's routing table (DESIGN §3): which service owns a public path, which paths need no token, and the
 * route template a path falls under — read from the service manifest (`@glassbox/contracts`). Pure: the proxy
 * turns a request's raw path into a match here and forwards the same path and query unchanged.
 */
import { type GatewayRoute, gatewayRoutes, type ServiceName } from '@glassbox/contracts';

/** Every service that owns a public prefix (from the service manifest). */
export const UPSTREAMS: readonly Upstream[] = [...new Set(gatewayRoutes().map((r) => r.upstream))];
export type Upstream = ServiceName;

export interface RouteMatch {
  upstream: Upstream;
  /** True when the route is reachable without an access token. */
  public: boolean;
  /** Its GETs answer every user of a tenant alike (the manifest's `sharedReads`): a degraded answer may be shared. */
  sharedReads: boolean;
  /**
   * The owning service's route template (`/api/v1/orders/:id`), never a raw id: the gateway's span name and the
   * `http.route` of its metrics. A path under the prefix that no template matches gets `<prefix>/*`.
   */
  template: string;
}

// The manifest's public prefixes, longest first: a specific rule wins over the general one it overlaps.
const RULES: readonly GatewayRoute[] = gatewayRoutes();

/** Every public route template the gateway knows, for tests and documentation. */
export function routeTemplates(): string[] {
  return RULES.flatMap((rule) => rule.templates.map((r) => `${rule.prefix}${r}`));
}

/** The template among `templates` (relative to the prefix) that `rest` matches; static segments win over params. */
function templateOf(rule: GatewayRoute, rest: string): string {
  const segments = rest.split('/').slice(1);
  let best: { route: string; params: number } | undefined;
  for (const route of rule.templates) {
    const parts = route.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    let params = 0;
    const fits = parts.every((part, i) => {
      if (part.startsWith(':')) {
        params += 1;
        return (segments[i] ?? '') !== '';
      }
      return part === segments[i];
    });
    if (fits && (!best || params < best.params)) best = { route, params };
  }
  return best ? `${rule.prefix}${best.route}` : `${rule.prefix}/*`;
}

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
    if (hit) {
      const rest = path.slice(rule.prefix.length).replace(/\/$/, '');
      return {
        upstream: rule.upstream,
        public: rule.public,
        sharedReads: rule.sharedReads,
        template: templateOf(rule, rest),
      };
    }
  }
  return undefined;
}

/** Splits a raw request URL into its path and query string (with the "?"), without decoding anything. */
export function splitUrl(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q) };
}

/**
 * The whole public API as one OpenAPI document (issue 7 §7): each service describes its own routes
 * (`/openapi.json` on its internal port, generated from the TypeBox schemas its routes validate with); the
 * gateway keeps, of each, only the operations it routes to that service — the manifest's public prefixes and
 * templates — so internal routes (`/internal/…`, the JWKS, probes) never appear. Pure: fetching is the route's.
 */
import type { GatewayRoute } from '@glassbox/contracts';

type Json = Record<string, unknown>;

export interface ServiceDocument {
  service: string;
  /** The service's own OpenAPI document; absent when it could not be read (why is logged, never published). */
  document?: Json;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** `/api/v1/orders/{id}` (OpenAPI) → `/api/v1/orders/:id` (the manifest's templates). */
export function toTemplate(openApiPath: string): string {
  return openApiPath.replace(/\{([^}/]+)\}/g, ':$1');
}

/** The manifest rule and template an OpenAPI path of `service` falls under, if the gateway routes it there. */
function routeOf(
  routes: readonly GatewayRoute[],
  service: string,
  openApiPath: string,
): GatewayRoute | undefined {
  const template = toTemplate(openApiPath);
  return routes.find(
    (r) =>
      r.upstream === service &&
      r.templates.some((t) => `${r.prefix}${t}` === template) &&
      // The longest prefix owns a path: a rule shadowed by a longer one of another service does not count.
      routes.find((o) => template === o.prefix || (!o.exact && template.startsWith(`${o.prefix}/`))) === r,
  );
}

export function publicOpenApi(options: {
  version: string;
  routes: readonly GatewayRoute[];
  services: readonly ServiceDocument[];
}): Json {
  const paths: Record<string, Json> = {};
  const unavailable: string[] = [];
  for (const { service, document } of options.services) {
    if (!document) {
      unavailable.push(service);
      continue;
    }
    const servicePaths = (document.paths ?? {}) as Record<string, Json>;
    for (const [path, item] of Object.entries(servicePaths)) {
      const route = routeOf(options.routes, service, path);
      if (!route) continue;
      const operations: Json = {};
      for (const method of METHODS) {
        const operation = item[method] as Json | undefined;
        if (!operation) continue;
        operations[method] = {
          ...operation,
          tags: [service],
          // What the gateway enforces, whatever the service says: a token on every route not marked public.
          security: route.public ? [] : [{ bearer: [] }],
        };
      }
      if (Object.keys(operations).length > 0) paths[path] = { ...paths[path], ...operations };
    }
  }
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Glassbox public API',
      version: options.version,
      description:
        'Every route the gateway serves, from the services that own them. Errors are RFC 9457 problem+json ' +
        'documents with a `code` and the `traceId` of the request.',
    },
    servers: [{ url: '/' }],
    tags: options.services.filter((s) => s.document).map((s) => ({ name: s.service })),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
    security: [{ bearer: [] }],
    paths: sorted,
    // Names only: an error message would tell the internet the services' internal addresses.
    ...(unavailable.length > 0 ? { 'x-glassbox-unavailable': unavailable.sort() } : {}),
  };
}

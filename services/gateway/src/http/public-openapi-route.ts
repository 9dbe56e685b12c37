/**
 * `GET /api/v1`, the base URL the start banner prints: what is there (every public path template, from the
 * routing table) and where it is described. `GET /openapi.json` on the public port: the whole public API (domain/public-openapi.ts), assembled from the
 * services' own documents. Read at most every 30 s (documents change only with a deploy); a service that does
 * not answer is left out and named under `x-glassbox-unavailable`, and the next request asks it again.
 */
import type { GatewayRoute } from '@glassbox/contracts';
import { createHttpClient, type Logger, type ServiceApp } from '@glassbox/kit';
import { publicOpenApi, type ServiceDocument } from '../domain/public-openapi.js';

const FRESH_MS = 30_000;

export function publicOpenApiRoute(
  app: ServiceApp,
  options: {
    routes: readonly GatewayRoute[];
    urls: Readonly<Record<string, string>>;
    version: string;
    logger: Logger;
    now?: () => number;
  },
): void {
  const now = options.now ?? Date.now;
  const clients = Object.entries(options.urls).map(([service, baseUrl]) => ({
    service,
    client: createHttpClient({ name: service, baseUrl, timeoutMs: 2_000, retries: 0 }),
  }));
  let cached: { at: number; document: Record<string, unknown>; complete: boolean } | undefined;
  let pending: Promise<Record<string, unknown>> | undefined;

  async function assemble(): Promise<Record<string, unknown>> {
    const services: ServiceDocument[] = await Promise.all(
      clients.map(async ({ service, client }) => {
        try {
          const document = await client.json<Record<string, unknown>>({
            path: '/openapi.json',
            route: '/openapi.json',
          });
          if (typeof document !== 'object' || document === null || typeof document.paths !== 'object') {
            options.logger.warn({ service }, 'its /openapi.json is not an OpenAPI document');
            return { service };
          }
          return { service, document };
        } catch (error) {
          options.logger.warn(
            { service, err: (error as Error).message },
            'its /openapi.json could not be read',
          );
          return { service };
        }
      }),
    );
    const document = publicOpenApi({ version: options.version, routes: options.routes, services });
    cached = { at: now(), document, complete: services.every((s) => s.document) };
    return document;
  }

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    // A complete document is reused while fresh; an incomplete one is retried on the next request.
    if (!cached || !cached.complete || now() - cached.at >= FRESH_MS) {
      pending ??= assemble().finally(() => {
        pending = undefined;
      });
      await pending;
    }
    reply.header('cache-control', 'public, max-age=30');
    return cached?.document;
  });

  const paths = [...new Set(options.routes.flatMap((r) => r.templates.map((t) => `${r.prefix}${t}`)))].sort();
  app.get('/api/v1', { schema: { hide: true } }, async () => ({
    title: 'Glassbox public API',
    version: options.version,
    openapi: '/openapi.json',
    paths,
  }));
}

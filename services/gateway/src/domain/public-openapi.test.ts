import { gatewayRoutes } from '@glassbox/contracts';
import { describe, expect, it } from 'vitest';
import { publicOpenApi, toTemplate } from './public-openapi.js';

const op = (summary: string) => ({ summary, responses: { 200: { description: 'ok' } } });

describe('the public API document', () => {
  const routes = gatewayRoutes();

  it('keeps only the operations the gateway routes to each service, with the security the gateway enforces', () => {
    const doc = publicOpenApi({
      version: '1',
      routes,
      services: [
        {
          service: 'auth',
          document: {
            paths: {
              '/api/v1/auth/login': { post: { ...op('log in'), security: [{ bearer: [] }] } },
              '/api/v1/auth/tenants/{id}/keys': { get: op('an admin route no manifest template lists') },
              '/.well-known/jwks.json': { get: op('the JWKS') },
              '/internal/users': { post: op('internal') },
            },
          },
        },
        {
          service: 'order',
          document: {
            paths: {
              '/api/v1/orders': { post: op('place'), get: op('list') },
              '/api/v1/orders/{id}': { get: op('read') },
              '/healthz': { get: op('probe') },
            },
          },
        },
        // A service claiming a path another owns does not get it into the document.
        {
          service: 'catalog',
          document: { paths: { '/api/v1/orders/{id}/cancel': { post: op('not mine') } } },
        },
      ],
    });
    const paths = doc.paths as Record<string, Record<string, { tags: string[]; security: unknown[] }>>;
    expect(Object.keys(paths)).toEqual(['/api/v1/auth/login', '/api/v1/orders', '/api/v1/orders/{id}']);
    // Login needs no token (a public route in the manifest); the orders need one, whatever the service said.
    expect(paths['/api/v1/auth/login']?.post?.security).toEqual([]);
    expect(paths['/api/v1/orders']?.post?.security).toEqual([{ bearer: [] }]);
    expect(paths['/api/v1/orders']?.get?.tags).toEqual(['order']);
    expect(doc['x-glassbox-unavailable']).toBeUndefined();
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('names a service whose document could not be read, and keeps the others', () => {
    const doc = publicOpenApi({
      version: '1',
      routes,
      services: [
        { service: 'payment' },
        { service: 'order', document: { paths: { '/api/v1/orders': { get: op('list') } } } },
      ],
    });
    expect(doc['x-glassbox-unavailable']).toEqual(['payment']);
    expect(Object.keys(doc.paths as object)).toEqual(['/api/v1/orders']);
    expect(doc.tags).toEqual([{ name: 'order' }]);
  });

  it('reads OpenAPI path parameters as the manifest writes them', () => {
    expect(toTemplate('/api/v1/orders/{id}/cancel')).toBe('/api/v1/orders/:id/cancel');
    expect(toTemplate('/api/v1/admin/stock/{productId}')).toBe('/api/v1/admin/stock/:productId');
  });
});

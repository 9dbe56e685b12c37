import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isSafePath, matchRoute, routeTemplates, splitUrl } from './routes.js';

describe('matchRoute', () => {
  it.each([
    ['/api/v1/auth/login', 'auth', true],
    ['/api/v1/auth/register', 'auth', true],
    ['/api/v1/me', 'user', false],
    ['/api/v1/me/addresses', 'user', false],
    ['/api/v1/me/addresses/9b2a', 'user', false],
    ['/api/v1/products', 'catalog', false],
    ['/api/v1/products/123', 'catalog', false],
    ['/api/v1/admin/products', 'catalog', false],
    ['/api/v1/admin/products/1', 'catalog', false],
    ['/api/v1/admin/stock/abc', 'inventory', false],
    ['/api/v1/orders', 'order', false],
    ['/api/v1/orders/1', 'order', false],
    ['/api/v1/payments/provider-callbacks', 'payment', true],
    ['/api/v1/payments/abc', 'payment', false],
    ['/api/v1/admin/payments/p1/refunds', 'payment', false],
  ])('routes %s to %s (public: %s)', (path, upstream, isPublic) => {
    expect(matchRoute(path)).toMatchObject({ upstream, public: isPublic });
  });

  it.each([
    ['/api/v1/auth/login', '/api/v1/auth/login'],
    ['/api/v1/me', '/api/v1/me'],
    ['/api/v1/me/', '/api/v1/me'],
    ['/api/v1/me/addresses/9b2a', '/api/v1/me/addresses/:id'],
    ['/api/v1/products/00000000-0000-4000-8000-000000001001', '/api/v1/products/:id'],
    ['/api/v1/orders/o-1/cancel', '/api/v1/orders/:id/cancel'],
    ['/api/v1/admin/stock/abc', '/api/v1/admin/stock/:productId'],
    ['/api/v1/admin/payments/reconciliation-flags', '/api/v1/admin/payments/reconciliation-flags'],
    ['/api/v1/admin/payments/p1', '/api/v1/admin/payments/:id'],
    ['/api/v1/admin/payments/p1/refunds', '/api/v1/admin/payments/:id/refunds'],
    ['/api/v1/payments/provider-callbacks', '/api/v1/payments/provider-callbacks'],
    // Unknown below a known prefix: bounded, never the raw path.
    ['/api/v1/orders/1/2/3', '/api/v1/orders/*'],
    ['/api/v1/payments/abc', '/api/v1/payments/*'],
  ])('names %s by its route template %s', (path, template) => {
    expect(matchRoute(path)?.template).toBe(template);
  });

  it("knows exactly the services' public routes", () => {
    // One list: every /api/v1 route a service declares is a template here, and nothing else is.
    const root = new URL('../../../', import.meta.url);
    const declared = new Set<string>();
    for (const service of readdirSync(root)) {
      if (service === 'gateway') continue;
      const http = new URL(`${service}/src/http/`, root);
      let files: string[];
      try {
        files = readdirSync(http).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
      } catch {
        continue;
      }
      for (const file of files) {
        const text = readFileSync(new URL(file, http), 'utf8');
        for (const [, route] of text.matchAll(/\.(?:get|post|put|patch|delete)\(\s*'(\/api\/v1\/[^']*)'/g))
          declared.add(route ?? '');
      }
    }
    expect(declared.size).toBeGreaterThan(10);
    expect(new Set(routeTemplates())).toEqual(declared);
  });

  it.each([
    '/api/v1',
    '/api/v1/',
    '/api/v1/meow',
    '/api/v1/productsx',
    '/api/v1/admin',
    '/api/v1/admin/campaigns',
    '/api/v1/internal/x',
    '/internal/profiles',
    '/api/v2/orders',
    '/api/v1/flash-salesx/1',
  ])('does not route %s', (path) => {
    expect(matchRoute(path)).toBeUndefined();
  });

  it('does not make a path below the provider callback public', () => {
    expect(matchRoute('/api/v1/payments/provider-callbacks/x')).toEqual({
      upstream: 'payment',
      public: false,
      sharedReads: false,
      template: '/api/v1/payments/*',
    });
  });

  it('shares degraded reads of the public catalog only: never of an admin or a personal route', () => {
    expect(matchRoute('/api/v1/products')?.sharedReads).toBe(true);
    expect(matchRoute('/api/v1/products/00000000-0000-4000-8000-000000001001')?.sharedReads).toBe(true);
    const shared = routeTemplates().filter((t) => matchRoute(t.replace(/:\w+/g, 'x'))?.sharedReads);
    expect(shared).toEqual(['/api/v1/products', '/api/v1/products/:id']);
    for (const path of [
      '/api/v1/admin/products',
      '/api/v1/me',
      '/api/v1/orders/x',
      '/api/v1/me/notifications',
    ]) {
      expect(matchRoute(path)?.sharedReads, path).toBe(false);
    }
  });

  it('refuses paths a service could normalize into another one', () => {
    for (const path of [
      '/api/v1/me/../../internal/profiles',
      '/api/v1/me/./addresses',
      '/api/v1/me/%2e%2e/x',
      '/api/v1/me/%2E%2E/x',
      '/api/v1/me%2f..%2finternal',
      '/api/v1/me//addresses',
      '/api/v1/me\\..\\internal',
      '/api/v1/me/%00',
      'api/v1/me',
    ]) {
      expect(isSafePath(path)).toBe(false);
      expect(matchRoute(path)).toBeUndefined();
    }
    expect(isSafePath('/api/v1/products/a%20b')).toBe(true);
  });
});

describe('splitUrl', () => {
  it('keeps the query string exactly as sent', () => {
    expect(splitUrl('/api/v1/products?search=a%20b&limit=5')).toEqual({
      path: '/api/v1/products',
      query: '?search=a%20b&limit=5',
    });
    expect(splitUrl('/api/v1/me')).toEqual({ path: '/api/v1/me', query: '' });
  });
});

import { describe, expect, it } from 'vitest';
import { isSafePath, matchRoute, splitUrl } from './routes.js';

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
    ['/api/v1/orders', '/api/v1/orders/*'],
    ['/api/v1/orders/1/cancel', '/api/v1/orders/*'],
    ['/api/v1/auth/login', '/api/v1/auth/*'],
    ['/api/v1/admin/stock/abc', '/api/v1/admin/stock/*'],
    ['/api/v1/payments/provider-callbacks', '/api/v1/payments/provider-callbacks'],
  ])('labels %s with its route group %s', (path, route) => {
    expect(matchRoute(path)?.route).toBe(route);
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
    '/api/v1/flash-sales/1/purchases',
  ])('does not route %s', (path) => {
    expect(matchRoute(path)).toBeUndefined();
  });

  it('does not make a path below the provider callback public', () => {
    expect(matchRoute('/api/v1/payments/provider-callbacks/x')).toEqual({
      upstream: 'payment',
      public: false,
      route: '/api/v1/payments/*',
    });
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

import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceApp } from './app.js';
import { authPlugin } from './auth.js';
import { appError } from './errors.js';
import { createLogger } from './logger.js';
import { createTestKeys, type TestKeys } from './testing/index.js';

let app: ServiceApp;
let keys: TestKeys;
let dependencyUp = true;
const INTERNAL = 'internal-secret-0123456789';

beforeAll(async () => {
  keys = await createTestKeys();
  app = await createServiceApp({
    name: 'unit',
    logger: createLogger('unit', 'silent'),
    readiness: {
      dependency: async () => {
        if (!dependencyUp) throw new Error('dependency down');
      },
    },
  });
  await app.register(authPlugin, { keys: keys.keys, internalToken: INTERNAL });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1 }), qty: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
  app.get('/conflict', async () => {
    throw appError('OUT_OF_STOCK', 'only 2 left', { productId: 'p1', status: 'RELEASED' });
  });
  app.get(
    '/search',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, default: 20 }) }) } },
    async (request) => ({ limit: request.query.limit }),
  );
  app.get('/crash', async () => {
    throw new Error('secret internals');
  });
  app.get('/mine', { preHandler: app.authenticate }, async (request) => request.principal);
  app.get('/admin', { preHandler: [app.authenticate, app.requireRole('admin')] }, async () => ({ ok: true }));
  app.get('/internal/x', { preHandler: app.internalOnly }, async (request) => request.principal);
  await app.ready();
});
afterAll(() => app.close());

describe('createServiceApp', () => {
  it('rejects a body with a wrong type as 400 problem+json naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'a', qty: 'many' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.json().errors).toContainEqual(expect.objectContaining({ path: 'body/qty' }));
  });

  it('rejects malformed JSON as 400 and a wrong media type as 415', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    const media = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b',
    });
    expect(media.statusCode).toBe(415);
    expect(media.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('turns coded errors into problems with their extensions', async () => {
    const res = await app.inject({ url: '/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'OUT_OF_STOCK',
      detail: 'only 2 left',
      productId: 'p1',
      status: 409,
    });
  });

  it('names a missing and an unexpected member', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { qty: 1, colour: 'red' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: 'body/name', message: 'is required' },
        { path: 'body/colour', message: 'is not allowed' },
      ]),
    );
  });

  it('coerces query strings but never JSON bodies', async () => {
    expect((await app.inject({ url: '/search?limit=5' })).json()).toEqual({ limit: 5 });
    expect((await app.inject({ url: '/search' })).json()).toEqual({ limit: 20 });
    expect((await app.inject({ url: '/search?limit=x' })).statusCode).toBe(400);
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'a', qty: '2' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toContainEqual(expect.objectContaining({ path: 'body/qty' }));
  });

  it('hides the internals of unexpected errors', async () => {
    const res = await app.inject({ url: '/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    expect(res.json().code).toBe('INTERNAL');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });

  it('keeps a valid incoming request id and makes one otherwise', async () => {
    const given = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness from its checks', async () => {
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    dependencyUp = false;
    const res = await app.inject({ url: '/readyz' });
    dependencyUp = true;
    expect(res.statusCode).toBe(503);
    expect(res.json().checks).toEqual({ dependency: 'dependency down' });
  });

  it('serves an OpenAPI document of its routes', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/things');
  });
});

describe('authPlugin', () => {
  it('accepts a valid token and exposes the principal', async () => {
    const token = await keys.sign({
      userId: '00000000-0000-4000-8000-0000000000a1',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
      roles: ['customer'],
    });
    const res = await app.inject({ url: '/mine', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      userId: '00000000-0000-4000-8000-0000000000a1',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
      roles: ['customer'],
      internal: false,
    });
  });

  it('answers 401 without a token, with a foreign token and with an expired one', async () => {
    expect((await app.inject({ url: '/mine' })).statusCode).toBe(401);
    const other = await createTestKeys();
    const foreign = await other.sign({
      userId: '00000000-0000-4000-8000-0000000000a1',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
    });
    expect(
      (await app.inject({ url: '/mine', headers: { authorization: `Bearer ${foreign}` } })).statusCode,
    ).toBe(401);
    const expired = await keys.sign(
      { userId: '00000000-0000-4000-8000-0000000000a1', tenantId: '00000000-0000-4000-8000-0000000000b1' },
      -10,
    );
    const res = await app.inject({ url: '/mine', headers: { authorization: `Bearer ${expired}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/expired/);
  });

  it('answers 403 to a customer on an admin route', async () => {
    const customer = await keys.sign({
      userId: '00000000-0000-4000-8000-0000000000a1',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
      roles: ['customer'],
    });
    const admin = await keys.sign({
      userId: '00000000-0000-4000-8000-0000000000a2',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
      roles: ['admin'],
    });
    expect(
      (await app.inject({ url: '/admin', headers: { authorization: `Bearer ${customer}` } })).statusCode,
    ).toBe(403);
    expect(
      (await app.inject({ url: '/admin', headers: { authorization: `Bearer ${admin}` } })).statusCode,
    ).toBe(200);
  });

  it('guards internal routes with the internal token and takes the tenant from the header', async () => {
    expect(
      (await app.inject({ url: '/internal/x', headers: { 'x-internal-token': 'wrong' } })).statusCode,
    ).toBe(401);
    const ok = await app.inject({
      url: '/internal/x',
      headers: { 'x-internal-token': INTERNAL, 'x-tenant-id': '00000000-0000-4000-8000-000000000009' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ tenantId: '00000000-0000-4000-8000-000000000009', internal: true });
  });
});

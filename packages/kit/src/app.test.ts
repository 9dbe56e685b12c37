import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceApp } from './app.js';
import { authPlugin } from './auth.js';
import { defineErrorCodes } from './errors.js';
import { createLogger } from './logger.js';
import { createTestKeys, type TestKeys } from './testing/index.js';

/** A service's own code, declared as services declare theirs (src/errors.ts). */
const shopErrors = defineErrorCodes({ OUT_OF_STOCK: { status: 409, title: 'Not enough stock' } });

let app: ServiceApp;
let keys: TestKeys;
let dependencyUp = true;
let brokerUp = true;
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
    degradedWhenFailing: {
      bus: async () => {
        if (!brokerUp) throw new Error('broker unreachable; 3 event(s) held in the outbox');
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
    throw shopErrors.appError('OUT_OF_STOCK', 'only 2 left', { productId: 'p1', status: 'RELEASED' });
  });
  app.get(
    '/search',
    { schema: { querystring: Type.Object({ limit: Type.Integer({ minimum: 1, default: 20 }) }) } },
    async (request) => ({ limit: request.query.limit }),
  );
  app.get(
    '/things/:id',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 50 }) }) } },
    async (request) => ({ id: request.params.id }),
  );
  // Routes of an encapsulated plugin (as every service registers its own) get the same edge rules.
  await app.register(async (child) => {
    child.post('/nested', async (request) => ({ got: request.body }));
  });
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
    // Ajv coerces "1e309" to Infinity and lets it through every bound: it is refused all the same.
    for (const limit of ['1e309', '-1e309']) {
      const huge = await app.inject({ url: `/search?limit=${limit}` });
      expect(huge.statusCode, limit).toBe(400);
      expect(huge.json().errors).toEqual([expect.objectContaining({ path: 'querystring/limit' })]);
    }
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
    expect(res.json().checks).toEqual({ dependency: 'dependency down', bus: 'ok' });
  });

  it('stays ready but says degraded while a dependency it works around fails', async () => {
    brokerUp = false;
    const res = await app.inject({ url: '/readyz' });
    brokerUp = true;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      checks: { dependency: 'ok', bus: 'broker unreachable; 3 event(s) held in the outbox' },
    });
    expect((await app.inject({ url: '/readyz' })).json().status).toBe('ready');
  });

  it('refuses the NUL character anywhere in body, query or params with a 400 naming where', async () => {
    const cases = [
      { method: 'POST', url: '/things', payload: { name: 'a\u0000b', qty: 1 }, path: 'body/name' },
      {
        method: 'POST',
        url: '/nested',
        payload: { deep: [{ x: ['ok', '\u0000'] }] },
        path: 'body/deep/0/x/1',
      },
      { method: 'POST', url: '/nested', payload: { 'k\u0000': 1 }, path: 'body/k\\u0000' },
      { method: 'GET', url: '/search?limit=1&q=%00', path: 'querystring/q' },
      { method: 'GET', url: '/things/a%00b', path: 'params/id' },
    ] as const;
    for (const c of cases) {
      const res = await app.inject({
        method: c.method,
        url: c.url,
        ...('payload' in c ? { payload: c.payload } : {}),
      });
      expect(res.statusCode, c.url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: c.path, message: 'must not contain the NUL character (U+0000)' }],
      });
    }
    // Text without NUL passes through unchanged.
    const ok = await app.inject({ method: 'POST', url: '/nested', payload: { x: 'tab\there' } });
    expect(ok.json()).toEqual({ got: { x: 'tab\there' } });
  });

  it('escapes control characters that a client put in member names before echoing them', async () => {
    const forged = 'x\n12:00:00.000 auth      ERROR forged\u001b[31m\u202e';
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'a', qty: 1, [forged]: 1 },
    });
    expect(res.statusCode).toBe(400);
    const problem = res.json();
    const path = 'body/x\\n12:00:00.000 auth      ERROR forged\\u001b[31m\\u202e';
    expect(problem.errors).toEqual([{ path, message: 'is not allowed' }]);
    expect(problem.detail).toBe(`${path} is not allowed`);
    // No control (Cc) or format (Cf: bidi overrides) character is left in what is echoed.
    for (const text of [problem.detail, problem.errors[0].path]) {
      expect(text).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    }
  });

  it('answers an undecodable URL and an over-long path parameter with problem+json', async () => {
    const bad = await app.inject({ url: '/things/%zz' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: '/things/%zz' });
    const long = await app.inject({ url: `/things/${'a'.repeat(200)}` });
    expect(long.statusCode).toBe(414);
    expect(long.headers['content-type']).toContain('application/problem+json');
    expect(long.json()).toMatchObject({ status: 414, code: 'URI_TOO_LONG' });
  });

  it('answers oversized headers and garbage on the wire with problem+json (a real socket)', async () => {
    const server = await createServiceApp({ name: 'wire', logger: createLogger('wire', 'silent') });
    await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.server.address() as import('node:net').AddressInfo;
      const big = await rawRequest(
        port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(big.status).toBe(431);
      expect(big.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(big.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
      const garbage = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
      expect(garbage.status).toBe(400);
      expect(garbage.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(garbage.body)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    } finally {
      await server.close();
    }
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

  it('answers 401 to a token whose claims were changed after signing (bad signature)', async () => {
    const token = await keys.sign({
      userId: '00000000-0000-4000-8000-0000000000a1',
      tenantId: '00000000-0000-4000-8000-0000000000b1',
      roles: ['customer'],
    });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const elevated = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');
    const forged = `${header}.${elevated}.${signature}`;
    const res = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${forged}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'the access token is not valid' });
    // The same claims with their own signature are accepted: only the signature makes the difference.
    const intact = await app.inject({ url: '/mine', headers: { authorization: `Bearer ${token}` } });
    expect(intact.statusCode).toBe(200);
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

/** Writes `text` on a fresh connection and reads the answer until the server closes it. */
async function rawRequest(
  port: number,
  text: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const net = await import('node:net');
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('close', () => resolve(data));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(data);
      else reject(error);
    });
  });
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

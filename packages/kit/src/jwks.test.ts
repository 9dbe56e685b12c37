import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { remoteJwks } from './jwks.js';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

let status = 200;
let jwks: unknown;
let fetches = 0;
let server: Server;
let url: string;
let token: string;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
  token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failures(reader: CollectingReader): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .find((m) => m.descriptor.name === 'glassbox.jwks.fetch.failures');
  return (metric?.dataPoints ?? []).reduce((n, p) => n + Number(p.value), 0);
}

describe('remoteJwks', () => {
  it('counts failed fetches, and not a fetch that works', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const header = { alg: 'ES256', kid: 'k1' };
    const input = { payload: '', signature: '', protected: token.split('.')[0] ?? '' } as never;

    status = 500;
    const failing = remoteJwks(url, provider.getMeter('t'));
    await expect(failing(header, input)).rejects.toThrow();
    expect(await failures(reader)).toBe(1);

    status = 200;
    const working = remoteJwks(url, provider.getMeter('t'));
    await expect(working(header, input)).resolves.toBeDefined();
    expect(await failures(reader)).toBe(1);

    const unknownKey = await Promise.resolve(working({ alg: 'ES256', kid: 'nope' }, input)).catch(
      (e: unknown) => e,
    );
    expect(unknownKey).toBeInstanceOf(Error);
    expect(await failures(reader)).toBe(1);
    await provider.shutdown();
  });
});

describe('remoteJwks caches the keys as jose does', () => {
  const meter = new MeterProvider().getMeter('t');
  const input = () => ({ payload: '', signature: '', protected: token.split('.')[0] ?? '' }) as never;
  async function signedWithNewKey(kid: string): Promise<{ jwk: JWK; token: string }> {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
    return { jwk, token: await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey) };
  }

  it('fetches once for concurrent verifications, and again only when the keys are older than cacheMaxAge', async () => {
    status = 200;
    let clock = 0;
    const keys = remoteJwks(url, meter, { now: () => clock, cacheMaxAgeMs: 1_000 });
    fetches = 0;
    await Promise.all(Array.from({ length: 5 }, () => keys({ alg: 'ES256', kid: 'k1' }, input())));
    expect(fetches).toBe(1);
    clock = 999;
    await keys({ alg: 'ES256', kid: 'k1' }, input());
    expect(fetches).toBe(1);
    clock = 1_000;
    await keys({ alg: 'ES256', kid: 'k1' }, input());
    expect(fetches).toBe(2);
  });

  it('refetches for an unknown key id at most once per cooldown, and finds a rotated key', async () => {
    status = 200;
    const before = jwks;
    let clock = 0;
    const keys = remoteJwks(url, meter, { now: () => clock, cooldownMs: 30_000 });
    fetches = 0;
    await keys({ alg: 'ES256', kid: 'k1' }, input());
    const rotated = await signedWithNewKey('k2');
    jwks = { keys: [...(before as { keys: JWK[] }).keys, rotated.jwk] };
    try {
      const k2 = { payload: '', signature: '', protected: rotated.token.split('.')[0] ?? '' } as never;
      // Within the cooldown an unknown kid is refused without a fetch (a flood of bad kids cannot hammer auth).
      clock = 29_999;
      await expect(keys({ alg: 'ES256', kid: 'k2' }, k2)).rejects.toThrow();
      expect(fetches).toBe(1);
      clock = 30_000;
      await expect(keys({ alg: 'ES256', kid: 'k2' }, k2)).resolves.toBeDefined();
      expect(fetches).toBe(2);
    } finally {
      jwks = before;
    }
  });

  it('reports an unreachable JWKS as the upstream being unavailable (503), counted', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    const keys = remoteJwks('http://127.0.0.1:9/.well-known/jwks.json', provider.getMeter('t'));
    const error = await Promise.resolve(keys({ alg: 'ES256', kid: 'k1' }, input())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect(await failures(reader)).toBe(1);
    await provider.shutdown();
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let server: Server;
let url: string;
let token: string;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
  token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
  server = createServer((_req, res) => {
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

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DEMO_PRODUCTS, DEMO_TENANT } from '@glassbox/contracts';
import { createTestDatabase, spawnService, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('catalog_proc');
});
afterAll(async () => {
  await database?.drop();
});

interface Running {
  child: ChildProcess;
  url: string;
}

/** Starts the service the way the supervisor does and waits for its "listening" log line. */
async function start(): Promise<Running> {
  const { child, url } = await spawnService({
    name: 'catalog',
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      AUTH_URL: 'http://127.0.0.1:9', // unreachable: JWKS is fetched lazily, readiness does not depend on it
      INTERNAL_TOKEN,
      SEED_DEMO: 'true',
      LOG_LEVEL: 'info',
      OTEL_SERVICE_NAME: 'catalog',
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
    },
  });
  return { child, url };
}

async function stop(running: Running): Promise<number | null> {
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

const internal = { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': DEMO_TENANT.id };
const ids = DEMO_PRODUCTS.map((p) => p.id).join(',');

describe('catalog as a process', () => {
  it('migrates, seeds the demo catalog, serves, and stops cleanly; a restart keeps one copy of the demo data', async () => {
    for (let round = 0; round < 2; round++) {
      const running = await start();
      try {
        expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
        const response = await fetch(`${running.url}/internal/products?ids=${ids}`, { headers: internal });
        expect(response.status).toBe(200);
        expect(response.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
        const { items } = (await response.json()) as { items: { id: string }[] };
        expect(items).toHaveLength(DEMO_PRODUCTS.length);
        // Public routes need a token; the JWKS (auth) is unreachable here, so a token cannot even be checked.
        expect((await fetch(`${running.url}/api/v1/products`)).status).toBe(401);
      } finally {
        expect(await stop(running)).toBe(0);
      }
    }
  });
});

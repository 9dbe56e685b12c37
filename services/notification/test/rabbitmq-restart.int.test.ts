/**
 * RabbitMQ restarted during a run (`rabbitmqctl stop_app && rabbitmqctl start_app`, the machine's broker; the outage
 * is kept to a few seconds and the broker is always started again), with the notification service as its own
 * process consuming: an order-like producer keeps confirming orders through its outbox while the broker is down,
 * the service's /readyz says degraded (200: it still serves the list) and ready again after, and in the end every
 * confirmed order has exactly one notification — none lost, none twice. (The kit's
 * packages/kit/test/bus/rabbitmq-restart.int.test.ts proves the same for the bus alone.)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { createDb, createLogger, type Db } from '@glassbox/kit';
import { type Bus, createBus, createOutbox, migrateKitTables, type Outbox } from '@glassbox/kit/bus';
import {
  createTestDatabase,
  type SpawnedService,
  spawnService,
  type TestDatabase,
} from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVhost, type TestVhost } from '../../../packages/kit/test/bus/rabbitmq-harness.js';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
let database: TestDatabase;
let producerDatabase: TestDatabase;
let db: Db;
let producerDb: Db;
let vhost: TestVhost;
let publisher: Bus;
let outbox: Outbox;
let service: SpawnedService | undefined;

beforeAll(async () => {
  [database, producerDatabase] = await Promise.all([
    createTestDatabase('gbnotifyrmq'),
    createTestDatabase('gbnotifyrmqp'),
  ]);
  db = createDb(database.url);
  producerDb = createDb(producerDatabase.url);
  await migrateKitTables(producerDb, ['outbox']);
  vhost = await createTestVhost('gbnotifyrmq');
  const logger = createLogger('producer', 'silent');
  publisher = await createBus({ url: vhost.url, logger, name: 'restart-producer' });
  outbox = createOutbox({ db: producerDb, bus: publisher, source: 'order', logger, intervalMs: 200 });
  service = await spawnService({
    name: 'notification',
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      BUS_URL: vhost.url,
      AUTH_URL: 'http://127.0.0.1:1',
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
    },
  });
  outbox.start();
});

afterAll(async () => {
  if (service && service.child.exitCode === null) {
    await new Promise<void>((resolve) => {
      service?.child.once('exit', () => resolve());
      service?.child.kill('SIGTERM');
    });
  }
  await outbox?.stop();
  await publisher?.close();
  await Promise.all([db?.close(), producerDb?.close()]);
  await Promise.all([database?.drop(), producerDatabase?.drop()]);
  await vhost?.drop();
});

async function waitFor(what: string, done: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readyz(): Promise<{ code: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${service?.url}/readyz`);
  return { code: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

const notifications = async () =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications'))[0]?.n ?? 0;

describe('RabbitMQ restart under the notification service', () => {
  it('loses no notification and writes none twice; /readyz says degraded while the broker is down', async () => {
    const tenantId = randomUUID();
    let confirmed = 0;
    let producing = true;
    // A steady producer, as the order service is: each confirmation commits its event in its outbox.
    const producer = (async () => {
      while (producing) {
        const orderId = randomUUID();
        await producerDb.tx(async (tx) => {
          await outbox.add(
            tx,
            'order.confirmed',
            {
              tenantId,
              orderId,
              userId: `user-${confirmed % 5}`,
              totalCents: 100,
              currency: 'EUR',
              items: [{ productId: randomUUID(), quantity: 1 }],
              confirmedAt: new Date().toISOString(),
            },
            { subject: orderId },
          );
        });
        confirmed++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor('traffic before the restart', async () => (await notifications()) >= 50);
    expect((await readyz()).body.status).toBe('ready');

    try {
      await run('rabbitmqctl', ['-q', 'stop_app']);
      await waitFor(
        '/readyz to say degraded',
        async () => (await readyz()).body.status === 'degraded',
        10_000,
      );
      const down = await readyz();
      expect(down.code).toBe(200);
      expect(down.body.checks.bus).toMatch(/RabbitMQ/);
      const before = confirmed;
      await waitFor('confirmations while the broker is down', async () => confirmed >= before + 50, 10_000);
    } finally {
      await run('rabbitmqctl', ['-q', 'start_app']);
    }
    await waitFor('/readyz ready again', async () => (await readyz()).body.status === 'ready', 60_000);
    producing = false;
    await producer;

    const total = confirmed;
    await waitFor(`all ${total} notifications`, async () => (await notifications()) >= total, 60_000);
    const [stats] = await db.query<{ n: number; events: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events FROM notifications',
    );
    expect(stats).toEqual({ n: total, events: total });
    expect(await outbox.pending()).toBe(0);
  });
});

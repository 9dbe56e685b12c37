/**
 * Kill -9 the notification service while 200 orders are confirmed: after it restarts, exactly 200 notifications,
 * none twice. The service runs as its own process (its built bundle, as the supervisor starts it) on RabbitMQ
 * (a throw-away virtual host of the machine's broker): deliveries it held unacknowledged when it died go back to
 * the queue at once, and the inbox makes any it had already committed a no-op.
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import { createDb, createLogger, type Db } from '@glassbox/kit';
import { type Bus, createBus, createEvent } from '@glassbox/kit/bus';
import {
  createTestDatabase,
  type SpawnedService,
  spawnService,
  type TestDatabase,
} from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVhost, type TestVhost } from '../../../packages/kit/test/bus/rabbitmq-harness.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TOTAL = 200;
let database: TestDatabase;
let db: Db;
let vhost: TestVhost;
let publisher: Bus;
let service: SpawnedService | undefined;

function start(): Promise<SpawnedService> {
  return spawnService({
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
      NOTIFICATION_SEND_INTERVAL_MS: '100',
    },
  });
}

async function kill9(s: SpawnedService): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGKILL');
  });
}

const count = async () =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notifications'))[0]?.n ?? 0;

async function waitFor(what: string, done: () => Promise<boolean>, ms = 40_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (${await count()} notifications)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  database = await createTestDatabase('gbnotifycrash');
  db = createDb(database.url);
  vhost = await createTestVhost('gbnotify');
  publisher = await createBus({ url: vhost.url, logger: createLogger('publisher', 'silent') });
});

afterAll(async () => {
  if (service) await kill9(service);
  await publisher?.close();
  await db?.close();
  await database?.drop();
  await vhost?.drop();
});

describe('notification service killed -9 mid-stream', () => {
  it('ends with exactly one notification per confirmed order after its restart', async () => {
    service = await start();
    const tenantId = randomUUID();
    const events: CloudEvent[] = Array.from({ length: TOTAL }, (_, i) => {
      const orderId = randomUUID();
      return createEvent(
        'order.confirmed',
        {
          tenantId,
          orderId,
          userId: `user-${i % 7}`,
          totalCents: 100 + i,
          currency: 'EUR',
          items: [{ productId: randomUUID(), quantity: 1 }],
          confirmedAt: new Date().toISOString(),
        },
        { source: 'order', subject: orderId },
      );
    });
    // Orders are confirmed in batches of 10 while the service consumes them …
    let published = 0;
    const publishing = (async () => {
      for (; published < TOTAL; published += 10) {
        await publisher.publish(events.slice(published, published + 10));
        await new Promise((r) => setImmediate(r));
      }
    })();
    // … and it dies, hard, in the middle of the stream.
    await waitFor('a first share to be processed', async () => (await count()) >= 30);
    await kill9(service);
    const atKill = await count();
    expect(atKill).toBeLessThan(TOTAL);
    console.info(`killed -9 with ${atKill} of ${TOTAL} notifications written`);
    await publishing;
    // Restarted: the rest arrive, the deliveries it held when it died come back, its inbox skips the committed ones.
    service = await start();
    await waitFor('all notifications', async () => (await count()) >= TOTAL);
    const [stats] = await db.query<{ n: number; events: number; orders: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS events, count(DISTINCT subject_id)::int AS orders
       FROM notifications`,
    );
    expect(stats).toEqual({ n: TOTAL, events: TOTAL, orders: TOTAL });
    const [inbox] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM inbox');
    expect(inbox?.n).toBe(TOTAL);
    // And every one of them is sent.
    await waitFor('every e-mail sent', async () => {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notifications WHERE status = 'SENT'`,
      );
      return row?.n === TOTAL;
    });
  });
});

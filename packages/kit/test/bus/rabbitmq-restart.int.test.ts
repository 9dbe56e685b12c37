/**
 * RabbitMQ restarted during a run (`rabbitmqctl stop_app && rabbitmqctl start_app`, the real broker of this
 * machine — the outage is kept to a few seconds and the broker is always started again): publishers keep
 * committing while it is down (events wait in their outbox), /readyz says degraded with the count, and once
 * it is back every committed event is processed exactly once — none lost, none twice.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceApp } from '../../src/app.js';
import { createEventCatalog } from '../../src/bus/events.js';
import { idempotent } from '../../src/bus/inbox.js';
import { createOutbox, type Outbox } from '../../src/bus/outbox.js';
import { createRabbitBus } from '../../src/bus/rabbitmq-bus.js';
import type { Bus } from '../../src/bus/types.js';
import { createDb, type Db } from '../../src/db.js';
import { migrateKitTables } from '../../src/kit-tables.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { logger, TEST_TYPES, waitFor } from './contract.js';
import { createTestVhost, type TestVhost } from './rabbitmq-harness.js';

const run = promisify(execFile);
const catalog = createEventCatalog(TEST_TYPES);
let database: TestDatabase;
let db: Db;
let vhost: TestVhost;
let publisherBus: Bus;
let consumerBus: Bus;
let outbox: Outbox;
let app: ServiceApp;

beforeAll(async () => {
  database = await createTestDatabase('gbrestart');
  db = createDb(database.url);
  await migrateKitTables(db, ['outbox', 'inbox']);
  await db.query('CREATE TABLE things (n integer PRIMARY KEY)');
  await db.query('CREATE TABLE handled (n integer NOT NULL)');
  vhost = await createTestVhost();
  const reconnect = { initialDelayMs: 100, maxDelayMs: 500 };
  publisherBus = await createRabbitBus({
    url: vhost.url,
    logger,
    catalog,
    reconnect,
    name: 'restart-publisher',
  });
  consumerBus = await createRabbitBus({
    url: vhost.url,
    logger,
    catalog,
    reconnect,
    name: 'restart-consumer',
  });
  await consumerBus.subscribe({
    group: 'restart-consumer',
    types: ['test.ping'],
    prefetch: 16,
    handle: idempotent(db, async (event, tx) => {
      await tx.query('INSERT INTO handled (n) VALUES ($1)', [(event.data as { n: number }).n]);
    }),
  });
  outbox = createOutbox({ db, bus: publisherBus, source: 'restart-test', logger, catalog, intervalMs: 200 });
  outbox.start();
  app = await createServiceApp({
    name: 'restart-test',
    logger,
    readiness: { db: () => db.ping() },
    degradedWhenFailing: { bus: () => outbox.check() },
  });
});

afterAll(async () => {
  await outbox?.stop();
  await publisherBus?.close();
  await consumerBus?.close();
  await app?.close();
  await db?.close();
  await database?.drop();
  await vhost?.drop();
});

async function readyz() {
  const res = await app.inject({ url: '/readyz' });
  return { code: res.statusCode, body: res.json() as { status: string; checks: Record<string, string> } };
}

describe('RabbitMQ restart during a run', () => {
  it('loses no event and processes none twice; publishers buffer in the outbox and /readyz says so', async () => {
    let n = 0;
    let producing = true;
    const commit = async () => {
      const mine = n++;
      await db.tx(async (tx) => {
        await tx.query('INSERT INTO things (n) VALUES ($1)', [mine]);
        await outbox.add(tx, 'test.ping', { n: mine });
      });
    };
    // A steady producer: a commit every 2 ms or so, all through the outage.
    const producer = (async () => {
      while (producing) {
        await commit();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const handled = async () =>
      (await db.query<{ c: number }>('SELECT count(*) AS c FROM handled'))[0]?.c ?? 0;
    await waitFor(async () => (await handled()) >= 200, 'traffic before the restart');
    expect((await readyz()).body.status).toBe('ready');

    let restarted = false;
    try {
      await run('rabbitmqctl', ['-q', 'stop_app']);
      await waitFor(
        async () => (await readyz()).body.status === 'degraded',
        '/readyz to say degraded',
        10_000,
      );
      const committedBefore = n;
      await waitFor(() => n >= committedBefore + 100, 'commits while the broker is down', 10_000);
      const down = await readyz();
      expect(down.code).toBe(200);
      expect(down.body.checks.bus).toMatch(
        /RabbitMQ unreachable since .*; \d+ event\(s\) held in the outbox/,
      );
      expect(await outbox.pending()).toBeGreaterThanOrEqual(100);
    } finally {
      await run('rabbitmqctl', ['-q', 'start_app']);
      restarted = true;
    }
    expect(restarted).toBe(true);
    await waitFor(async () => (await readyz()).body.status === 'ready', '/readyz ready again', 60_000);
    producing = false;
    await producer;

    const committed = n;
    await waitFor(async () => (await handled()) >= committed, `all ${committed} events handled`, 60_000);
    expect(await outbox.pending()).toBe(0);
    const wrong = await db.query(
      `SELECT t.n, h.c FROM things t FULL JOIN (SELECT n, count(*) AS c FROM handled GROUP BY n) h USING (n)
        WHERE h.c IS DISTINCT FROM 1`,
    );
    expect(wrong).toEqual([]);
    expect(await handled()).toBe(committed);
    expect(await consumerBus.deadLetters('restart-consumer')).toEqual([]);
  }, 240_000);
});

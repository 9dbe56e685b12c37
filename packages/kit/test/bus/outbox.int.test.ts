/**
 * The outbox and the inbox against real PostgreSQL and RabbitMQ: an event leaves only with its transaction's
 * commit; the relay publishes right after the commit; a publisher killed with SIGKILL between commit and
 * publish loses nothing (a relay started later publishes it); redeliveries and duplicates are processed once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CloudEvent } from '@glassbox/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, createEventCatalog } from '../../src/bus/events.js';
import { createInboxPurge, idempotent } from '../../src/bus/inbox.js';
import { createOutbox } from '../../src/bus/outbox.js';
import { createRabbitBus } from '../../src/bus/rabbitmq-bus.js';
import type { Bus } from '../../src/bus/types.js';
import { createDb, type Db } from '../../src/db.js';
import { migrateKitTables } from '../../src/kit-tables.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';
import { logger, TEST_TYPES, waitFor } from './contract.js';
import { createTestVhost, type TestVhost } from './rabbitmq-harness.js';

const catalog = createEventCatalog(TEST_TYPES);
const telemetry = captureTelemetry();
let database: TestDatabase;
let db: Db;
let vhost: TestVhost;
const buses: Bus[] = [];

async function bus(): Promise<Bus> {
  const b = await createRabbitBus({ url: vhost.url, logger, catalog });
  buses.push(b);
  return b;
}

beforeAll(async () => {
  database = await createTestDatabase('gboutbox');
  db = createDb(database.url);
  expect(await migrateKitTables(db, ['outbox', 'inbox'])).toEqual(['outbox@1', 'inbox@1']);
  expect(await migrateKitTables(db, ['outbox', 'inbox'])).toEqual([]);
  await db.query('CREATE TABLE things (n integer PRIMARY KEY)');
  await db.query('CREATE TABLE handled (n integer NOT NULL, event_id text NOT NULL)');
  vhost = await createTestVhost();
});

afterAll(async () => {
  for (const b of buses) await b.close();
  await db?.close();
  await database?.drop();
  await vhost?.drop();
  await telemetry.shutdown();
});

describe('outbox', () => {
  it('measures its backlog (count and age of the oldest waiting event) even while the broker refuses', async () => {
    const refusing: Bus = {
      publish: async () => {
        throw new Error('broker down');
      },
    } as unknown as Bus;
    const outbox = createOutbox({
      db,
      bus: refusing,
      source: 'backlog-test',
      logger,
      catalog,
      intervalMs: 60_000,
      backlogRefreshMs: 0,
    });
    await db.tx(async (tx) => {
      const a = await outbox.add(tx, 'test.ping', { n: 5_001 });
      await tx.query("UPDATE outbox SET created_at = now() - interval '90 seconds' WHERE id = $1", [a.id]);
    });
    await db.tx((tx) => outbox.add(tx, 'test.ping', { n: 5_002 }));
    await expect(outbox.relay.runOnce()).rejects.toThrow('broker down');
    const measured = outbox.backlog();
    expect(measured.count).toBeGreaterThanOrEqual(2);
    expect(measured.oldestAgeSeconds).toBeGreaterThanOrEqual(90);
    // Done with them: they must not leak into the other tests.
    await db.query('DELETE FROM outbox WHERE sent_at IS NULL');
  });

  it('keeps measuring its backlog while the relay is stuck in a publish that does not return (a stalled broker)', async () => {
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const published: CloudEvent[] = [];
    const stalling: Bus = {
      publish: async (events: CloudEvent[]) => {
        await stalled;
        published.push(...events);
      },
    } as unknown as Bus;
    const outbox = createOutbox({
      db,
      bus: stalling,
      source: 'stall-test',
      logger,
      catalog,
      intervalMs: 60_000,
      backlogRefreshMs: 100,
    });
    outbox.start();
    try {
      await db.tx((tx) => outbox.add(tx, 'test.ping', { n: 5_101 }));
      // The relay is woken by the commit and blocks in publish; the gauges must keep ageing behind it.
      await waitFor(
        () => outbox.backlog().count >= 1 && outbox.backlog().oldestAgeSeconds >= 1.5,
        'the backlog ageing behind the stalled publish',
        10_000,
      );
      expect(published).toEqual([]);
      release();
      await waitFor(
        () => published.length === 1 && outbox.backlog().count === 0,
        'the event out and the backlog empty',
        10_000,
      );
    } finally {
      release();
      await outbox.stop();
      await db.query(`DELETE FROM outbox WHERE event->>'source' = '/glassbox/stall-test'`);
    }
  });

  it('publishes an event right after its transaction commits, and never one whose transaction rolled back', async () => {
    const b = await bus();
    const seen: CloudEvent[] = [];
    await b.subscribe({ group: 'commit-only', types: ['test.ping'], handle: async (e) => void seen.push(e) });
    // The backstop interval is a minute: only the after-commit wake can publish within the test.
    const outbox = createOutbox({ db, bus: b, source: 'test', logger, catalog, intervalMs: 60_000 });
    outbox.start();
    try {
      await expect(
        db.tx(async (tx) => {
          await outbox.add(tx, 'test.ping', { n: 1_000 });
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      const started = Date.now();
      const kept = await db.tx((tx) => outbox.add(tx, 'test.ping', { n: 1_001 }));
      await waitFor(() => seen.length >= 1, 'the committed event', 5_000);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(seen.map((e) => e.id)).toEqual([kept.id]);
      // Marked sent by the relay's transaction, which commits just after the broker confirmed.
      await waitFor(async () => (await outbox.pending()) === 0, 'the mark', 5_000);
      const rows = await db.query<{ id: string; sent: boolean }>(
        'SELECT id, sent_at IS NOT NULL AS sent FROM outbox ORDER BY seq',
      );
      expect(rows).toEqual([{ id: kept.id, sent: true }]);
    } finally {
      await outbox.stop();
    }
  });

  it('publishes while every connection of the service’s pool is taken, with statements queued for one', async () => {
    const b = await bus();
    const seen: CloudEvent[] = [];
    await b.subscribe({ group: 'saturated', types: ['test.ping'], handle: async (e) => void seen.push(e) });
    const small = createDb(database.url, { max: 2 });
    const outbox = createOutbox({ db: small, bus: b, source: 'test', logger, catalog, intervalMs: 60_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const kept = await small.tx((tx) => outbox.add(tx, 'test.ping', { n: 2_000 }));
      // Both connections held, and more work waiting for them, as in a service whose pool is saturated.
      const busy = Array.from({ length: 4 }, () => small.tx(() => gate));
      outbox.start();
      await waitFor(() => seen.some((e) => e.id === kept.id), 'the event despite the saturated pool', 5_000);
      release();
      await Promise.all(busy);
      await waitFor(async () => (await outbox.pending()) === 0, 'the mark', 5_000);
      // Its connection is its own: stop() closes it and leaves the service's pool working.
      await outbox.stop();
      expect(await small.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      release();
      await outbox.stop();
      await small.close();
    }
  });

  it('refuses an event that does not match its schema inside the transaction, which then rolls back', async () => {
    const b = await bus();
    const outbox = createOutbox({ db, bus: b, source: 'test', logger, catalog });
    await expect(
      db.tx(async (tx) => {
        await tx.query('INSERT INTO things (n) VALUES (-1)');
        await outbox.add(tx, 'test.ping', { n: 'not a number' });
      }),
    ).rejects.toThrow(/\/data\/n/);
    expect(await db.query('SELECT n FROM things WHERE n = -1')).toEqual([]);
  });

  it('a publisher killed with SIGKILL between commit and publish loses nothing: a later relay publishes, the inbox processes each once', async () => {
    await db.query('TRUNCATE outbox, things, handled');
    // The consumer's queue exists before the first publish (a group receives what is published after it
    // subscribed); it consumes throughout, before and after the crash.
    const consumer = await bus();
    await consumer.subscribe({
      group: 'crash-consumer',
      types: ['test.ping'],
      handle: idempotent(db, async (event, tx) => {
        await tx.query('INSERT INTO handled (n, event_id) VALUES ($1, $2)', [
          (event.data as { n: number }).n,
          event.id,
        ]);
      }),
    });
    const script = fileURLToPath(new URL('./outbox-publisher.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, database.url, vhost.url, '100'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let burst = false;
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('burst committed')) {
        burst = true;
        child.kill('SIGKILL');
      }
    });
    await waitFor(() => burst || child.exitCode !== null, `the commits (stderr: ${stderr})`, 120_000);
    await exited;

    // Caught in the act: committed events its relay had not published yet.
    const [left] = await db.query<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
    const [total] = await db.query<{ n: number }>('SELECT count(*) AS n FROM things');
    expect(left?.n).toBeGreaterThan(0);
    expect(total?.n).toBe(600);

    const outbox = createOutbox({ db, bus: await bus(), source: 'test', logger, catalog });
    outbox.start();
    try {
      await waitFor(
        async () => (await db.query<{ n: number }>('SELECT count(*) AS n FROM handled'))[0]?.n === total?.n,
        'every committed event handled',
        60_000,
      );
      expect(await outbox.pending()).toBe(0);
    } finally {
      await outbox.stop();
    }
    // Exactly the committed state changes, each handled once.
    const mismatched = await db.query(
      `SELECT t.n FROM things t FULL JOIN (SELECT n, count(*) AS c FROM handled GROUP BY n) h USING (n)
        WHERE h.c IS DISTINCT FROM 1`,
    );
    expect(mismatched).toEqual([]);
  }, 240_000);

  it('the inbox makes a redelivered or duplicated event a no-op, and rolls back with a failing handler', async () => {
    await db.query('TRUNCATE handled');
    const b = await bus();
    let failOnce = true;
    const calls: string[] = [];
    await b.subscribe({
      group: 'dedupe',
      types: ['test.pong'],
      retryDelayMs: 50,
      handle: idempotent(db, async (event, tx, delivery) => {
        calls.push(`${event.id}#${delivery.attempt}`);
        await tx.query('INSERT INTO handled (n, event_id) VALUES ($1, $2)', [
          (event.data as { n: number }).n,
          event.id,
        ]);
        if (failOnce) {
          failOnce = false;
          throw new Error('fails after writing, before commit');
        }
      }),
    });
    const event = createEvent('test.pong', { n: 42 }, { source: 'test' });
    await b.publish([event]);
    await b.publish([event]);
    // Copy 1 fails after writing (rolled back, retried later); copy 2 is processed; copy 1's retry is skipped.
    await waitFor(
      async () =>
        (await telemetry.sum('glassbox.bus.duplicates', { 'messaging.consumer.group.name': 'dedupe' })) >= 1,
      'the duplicate to be skipped',
    );
    expect(calls).toHaveLength(2);
    expect(await db.query('SELECT n FROM handled WHERE event_id = $1', [event.id])).toEqual([{ n: 42 }]);
    expect(
      await db.query(`SELECT event_id FROM inbox WHERE consumer = 'dedupe' AND event_id = $1`, [event.id]),
    ).toEqual([{ event_id: event.id }]);
  });

  it('forgets inbox records past their retention, and only those', async () => {
    await db.query(
      `INSERT INTO inbox (consumer, event_id, type, processed_at) VALUES
         ('purge', 'old', 'test.ping', now() - interval '8 days'), ('purge', 'recent', 'test.ping', now() - interval '6 days')`,
    );
    const purge = createInboxPurge({ db, logger });
    try {
      expect(await purge.runOnce()).toBe(1);
    } finally {
      await purge.stop();
    }
    expect(await db.query(`SELECT event_id FROM inbox WHERE consumer = 'purge'`)).toEqual([
      { event_id: 'recent' },
    ]);
  });
});

/**
 * The notification service against real PostgreSQL and the PostgreSQL bus (as in embedded mode), in process:
 * events become one rendered e-mail per event per user, a redelivery changes nothing, a payment event that beats
 * its order's waits for it (also when both are processed at once), a schema-invalid event is dead-lettered while the consumer
 * keeps consuming, the simulated sender retries refused attempts, and GET /api/v1/me/notifications pages a
 * user's own, newest first, answering bad input with problem+json.
 */
import { randomUUID } from 'node:crypto';
import {
  type CloudEvent,
  DEMO_TENANT,
  DEMO_USERS,
  type EventData,
  type EventType,
} from '@glassbox/contracts';
import { createDb, createLogger, type Db, migrate } from '@glassbox/kit';
import { type Bus, createBus, createEvent, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationRepo } from '../src/adapters/notification-repo.js';
import { recordNotificationUseCase } from '../src/app/record-notification.js';
import { buildApp, type NotificationApp } from '../src/app.js';
import { NOTIFICATION_GROUP, notificationHandler } from '../src/events/consume.js';
import { createNotificationMetrics } from '../src/metrics.js';
import { seedDemo } from '../src/seed.js';

let database: TestDatabase;
let db: Db;
let bus: Bus;
let app: NotificationApp;
let keys: TestKeys;
const logLines: string[] = [];

beforeAll(async () => {
  keys = await createTestKeys();
  database = await createTestDatabase('gbnotify');
  db = createDb(database.url);
  await migrateKitTables(db, ['inbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  const logger = createLogger('notification', 'info', {
    hooks: {
      streamWrite: (line: string) => {
        logLines.push(line);
        return '';
      },
    },
  });
  bus = await createBus({ url: database.url, logger });
  app = await buildApp({
    db,
    logger,
    keys: keys.keys,
    bus,
    config: {
      AUTH_URL: 'http://127.0.0.1:1',
      INTERNAL_TOKEN: 'test-internal-token-0123456789',
      NOTIFICATION_SEND_INTERVAL_MS: 50,
      NOTIFICATION_SEND_MAX_ATTEMPTS: 30,
      NOTIFICATION_RETRY_BASE_MS: 20,
      // Capped, so that an e-mail refused many times in a row (20 × 2^9 ms after ten) still goes out in time.
      NOTIFICATION_RETRY_MAX_MS: 100,
      // Half the attempts refused: every e-mail still goes out, many only on a retry.
      NOTIFICATION_SENDER_FAILURE_RATE: 0.5,
    },
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  await database?.drop();
});

async function waitFor<T>(
  what: string,
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function event<T extends EventType>(type: T, data: EventData<T>, subject?: string): CloudEvent {
  return createEvent(type, data, { source: 'test', ...(subject ? { subject } : {}) });
}

function confirmed(tenantId: string, userId: string, orderId = randomUUID()): CloudEvent {
  return event(
    'order.confirmed',
    {
      tenantId,
      orderId,
      userId,
      totalCents: 2500,
      currency: 'EUR',
      items: [{ productId: randomUUID(), quantity: 2, name: 'Mug', unitPriceCents: 1250 }],
      confirmedAt: new Date().toISOString(),
    },
    orderId,
  );
}

function capturedFor(tenantId: string, orderId: string): CloudEvent {
  const paymentId = randomUUID();
  return event(
    'payment.captured',
    {
      tenantId,
      paymentId,
      orderId,
      amountCents: 2500,
      currency: 'EUR',
      capturedAt: new Date().toISOString(),
    },
    paymentId,
  );
}

const rowsFor = (eventId: string) =>
  db.query<{ user_id: string; status: string; attempts: number; subject: string; recipient: string }>(
    'SELECT user_id, status, attempts, subject, recipient FROM notifications WHERE event_id = $1',
    [eventId],
  );

async function get(url: string, token: string | null) {
  return app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

describe('consuming events', () => {
  it('writes one e-mail per event for its user, addressed from the registration, and sends it', async () => {
    const tenantId = randomUUID();
    const userId = randomUUID();
    await bus.publish([event('user.registered', { tenantId, userId, email: 'ann@shop.test', name: 'Ann' })]);
    await waitFor(
      'the recipient',
      () => db.query('SELECT 1 FROM recipients WHERE tenant_id = $1 AND user_id = $2', [tenantId, userId]),
      (r) => r.length === 1,
    );
    const e = confirmed(tenantId, userId);
    await bus.publish([e]);
    const [row] = await waitFor(
      'the e-mail sent',
      () => rowsFor(e.id),
      (r) => r[0]?.status === 'SENT',
    );
    expect(row).toMatchObject({ user_id: userId, recipient: 'ann@shop.test' });
    expect(row?.subject).toMatch(/^Order [0-9a-f]{8} confirmed$/);
    expect(logLines.some((l) => l.includes('email sent (simulated)') && l.includes('ann@shop.test'))).toBe(
      true,
    );
  });

  it('addresses the seeded demo users’ e-mails to their addresses (they are never registered)', async () => {
    await seedDemo(db);
    await seedDemo(db);
    const alice = DEMO_USERS[0];
    const e = confirmed(DEMO_TENANT.id, alice.id);
    await bus.publish([e]);
    const [row] = await waitFor(
      'the e-mail',
      () => rowsFor(e.id),
      (r) => r.length === 1,
    );
    expect(row?.recipient).toBe(alice.email);
  });

  it('does nothing on a redelivery of an event it has processed', async () => {
    const e = confirmed(randomUUID(), randomUUID());
    const handle = app.notificationHandler;
    if (!handle) throw new Error('no handler');
    await handle(e, { group: NOTIFICATION_GROUP, attempt: 1, redelivered: false });
    await handle(e, { group: NOTIFICATION_GROUP, attempt: 2, redelivered: true });
    await Promise.all([
      handle(e, { group: NOTIFICATION_GROUP, attempt: 3, redelivered: true }),
      handle(e, { group: NOTIFICATION_GROUP, attempt: 3, redelivered: true }),
    ]);
    expect(await rowsFor(e.id)).toHaveLength(1);
    const inbox = await db.query('SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2', [
      NOTIFICATION_GROUP,
      e.id,
    ]);
    expect(inbox).toHaveLength(1);
  });

  it('keeps a payment event that arrives before its order’s until it comes, then notifies the order’s owner', async () => {
    const tenantId = randomUUID();
    const userId = randomUUID();
    const order = confirmed(tenantId, userId);
    const orderId = (order.data as { orderId: string }).orderId;
    const captured = capturedFor(tenantId, orderId);
    await bus.publish([captured]);
    await waitFor(
      'the payment event to wait for its order',
      () => db.query('SELECT 1 FROM waiting_for_owner WHERE event_id = $1', [captured.id]),
      (rows) => rows.length === 1,
    );
    // Recorded in the inbox (processed, not retried), and no e-mail yet.
    expect(await db.query('SELECT 1 FROM inbox WHERE event_id = $1', [captured.id])).toHaveLength(1);
    expect(await rowsFor(captured.id)).toHaveLength(0);
    await bus.publish([order]);
    const [row] = await waitFor(
      'the payment e-mail',
      () => rowsFor(captured.id),
      (r) => r.length === 1,
    );
    expect(row).toMatchObject({ user_id: userId, subject: expect.stringMatching(/^Payment received/) });
    expect(await rowsFor(order.id)).toHaveLength(1);
    expect(await db.query('SELECT 1 FROM waiting_for_owner WHERE order_id = $1', [orderId])).toHaveLength(0);
    expect(logLines.filter((l) => l.includes(captured.id) && l.includes('will retry'))).toEqual([]);
  });

  it('loses no payment e-mail when the payment and order events are processed at the same moment', async () => {
    const logger = createLogger('notification', 'silent');
    const record = recordNotificationUseCase({
      repo: createNotificationRepo(db),
      metrics: createNotificationMetrics(),
      logger,
      written: () => {},
    });
    // Two consumers (two transactions at once), as two replicas or two fetches of the bus would run them.
    const [one, two] = [notificationHandler(db, record), notificationHandler(db, record)];
    const tenantId = randomUUID();
    const pairs = Array.from({ length: 30 }, () => {
      const order = confirmed(tenantId, randomUUID());
      return { order, captured: capturedFor(tenantId, (order.data as { orderId: string }).orderId) };
    });
    const delivery = { group: NOTIFICATION_GROUP, attempt: 1, redelivered: false };
    await Promise.all(
      pairs.flatMap(({ order, captured }, i) =>
        i % 2 === 0
          ? [one(captured, delivery), two(order, delivery)]
          : [one(order, delivery), two(captured, delivery)],
      ),
    );
    for (const { order, captured } of pairs) {
      const [row] = await rowsFor(captured.id);
      expect(row?.user_id).toBe((order.data as { userId: string }).userId);
    }
    expect(await db.query('SELECT 1 FROM waiting_for_owner WHERE tenant_id = $1', [tenantId])).toHaveLength(
      0,
    );
  });

  it('dead-letters a schema-invalid event with its reason and keeps consuming', async () => {
    const raw = new PgBoss({
      connectionString: database.url,
      schema: 'glassbox_bus',
      schedule: false,
      supervise: false,
      max: 1,
    });
    raw.on('error', () => {});
    await raw.start();
    try {
      const poison = {
        ...confirmed(randomUUID(), randomUUID()),
        data: { orderId: 'not-a-uuid', totalCents: -1 },
      };
      await raw.publish('order.confirmed', poison);
      const dead = await waitFor(
        'the dead letter',
        () => bus.deadLetters(NOTIFICATION_GROUP, 50),
        (d) => d.some((x) => (x.event as { id?: string }).id === poison.id),
      );
      const letter = dead.find((x) => (x.event as { id?: string }).id === poison.id);
      expect(letter?.reason).toMatch(/invalid order\.confirmed data/);
      expect(await rowsFor(poison.id)).toHaveLength(0);
      // The consumer is still consuming.
      const next = confirmed(randomUUID(), randomUUID());
      await bus.publish([next]);
      await waitFor(
        'the next event',
        () => rowsFor(next.id),
        (r) => r.length === 1,
      );
    } finally {
      await raw.stop({ graceful: false });
    }
  });

  it('sends every e-mail despite refused attempts, retrying with backoff', async () => {
    const tenantId = randomUUID();
    const events = Array.from({ length: 20 }, () => confirmed(tenantId, randomUUID()));
    await bus.publish(events);
    const rows = await waitFor(
      'all 20 sent',
      () =>
        db.query<{ status: string; attempts: number }>(
          'SELECT status, attempts FROM notifications WHERE tenant_id = $1',
          [tenantId],
        ),
      (r) => r.length === 20 && r.every((x) => x.status === 'SENT'),
    );
    // With half the attempts refused, some of 20 e-mails needed more than one (all 20 first tries passing: 1 in 10^6).
    expect(rows.some((r) => r.attempts > 1)).toBe(true);
  });
});

describe('GET /api/v1/me/notifications', () => {
  const tenantId = randomUUID();
  const userId = randomUUID();
  let token: string;
  const published: CloudEvent[] = [];

  beforeAll(async () => {
    token = await keys.sign({ userId, tenantId, roles: ['customer'] });
    for (let i = 0; i < 5; i++) {
      const e = confirmed(tenantId, userId);
      published.push(e);
      // One at a time, so their order of arrival is known.
      await bus.publish([e]);
      await waitFor(
        'the notification',
        () => rowsFor(e.id),
        (r) => r.length === 1,
      );
    }
  });

  it('answers 401 problem+json without a valid token', async () => {
    for (const res of [
      await get('/api/v1/me/notifications', null),
      await get('/api/v1/me/notifications', 'x'),
    ]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('lists the caller’s own, newest first, in pages', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(
        `/api/v1/me/notifications?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        token,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: { eventId: string; type: string; channel: string }[];
        nextCursor: string | null;
      };
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const item of body.items)
        expect(item).toMatchObject({ type: 'order.confirmed', channel: 'email' });
      seen.push(...body.items.map((i) => i.eventId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(published.map((e) => e.id).reverse());
  });

  it('shows nothing of another user or of the same user id in another tenant', async () => {
    const stranger = await keys.sign({ userId: randomUUID(), tenantId, roles: ['customer'] });
    const elsewhere = await keys.sign({ userId, tenantId: randomUUID(), roles: ['customer'] });
    for (const t of [stranger, elsewhere]) {
      const res = await get('/api/v1/me/notifications', t);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ items: [], nextCursor: null });
    }
  });

  it('answers 400 problem+json naming the field for a bad cursor or limit', async () => {
    const forged = Buffer.from(`2026-01-01T00:00:00.000000Z|${randomUUID()}|x`).toString('base64url');
    for (const [query, path] of [
      ['cursor=nope!', 'querystring/cursor'],
      [`cursor=${forged}`, 'querystring/cursor'],
      ['cursor=', 'querystring/cursor'],
      ['limit=0', 'querystring/limit'],
      ['limit=101', 'querystring/limit'],
      ['limit=abc', 'querystring/limit'],
      ['limit=1e309', 'querystring/limit'],
    ] as const) {
      const res = await get(`/api/v1/me/notifications?${query}`, token);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const paths = ((res.json().errors ?? []) as { path: string }[]).map((e) => e.path);
      expect(paths, query).toContain(path);
    }
    const extra = await get('/api/v1/me/notifications?sort=asc', token);
    expect(extra.statusCode).toBe(400);
  });
});

describe('without the bus', () => {
  it('stays up and shows what it has, /readyz saying degraded', async () => {
    const tenantId = randomUUID();
    const userId = randomUUID();
    const e = confirmed(tenantId, userId);
    await bus.publish([e]);
    await waitFor(
      'the notification',
      () => rowsFor(e.id),
      (r) => r.length === 1,
    );
    // Last: the bus is closed for good (as unreachable as a stopped broker, to the readiness check).
    await bus.close();
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'degraded' });
    expect(ready.json().checks.bus).not.toBe('ok');
    const token = await keys.sign({ userId, tenantId, roles: ['customer'] });
    const res = await get('/api/v1/me/notifications', token);
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((n: { eventId: string }) => n.eventId)).toEqual([e.id]);
  });
});

/**
 * The inbox's group commit against the real PostgreSQL: a burst of deliveries shares one transaction and one
 * inbox statement, copies of an event (in one batch, in two batches at once, later) run the handler once,
 * one failing event rolls back only itself, and `maxBatch` / `concurrency` bound the transactions.
 */
import type { CloudEvent } from '@glassbox/contracts';
import { type Span, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvent } from '../../src/bus/events.js';
import { idempotent, type TransactionalHandler } from '../../src/bus/inbox.js';
import type { DeliveryInfo } from '../../src/bus/types.js';
import { createDb, type Db } from '../../src/db.js';
import { migrateKitTables } from '../../src/kit-tables.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';
import { captureTelemetry } from '../../src/testing/telemetry.js';

const telemetry = captureTelemetry();
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase('gbinbox');
  db = createDb(database.url, { max: 12 });
  await migrateKitTables(db, ['inbox']);
  await db.query('CREATE TABLE handled (n integer NOT NULL, event_id text NOT NULL)');
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
  await telemetry.shutdown();
});

beforeEach(async () => {
  await db.query('TRUNCATE handled, inbox');
});

/** The database, counting the transactions it runs, the most at once, and the statements run in them. */
function counting(inner: Db) {
  const seen = { transactions: 0, open: 0, mostOpen: 0, statements: [] as string[], sizes: [] as number[] };
  const wrapped: Db = {
    ...inner,
    pool: inner.pool,
    async tx(fn) {
      seen.transactions++;
      seen.open++;
      seen.mostOpen = Math.max(seen.mostOpen, seen.open);
      try {
        return await inner.tx((tx) =>
          fn({
            afterCommit: (f) => tx.afterCommit(f),
            query: (text, values) => {
              seen.statements.push(text);
              if (text.includes('INSERT INTO inbox'))
                seen.sizes.push((values?.[1] as string[] | undefined)?.length ?? 0);
              return tx.query(text, values);
            },
          }),
        );
      } finally {
        seen.open--;
      }
    },
  };
  return {
    db: wrapped,
    seen,
    inboxStatements: () => seen.statements.filter((s) => s.includes('INTO inbox')),
  };
}

const delivery = (group = 'inbox-test', attempt = 1): DeliveryInfo => ({
  group,
  attempt,
  redelivered: attempt > 1,
});
const event = (n: number): CloudEvent => createEvent('test.ping', { n }, { source: 'inbox-test' });
const record: TransactionalHandler = async (e, tx) => {
  await tx.query('INSERT INTO handled (n, event_id) VALUES ($1, $2)', [(e.data as { n: number }).n, e.id]);
};
const handledRows = async () =>
  (await db.query<{ n: number }>('SELECT n FROM handled ORDER BY n')).map((r) => r.n);
const duplicates = () =>
  telemetry.sum('glassbox.bus.duplicates', { 'messaging.consumer.group.name': 'inbox-test' });

describe('inbox group commit', () => {
  it('writes a burst of deliveries in one transaction with one inbox statement, each handler once', async () => {
    const c = counting(db);
    const handle = idempotent(c.db, record);
    const events = Array.from({ length: 40 }, (_, i) => event(i));
    await Promise.all(events.map((e) => handle(e, delivery())));
    expect(await handledRows()).toEqual(events.map((_, i) => i));
    expect(c.seen.transactions).toBe(1);
    expect(c.inboxStatements()).toHaveLength(1);
    // The burst's own statements: one inbox insert, then one per handler.
    expect(c.seen.statements).toHaveLength(41);
    expect(await db.query('SELECT count(*)::int AS n FROM inbox')).toEqual([{ n: 40 }]);
  });

  it('runs the handler once for copies of an event: in one batch, in two batches at once, and later', async () => {
    const before = await duplicates();
    const calls: string[] = [];
    const slow: TransactionalHandler = async (e, tx, d) => {
      calls.push(e.id);
      await record(e, tx, d);
      // Holds the inbox row uncommitted for a while, so the other process's copy has to wait for it.
      await new Promise((resolve) => setTimeout(resolve, 150));
    };
    const one = idempotent(db, slow);
    const two = idempotent(db, slow);
    const [a, b] = [event(1), event(2)];
    // A and its redelivery in one burst (one batch), and A again in another process at the same time.
    await Promise.all([
      one(a, delivery()),
      one(a, delivery('inbox-test', 2)),
      one(b, delivery()),
      two(a, delivery('inbox-test', 2)),
    ]);
    await one(a, delivery('inbox-test', 3));
    expect(calls.filter((id) => id === a.id)).toHaveLength(1);
    expect(calls.filter((id) => id === b.id)).toHaveLength(1);
    expect(await handledRows()).toEqual([1, 2]);
    expect((await duplicates()) - before).toBe(3);
  });

  it('rolls back only the failing event of a batch: the others commit, its delivery rejects', async () => {
    const c = counting(db);
    const failing = event(5);
    const handle = idempotent(c.db, async (e, tx, d) => {
      await record(e, tx, d);
      if (e.id === failing.id) throw new Error('fails after writing');
    });
    const events = Array.from({ length: 10 }, (_, i) => (i === 5 ? failing : event(i)));
    const outcomes = await Promise.allSettled(events.map((e) => handle(e, delivery())));
    expect(outcomes.map((o) => o.status)).toEqual(
      events.map((e) => (e.id === failing.id ? 'rejected' : 'fulfilled')),
    );
    expect(await handledRows()).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
    expect(
      (await db.query<{ event_id: string }>('SELECT event_id FROM inbox')).map((r) => r.event_id).sort(),
    ).toEqual(
      events
        .filter((e) => e !== failing)
        .map((e) => e.id)
        .sort(),
    );
    // The batch, rolled back; then each event in a transaction of its own.
    expect(c.seen.transactions).toBe(11);
  });

  it('keeps to maxBatch events per transaction and concurrency transactions at once', async () => {
    const c = counting(db);
    const handle = idempotent(
      c.db,
      async (e, tx, d) => {
        await record(e, tx, d);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
      { maxBatch: 16, concurrency: 3 },
    );
    const events = Array.from({ length: 100 }, (_, i) => event(i));
    await Promise.all(events.map((e) => handle(e, delivery())));
    expect(await handledRows()).toHaveLength(100);
    expect(Math.max(...c.seen.sizes)).toBe(16);
    expect(c.seen.sizes.reduce((a, b) => a + b, 0)).toBe(100);
    expect(c.seen.transactions).toBe(Math.ceil(100 / 16));
    expect(c.seen.mostOpen).toBe(3);
  });
});

describe('inbox traces', () => {
  const tracer = trace.getTracer('inbox-test');

  /** Delivers `e` as a bus does: inside an active `process` span that ends when the handler settles. */
  const deliverInSpan = (handle: ReturnType<typeof idempotent>, e: CloudEvent, name: string) => {
    let span: Span | undefined;
    const done = tracer.startActiveSpan(name, async (s) => {
      span = s;
      try {
        await handle(e, delivery());
      } finally {
        s.end();
      }
    });
    return { done, span: () => span! };
  };
  const spansNamed = (name: string) => telemetry.spans().filter((s) => s.name === name);

  it("runs a queued delivery's transaction in its own trace, not in the one that ran before it", async () => {
    telemetry.reset();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const [a, b] = [event(1), event(2)];
    const handle = idempotent(
      db,
      async (e, tx, d) => {
        await record(e, tx, d);
        if (e.id === a.id) await gate;
      },
      { concurrency: 1 },
    );
    const first = deliverInSpan(handle, a, 'process a');
    // B arrives while A's transaction holds the only slot: it waits, and is started when A's ends.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = deliverInSpan(handle, b, 'process b');
    open();
    await Promise.all([first.done, second.done]);
    expect(await handledRows()).toEqual([1, 2]);
    const parents = spansNamed('db.transaction').map((s) => s.parentSpanContext?.spanId);
    expect(parents.sort()).toEqual(
      [first.span().spanContext().spanId, second.span().spanContext().spanId].sort(),
    );
  });

  it('runs each handler of a batch in its own trace (the transaction joins the first one)', async () => {
    telemetry.reset();
    const c = counting(db);
    const handle = idempotent(c.db, async (e, tx, d) => {
      await tracer.startActiveSpan(`handle ${(e.data as { n: number }).n}`, async (s) => {
        await record(e, tx, d);
        s.end();
      });
    });
    const deliveries = [1, 2, 3].map((n) => deliverInSpan(handle, event(n), `process ${n}`));
    await Promise.all(deliveries.map((d) => d.done));
    expect(c.seen.transactions).toBe(1);
    const [tx] = spansNamed('db.transaction');
    expect(tx?.parentSpanContext?.spanId).toBe(deliveries[0]!.span().spanContext().spanId);
    for (const [i, d] of deliveries.entries()) {
      const [handled] = spansNamed(`handle ${i + 1}`);
      expect(handled?.spanContext().traceId).toBe(d.span().spanContext().traceId);
    }
    // The others' handlers are children of their own process spans.
    expect(spansNamed('handle 2')[0]?.parentSpanContext?.spanId).toBe(
      deliveries[1]!.span().spanContext().spanId,
    );
  });
});

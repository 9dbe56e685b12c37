import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryStore } from './telemetry-store.js';
import { testLog, testSpan } from './test-rows.js';
import type { RowCounts } from './types.js';
import { WriteQueue } from './write-queue.js';

const batch = (from: number, n: number, logs = 0) => ({
  spans: Array.from({ length: n }, (_, k) => testSpan(from + k)),
  logs: Array.from({ length: logs }, (_, k) => testLog(from + k)),
  metricPoints: [],
  approxBytes: (n + logs) * 300,
});

let store: TelemetryStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('WriteQueue', () => {
  it('batches rows into the store on flush and reports what it wrote', async () => {
    store = await TelemetryStore.open(':memory:');
    const written: RowCounts[] = [];
    const q = new WriteQueue(
      store,
      { flushIntervalMs: 60_000, flushRows: 1_000_000 },
      { onWritten: (c) => written.push(c) },
    );
    expect(q.tryEnqueue(batch(0, 10, 3))).toBe(true);
    expect(q.tryEnqueue(batch(10, 5))).toBe(true);
    expect(q.depth).toBe(18);
    expect(await store.counts()).toEqual({ spans: 0, logs: 0, metricPoints: 0 });
    await q.flush();
    expect(q.depth).toBe(0);
    expect(await store.counts()).toEqual({ spans: 15, logs: 3, metricPoints: 0 });
    expect(written).toEqual([{ spans: 15, logs: 3, metricPoints: 0 }]);
    // Both requests landed in one batch: one ingested_ns.
    const [r] = await store.query<{ n: bigint }>('SELECT count(DISTINCT ingested_ns) AS n FROM spans');
    expect(r!.n).toBe(1n);
    await q.close();
  });

  it('flushes by itself on the timer and when flushRows are waiting', async () => {
    store = await TelemetryStore.open(':memory:');
    const timed = new WriteQueue(store, { flushIntervalMs: 20, flushRows: 1_000_000 });
    const written = (await store.counts()).spans;
    timed.tryEnqueue(batch(0, 3));
    // Nobody calls flush(): the rows arrive by the timer alone.
    const counts = () => (store as TelemetryStore).counts().then((c) => c.spans);
    await expect.poll(counts, { timeout: 5_000, interval: 10 }).toBe(written + 3);
    const eager = new WriteQueue(store, { flushIntervalMs: 60_000, flushRows: 5 });
    eager.tryEnqueue(batch(100, 5));
    // The timer is a minute away: the rows arrive because flushRows are waiting.
    await expect.poll(counts, { timeout: 5_000, interval: 10 }).toBe(written + 8);
    await Promise.all([timed.close(), eager.close()]);
  });

  it('refuses a whole batch when it would exceed the row or byte bound', async () => {
    store = await TelemetryStore.open(':memory:');
    const q = new WriteQueue(store, { maxRows: 10, maxBytes: 1_000_000, flushIntervalMs: 60_000 });
    expect(q.tryEnqueue(batch(0, 8))).toBe(true);
    expect(q.tryEnqueue(batch(8, 3))).toBe(false);
    expect(q.depth).toBe(8);
    expect(q.tryEnqueue(batch(8, 2))).toBe(true);
    const other = await TelemetryStore.open(':memory:');
    const byBytes = new WriteQueue(other, { maxRows: 1000, maxBytes: 1000, flushIntervalMs: 60_000 });
    expect(byBytes.tryEnqueue(batch(0, 4))).toBe(false);
    expect(byBytes.tryEnqueue(batch(0, 3))).toBe(true);
    await byBytes.close();
    expect((await other.counts()).spans).toBe(3);
    await other.close();
    await q.flush();
    expect(q.depth).toBe(0);
    expect(q.tryEnqueue(batch(20, 10))).toBe(true);
    await q.close();
    expect(q.tryEnqueue(batch(40, 1))).toBe(false);
    expect((await store.counts()).spans).toBe(20);
  });

  it('counts rows lost to a failed write and keeps going', async () => {
    store = await TelemetryStore.open(':memory:');
    const failed: RowCounts[] = [];
    const q = new WriteQueue(store, { flushIntervalMs: 60_000 }, { onWriteFailed: (c) => failed.push(c) });
    await store.query('ALTER TABLE logs RENAME TO logs_away');
    q.tryEnqueue(batch(0, 2, 4));
    await q.flush();
    // The transaction could not be opened (no logs table): everything in it is reported lost.
    expect(failed).toEqual([{ spans: 2, logs: 4, metricPoints: 0 }]);
    expect(q.depth).toBe(0);
    await store.query('ALTER TABLE logs_away RENAME TO logs');
    expect(q.tryEnqueue(batch(10, 3, 1))).toBe(true);
    await q.flush();
    expect(await store.counts()).toEqual({ spans: 3, logs: 1, metricPoints: 0 });
  });

  it('appends rows arriving during a commit to the next transaction, in order', async () => {
    store = await TelemetryStore.open(':memory:');
    const q = new WriteQueue(store, { flushIntervalMs: 60_000, flushRows: 4 });
    for (let i = 0; i < 10; i++) expect(q.tryEnqueue(batch(i * 3, 3))).toBe(true);
    await q.flush();
    const rows = await store.query<{ name: string; ingested_ns: bigint }>(
      'SELECT name, ingested_ns FROM spans ORDER BY ingested_ns, name',
    );
    expect(rows).toHaveLength(30);
    // Every request's rows share a transaction; transactions commit in order.
    const byBatch = new Map<number, bigint>();
    for (const r of rows) {
      const b = Math.floor(Number(r.name.slice(3)) / 3);
      const ns = byBatch.get(b);
      if (ns === undefined) byBatch.set(b, r.ingested_ns);
      else expect(r.ingested_ns).toBe(ns);
    }
    const order = [...byBatch.entries()].sort((a, b) => a[0] - b[0]).map(([, ns]) => ns);
    for (let i = 1; i < order.length; i++) expect(order[i]! >= order[i - 1]!).toBe(true);
    await q.close();
  });
});

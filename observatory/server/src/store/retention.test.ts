import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Retention } from './retention.js';
import { TelemetryStore } from './telemetry-store.js';
import { testLog, testSpan } from './test-rows.js';
import type { RowCounts } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ingestedTimes(store: TelemetryStore): Promise<bigint[]> {
  const rows = await store.query<{ t: bigint }>(
    'SELECT DISTINCT ingested_ns AS t FROM (SELECT ingested_ns FROM spans UNION ALL SELECT ingested_ns FROM logs) ORDER BY t',
  );
  return rows.map((r) => r.t);
}

describe('Retention', () => {
  it('age rule: deletes rows ingested before the window, in every table, and nothing newer', async () => {
    const store = await TelemetryStore.open(':memory:');
    await store.insertSpans([testSpan(1), testSpan(2)]);
    await store.insertLogs([testLog(1)]);
    const [oldest] = await ingestedTimes(store);
    // The store's ingest clock is strictly increasing: the next batch is newer without waiting.
    await store.insertSpans([testSpan(3)]);
    await store.insertLogs([testLog(2)]);
    const times = await ingestedTimes(store);
    expect(times).toHaveLength(4);
    // "Now" is one hour after the second batch, with a one-hour window ending between batch 2 and 3.
    const hourNs = 3_600_000_000_000n;
    const evicted: RowCounts[] = [];
    const retention = new Retention(
      store,
      {
        retentionHours: 1,
        maxBytes: Number.MAX_SAFE_INTEGER,
        intervalMs: 60_000,
        nowNs: () => times[1]! + hourNs,
      },
      { onEvicted: (c) => evicted.push(c) },
    );
    const result = await retention.enforce();
    expect(result.byAge).toEqual({ spans: 2, logs: 1, metricPoints: 0 });
    expect(evicted).toEqual([{ spans: 2, logs: 1, metricPoints: 0 }]);
    expect(await ingestedTimes(store)).toEqual(times.slice(2));
    expect(oldest).toBe(times[0]);
    const spans = await store.query<{ name: string }>('SELECT name FROM spans');
    expect(spans.map((s) => s.name)).toEqual(['op-3']);
    await store.close();
  });

  it.each([
    ['file', join(dir, 'bytes.duckdb')],
    ['memory', ':memory:'],
  ])('byte rule (%s): deletes the oldest batches first until under the budget', async (label, path) => {
    const store = await TelemetryStore.open(path);
    const batches = 10;
    const perBatch = 15_000;
    for (let b = 0; b < batches; b++) {
      const from = b * perBatch;
      await store.insertSpans(Array.from({ length: perBatch }, (_, k) => testSpan(from + k, `svc-${b}`)));
      await store.insertLogs(Array.from({ length: perBatch / 4 }, (_, k) => testLog(from + k, `svc-${b}`)));
    }
    await store.checkpoint();
    const full = await store.sizeBytes();
    const maxBytes = Math.floor(full / 2);
    const retention = new Retention(store, { retentionHours: 24, maxBytes, intervalMs: 60_000 });
    const result = await retention.enforce();
    expect(result.byAge).toEqual({ spans: 0, logs: 0, metricPoints: 0 });
    expect(result.byBytes.spans).toBeGreaterThan(0);
    expect(result.byBytes.logs).toBeGreaterThan(0);
    expect(result.sizeAfter).toBeLessThanOrEqual(maxBytes);
    expect(await store.sizeBytes()).toBeLessThanOrEqual(maxBytes);

    // What remains is a suffix of the batches: every deleted batch is older than every kept one,
    // and the newest batch is intact.
    const kept = await store.query<{ service: string; n: bigint }>(
      `SELECT service, count(*) AS n FROM spans GROUP BY service`,
    );
    const keptBatches = kept.map((r) => Number(r.service.slice(4))).sort((a, b) => a - b);
    // Budget is half the size and the rule shrinks to 90% of it: about 45% of the rows stay —
    // fewer, because freed space lags behind deleted rows: DuckDB frees whole row groups (122,880
    // rows) only. The file store rewrites the tables to get the rest back; the memory store does
    // not (see Retention), so it deletes one more slice.
    expect(keptBatches.length).toBeGreaterThanOrEqual(label === 'memory' ? 2 : 3);
    expect(keptBatches.length).toBeLessThan(batches);
    expect(keptBatches.at(-1)).toBe(batches - 1);
    for (let i = 1; i < keptBatches.length; i++) expect(keptBatches[i]).toBe(keptBatches[i - 1]! + 1);
    const newest = kept.find((r) => r.service === `svc-${batches - 1}`);
    expect(newest!.n).toBe(BigInt(perBatch));
    const logServices = await store.query<{ service: string }>('SELECT DISTINCT service FROM logs');
    for (const r of logServices)
      expect(Number(r.service.slice(4))).toBeGreaterThanOrEqual(keptBatches[0]! - 1);
    await store.close();
  });

  it('runs on its timer and reports the store size', async () => {
    const store = await TelemetryStore.open(':memory:');
    await store.insertSpans([testSpan(1)]);
    const sizes: number[] = [];
    const retention = new Retention(
      store,
      { retentionHours: 24, maxBytes: 1e12, intervalMs: 20 },
      { onSize: (b) => sizes.push(b) },
    );
    retention.start();
    // Nobody calls enforce(): two size reports can only come from the timer.
    await expect.poll(() => sizes.length, { timeout: 5_000, interval: 10 }).toBeGreaterThan(1);
    await retention.stop();
    expect(sizes[0]).toBeGreaterThan(0);
    await store.close();
  });
});

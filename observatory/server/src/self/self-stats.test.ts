import { afterEach, describe, expect, it, vi } from 'vitest';
import { SelfStats } from './self-stats.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('SelfStats', () => {
  it('counts per signal and computes rates over the window', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const s = new SelfStats({ queueDepth: () => 7, queueLimit: () => ({ rows: 10, bytes: 20 }) }, 10);
    vi.setSystemTime(1_000_000 + 20_000); // past the first window
    s.recordAccepted('spans', 100);
    vi.setSystemTime(1_000_000 + 21_000);
    s.recordAccepted('spans', 50);
    s.recordAccepted('logs', 10);
    s.recordRejected('spans', 3);
    s.recordRejectedRequest('metricPoints', 4);
    s.recordThrottled('logs', 5);
    s.recordDropped('spans', 2);
    s.recordEvicted({ spans: 1, logs: 2, metricPoints: 3 });
    s.setStoreBytes(4096);
    const snap = s.snapshot();
    expect(snap.ingest.accepted).toEqual({ spans: 150, logs: 10, metricPoints: 0 });
    expect(snap.ingest.spansPerSec).toBe(15); // 150 over the 10 s window
    expect(snap.ingest.logsPerSec).toBe(1);
    expect(snap.ingest.rejected).toEqual({ spans: 3, logs: 0, metricPoints: 4 });
    expect(snap.ingest.rejectedRequests).toEqual({ spans: 0, logs: 0, metricPoints: 1 });
    expect(snap.ingest.dropped).toEqual({ spans: 2, logs: 5, metricPoints: 0 });
    expect(snap.ingest.throttledRequests).toEqual({ spans: 0, logs: 1, metricPoints: 0 });
    expect(snap.evicted).toEqual({ spans: 1, logs: 2, metricPoints: 3 });
    expect(snap).toMatchObject({ queueDepth: 7, queueLimit: { rows: 10, bytes: 20 }, storeBytes: 4096 });
    // Old buckets fall out of the window.
    vi.setSystemTime(1_000_000 + 40_000);
    expect(s.snapshot().ingest.spansPerSec).toBe(0);
  });

  it('reports query latency percentiles from recent samples', () => {
    const s = new SelfStats();
    expect(s.snapshot().queryLatencyMs).toEqual({ p50: null, p95: null, samples: 0 });
    for (let i = 1; i <= 100; i++) s.recordQueryLatency(i);
    expect(s.snapshot().queryLatencyMs).toEqual({ p50: 50, p95: 95, samples: 100 });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningObservatory, startTestObservatory } from './testing.js';

/**
 * Tail-based sampling through the real receiver and store: spans of one trace arriving in several requests
 * (from several services) are stored together once the trace is quiet, only if it failed, was slow or falls in
 * the kept share; with tail sampling off every span is stored.
 */

let t: RunningObservatory;

beforeAll(async () => {
  t = await startTestObservatory({
    tailSampling: { idleMs: 100, latencyMs: 500, keepRatio: 0.25, maxSpans: 10_000 },
  });
});
afterAll(async () => {
  await t?.close();
});

const START = 1_700_000_000_000_000_000n;

function span(traceId: string, i: number, opts: { startMs?: number; ms?: number; error?: boolean } = {}) {
  const start = START + BigInt(opts.startMs ?? 0) * 1_000_000n;
  return {
    traceId,
    spanId: `b7ad6b71692033${String(i).padStart(2, '0')}`,
    name: `span-${i}`,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + BigInt(opts.ms ?? 5) * 1_000_000n).toString(),
    ...(opts.error ? { status: { code: 2, message: 'boom' } } : {}),
  };
}

async function send(service: string, spans: Record<string, unknown>[]) {
  const res = await fetch(t.httpUrl('/v1/traces'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [{ spans }],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
}

/** Trace ids whose ratio draw (last 8 hex digits) is low (kept by the 25 % share) or high (not). */
const LOW = '00000100';
const HIGH = 'f0000000';

async function storedSpans(): Promise<Map<string, number>> {
  const rows = await t.rows<{ trace_id: string; n: bigint }>(
    'SELECT trace_id, count(*) AS n FROM spans GROUP BY trace_id',
  );
  return new Map(rows.map((r) => [r.trace_id, Number(r.n)]));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('tail-based sampling in the observatory', () => {
  it('stores whole the traces that failed, were slow or fall in the share, and drops the rest', async () => {
    const failed = `a000000000000000aaaaaaaa${HIGH}`;
    const slow = `b000000000000000bbbbbbbb${HIGH}`;
    const shared = `c000000000000000cccccccc${LOW}`;
    const normal = `d000000000000000dddddddd${HIGH}`;
    // Each trace crosses two services, sent in separate requests, the error in the second one.
    await send('gateway', [span(failed, 1), span(slow, 1, { ms: 700 }), span(shared, 1), span(normal, 1)]);
    await send('order', [
      span(failed, 2, { error: true }),
      span(slow, 2),
      span(shared, 2),
      span(normal, 2),
      span(normal, 3),
    ]);
    const stored = await waitFor('the kept traces', async () => {
      const s = await storedSpans();
      return s.size >= 3 ? s : undefined;
    });
    expect(Object.fromEntries(stored)).toEqual({ [failed]: 2, [slow]: 2, [shared]: 2 });
    const sampler = t.obs.pipeline.tailSampler!;
    await waitFor('the dropped trace', async () => (sampler.stats().tracesDropped >= 1 ? true : undefined));
    expect(sampler.stats()).toMatchObject({
      tracesKept: { error: 1, latency: 1, ratio: 1 },
      tracesDropped: 1,
      spansDropped: 3,
      bufferedSpans: 0,
    });
    // The counters are on the observatory's own /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${t.ports.port}/metrics`)).text();
    expect(metrics).toContain('observatory_tail_sampling_traces_total{decision="kept_error"} 1');
    expect(metrics).toContain('observatory_tail_sampling_traces_total{decision="dropped"} 1');
    expect(metrics).toContain('observatory_tail_sampling_spans_total{decision="dropped"} 3');
    // A span that arrives after its trace was decided follows the decision.
    await send('payment', [span(failed, 4), span(normal, 4)]);
    await waitFor('the late span', async () => ((await storedSpans()).get(failed) === 3 ? true : undefined));
    expect((await storedSpans()).has(normal)).toBe(false);
  });

  it('stores every span when tail sampling is off', async () => {
    const plain = await startTestObservatory();
    try {
      expect(plain.obs.pipeline.tailSampler).toBeUndefined();
      const metrics = await (await fetch(`http://127.0.0.1:${plain.ports.port}/metrics`)).text();
      expect(metrics).toContain('observatory_otlp_items_received_total');
      expect(metrics).not.toContain('observatory_tail_sampling');
      const res = await fetch(plain.httpUrl('/v1/traces'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [{ scopeSpans: [{ spans: [span(`e00000000000000000000000${HIGH}`, 1)] }] }],
        }),
      });
      expect(res.status).toBe(200);
      const rows = await plain.rows<{ n: bigint }>('SELECT count(*) AS n FROM spans');
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await plain.close();
    }
  });
});

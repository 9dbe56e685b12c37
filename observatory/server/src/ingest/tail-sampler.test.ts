import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EMPTY_ENVELOPE, type SpanRow } from '../store/types.js';
import {
  DEFAULT_TAIL_SAMPLING,
  TailSampler,
  type TailSamplingSettings,
  traceIdFraction,
} from './tail-sampler.js';

const MS = 1_000_000n;

function span(
  traceId: string,
  spanId: string,
  opts: { startMs?: number; ms?: number; error?: boolean } = {},
): SpanRow {
  const startNs = 1_700_000_000_000n * MS + BigInt(opts.startMs ?? 0) * MS;
  const endNs = startNs + BigInt(opts.ms ?? 5) * MS;
  return {
    traceId,
    spanId,
    parentSpanId: '',
    traceState: '',
    name: 'op',
    kind: 2,
    service: 'svc',
    startNs,
    endNs,
    durationNs: endNs - startNs,
    statusCode: opts.error ? 2 : 0,
    statusMessage: '',
    attributes: '{}',
    resource: '{}',
    scopeName: 's',
    events: '[]',
    links: '[]',
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** A trace id whose ratio draw is `fraction` (its last 8 hex digits). */
const traceId = (prefix: string, fraction: number) =>
  `${prefix.padEnd(24, '0')}${Math.floor(fraction * 0xffffffff)
    .toString(16)
    .padStart(8, '0')}`;

function harness(settings: Partial<TailSamplingSettings> = {}, accept = () => true) {
  let now = 0;
  const stored: SpanRow[] = [];
  const sampler = new TailSampler(
    { idleMs: 1000, latencyMs: 500, keepRatio: 0.1, maxSpans: 1000, ...settings },
    (spans) => {
      if (!accept()) return false;
      stored.push(...spans);
      return true;
    },
    () => now,
  );
  return {
    sampler,
    stored,
    storedTraces: () => [...new Set(stored.map((s) => s.traceId))].sort(),
    advance(ms: number) {
      now += ms;
      sampler.sweep();
    },
  };
}

describe('TailSampler', () => {
  it('holds a trace until it has been quiet for idleMs, then keeps it whole if a span failed', () => {
    const h = harness();
    const failing = traceId('a1', 0.9);
    h.sampler.add([span(failing, '01')]);
    h.advance(600);
    h.sampler.add([span(failing, '02', { error: true }), span(failing, '03')]);
    h.advance(600); // 600 ms since its last span: not complete yet
    expect(h.stored).toEqual([]);
    h.advance(400);
    expect(h.stored.map((s) => s.spanId)).toEqual(['01', '02', '03']);
    expect(h.sampler.stats()).toMatchObject({
      tracesKept: { error: 1, latency: 0, ratio: 0 },
      bufferedSpans: 0,
    });
  });

  it('keeps a trace lasting latencyMs or more (first start to last end, across spans)', () => {
    const h = harness();
    const slow = traceId('b1', 0.9);
    const fast = traceId('b2', 0.9);
    h.sampler.add([span(slow, '01', { startMs: 0, ms: 100 }), span(slow, '02', { startMs: 450, ms: 60 })]);
    h.sampler.add([span(fast, '01', { startMs: 0, ms: 100 }), span(fast, '02', { startMs: 300, ms: 60 })]);
    h.advance(1000);
    expect(h.storedTraces()).toEqual([slow]);
    expect(h.sampler.stats()).toMatchObject({
      tracesKept: { latency: 1 },
      tracesDropped: 1,
      spansDropped: 2,
    });
  });

  it('keeps the configured share of the other traces, decided on the trace id', () => {
    const h = harness({ keepRatio: 0.25 });
    const ids = Array.from({ length: 400 }, (_, i) => traceId(`c${i}`, (i + 0.5) / 400));
    for (const id of ids) h.sampler.add([span(id, '01')]);
    h.advance(1000);
    expect(h.storedTraces()).toEqual(ids.slice(0, 100).sort());
    expect(traceIdFraction(ids[99]!)).toBeLessThan(0.25);
    expect(traceIdFraction(ids[100]!)).toBeGreaterThanOrEqual(0.25);
  });

  it('sends a late span the way its trace went', () => {
    const h = harness();
    const kept = traceId('d1', 0.9);
    const dropped = traceId('d2', 0.9);
    h.sampler.add([span(kept, '01', { error: true }), span(dropped, '01')]);
    h.advance(1000);
    h.sampler.add([span(kept, '02'), span(dropped, '02')]);
    expect(h.stored.map((s) => `${s.traceId}/${s.spanId}`)).toEqual([`${kept}/01`, `${kept}/02`]);
    expect(h.sampler.stats().bufferedSpans).toBe(0);
  });

  it('decides the oldest traces early past maxSpans, and everything at shutdown', () => {
    const h = harness({ maxSpans: 10, keepRatio: 1 });
    const ids = Array.from({ length: 6 }, (_, i) => traceId(`e${i}`, 0.5));
    for (const id of ids) h.sampler.add([span(id, '01'), span(id, '02')]);
    expect(h.sampler.stats().bufferedSpans).toBeLessThanOrEqual(10);
    expect(h.storedTraces()).toEqual([ids[0]]);
    h.sampler.flushAll();
    expect(h.storedTraces()).toEqual([...ids].sort());
  });

  it('offers kept spans again when the write queue was full', () => {
    let full = true;
    const h = harness({}, () => !full);
    const id = traceId('f1', 0.9);
    h.sampler.add([span(id, '01', { error: true })]);
    h.advance(1000);
    expect(h.stored).toEqual([]);
    full = false;
    h.advance(10);
    expect(h.storedTraces()).toEqual([id]);
  });
});

describe('deploy/collector/tail-sampling.yaml', () => {
  it('keeps what the observatory keeps by default: errors, traces over the latency threshold, the same share', async () => {
    const text = await readFile(
      new URL('../../../../deploy/collector/tail-sampling.yaml', import.meta.url),
      'utf8',
    );
    const config = parse(text) as {
      processors: { tail_sampling: { policies: { type: string; [k: string]: unknown }[] } };
      service: { pipelines: { traces: { processors: string[] } } };
    };
    const byType = Object.fromEntries(
      config.processors.tail_sampling.policies.map((p) => [p.type, p[p.type]]),
    );
    expect(byType).toEqual({
      status_code: { status_codes: ['ERROR'] },
      latency: { threshold_ms: DEFAULT_TAIL_SAMPLING.latencyMs },
      probabilistic: { sampling_percentage: DEFAULT_TAIL_SAMPLING.keepRatio * 100 },
    });
    expect(config.service.pipelines.traces.processors).toContain('tail_sampling');
  });
});

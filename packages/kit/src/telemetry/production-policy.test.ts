import { context, ROOT_CONTEXT, type Span, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KeepErrorsAndSlowProcessor, productionSampler } from './production-policy.js';

const exporter = new InMemorySpanExporter();
const keeper = new KeepErrorsAndSlowProcessor({
  next: new SimpleSpanProcessor({ exporter }),
  slowMs: 500,
  maxTraces: 100,
});
const provider = new TracerProvider({ sampler: productionSampler(0.1), spanProcessors: [keeper] });
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
const tracer = provider.getTracer('test');

afterAll(async () => {
  await provider.shutdown();
  context.disable();
});
beforeEach(() => exporter.reset());

/** A request: a server span with one child, ended in order; `shape` can fail or slow either. */
function request(shape: { childError?: boolean; rootMs?: number; parent?: Span } = {}): string {
  const start = Date.now() - (shape.rootMs ?? 20);
  const parentContext = shape.parent ? trace.setSpan(ROOT_CONTEXT, shape.parent) : ROOT_CONTEXT;
  const root = tracer.startSpan('GET /x', { startTime: start }, parentContext);
  const child = tracer.startSpan(
    'db.transaction',
    { startTime: start + 1 },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  if (shape.childError) child.setStatus({ code: SpanStatusCode.ERROR });
  child.end(start + 5);
  root.end();
  return root.spanContext().traceId;
}

const exportedTraces = () => new Set(exporter.getFinishedSpans().map((s) => s.spanContext().traceId));

describe('the production trace policy', () => {
  it('keeps about 10 % of normal traces, whole', () => {
    for (let i = 0; i < 2000; i++) request();
    const kept = exportedTraces().size;
    // Binomial(2000, 0.1): mean 200, σ ≈ 13.4; these bounds are ±5σ.
    expect(kept).toBeGreaterThan(133);
    expect(kept).toBeLessThan(267);
    expect(exporter.getFinishedSpans()).toHaveLength(kept * 2);
    expect(
      exporter.getFinishedSpans().every((s) => s.attributes['glassbox.sampling.kept'] === undefined),
    ).toBe(true);
    expect(keeper.pendingTraces).toBe(0);
  });

  it('keeps every trace with an error, with all its spans, flagged sampled and saying why', () => {
    const ids = Array.from({ length: 50 }, () => request({ childError: true }));
    expect([...exportedTraces()].sort()).toEqual([...ids].sort());
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(100);
    const notRatioSampled = spans.filter((s) => s.attributes['glassbox.sampling.kept'] === 'error');
    // The ~10 % sampled anyway are exported as they are; the rest say why they were kept.
    expect(notRatioSampled.length).toBeGreaterThan(60);
    expect(notRatioSampled.every((s) => s.spanContext().traceFlags & TraceFlags.SAMPLED)).toBe(true);
  });

  it('keeps every slow trace and drops the rest of the unsampled ones', () => {
    const slow = Array.from({ length: 20 }, () => request({ rootMs: 600 }));
    const kept = exportedTraces();
    for (const id of slow) expect(kept.has(id)).toBe(true);
    exporter.reset();
    const fast = Array.from({ length: 20 }, () => request({ rootMs: 50 }));
    expect(exportedTraces().size).toBeLessThan(fast.length);
  });

  it('records the spans of an unsampled remote parent so an error downstream is kept too', () => {
    const remote = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    request({ parent: remote });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const id = request({ parent: remote, childError: true });
    expect(id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['db.transaction', 'GET /x']);
    // A span that ends after its kept trace's local root follows it.
    const late = tracer.startSpan('after the response', {}, trace.setSpan(ROOT_CONTEXT, remote));
    late.end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('after the response');
  });

  it('drops the late spans of a dropped trace at once, keeping one only when it fails or is slow itself', () => {
    // Fast, error-free requests: about 90 % are dropped when their root ends.
    const roots = Array.from({ length: 40 }, () => {
      const root = tracer.startSpan('GET /x');
      root.end();
      return root;
    });
    const dropped = roots.filter((r) => !(r.spanContext().traceFlags & TraceFlags.SAMPLED));
    expect(dropped.length).toBeGreaterThan(20);
    exporter.reset();
    // Work after the response (an after-commit hook, a publish): its spans end after the local root did.
    for (const root of dropped)
      tracer.startSpan('after the response', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
    expect(keeper.pendingTraces).toBe(0);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    const failing = tracer.startSpan('late failure', {}, trace.setSpan(ROOT_CONTEXT, dropped[0]!));
    failing.setStatus({ code: SpanStatusCode.ERROR });
    failing.end();
    // …and the trace's spans after it follow.
    tracer.startSpan('later still', {}, trace.setSpan(ROOT_CONTEXT, dropped[0]!)).end();
    expect(exporter.getFinishedSpans().map((s) => [s.name, s.attributes['glassbox.sampling.kept']])).toEqual([
      ['late failure', 'error'],
      ['later still', 'error'],
    ]);
    expect(keeper.pendingTraces).toBe(0);
  });

  it('a second local root of a trace still open decides for its own spans', () => {
    const remote = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const parent = trace.setSpan(ROOT_CONTEXT, remote);
    // A request and a delivery of the same trace in one process, overlapping: the request ends first, fine.
    const request = tracer.startSpan('POST /orders', {}, parent);
    const delivery = tracer.startSpan('process order.confirmed', {}, parent);
    request.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    // The delivery's child fails after the request's decision: it waits for the delivery, which keeps it.
    const child = tracer.startSpan('db.transaction', {}, trace.setSpan(ROOT_CONTEXT, delivery));
    child.setStatus({ code: SpanStatusCode.ERROR });
    child.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    delivery.end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'db.transaction',
      'process order.confirmed',
    ]);
    expect(keeper.pendingTraces).toBe(0);
  });

  it('remembers at most maxTraces decisions', () => {
    for (let i = 0; i < 250; i++) request();
    expect(keeper.decidedTraces).toBeLessThanOrEqual(100);
  });

  it('holds at most maxTraces unfinished traces', () => {
    const roots = Array.from({ length: 150 }, () => {
      const root = tracer.startSpan('GET /open');
      tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      return root;
    });
    expect(keeper.pendingTraces).toBeLessThanOrEqual(100);
    for (const r of roots) r.end();
    expect(keeper.pendingTraces).toBe(0);
  });
});

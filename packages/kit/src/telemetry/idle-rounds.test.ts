import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR_WORKER_IDLE, ATTR_WORKER_NAME } from '../worker/periodic-worker.js';
import { DropIdleRoundsProcessor } from './idle-rounds.js';

function setUp(options?: ConstructorParameters<typeof DropIdleRoundsProcessor>[1]) {
  const exporter = new InMemorySpanExporter();
  const ended: string[] = [];
  const started: string[] = [];
  const inner = new SimpleSpanProcessor({ exporter });
  // Records the order in which spans reach the next processor.
  const next: SpanProcessor = {
    onStart: (span, ctx) => {
      started.push(span.name);
      inner.onStart(span, ctx);
    },
    onEnd: (span: ReadableSpan) => {
      ended.push(span.name);
      inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
  const provider = new TracerProvider({ spanProcessors: [new DropIdleRoundsProcessor(next, options)] });
  return { tracer: provider.getTracer('t'), ended, started, provider };
}

/** A worker round as the periodic worker makes it: a root naming its worker, with a child. */
function round(tracer: ReturnType<typeof setUp>['tracer'], name: string, idle: boolean) {
  const root = tracer.startSpan(name, { attributes: { [ATTR_WORKER_NAME]: name } }, ROOT_CONTEXT);
  const child = tracer.startSpan(`${name} query`, {}, trace.setSpan(context.active(), root));
  child.end();
  if (idle) root.setAttribute(ATTR_WORKER_IDLE, true);
  return root;
}

let provider: TracerProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
});

describe('DropIdleRoundsProcessor', () => {
  it("drops every span of an idle round's trace, and passes a busy round's on when it ends", () => {
    const t = setUp();
    provider = t.provider;
    round(t.tracer, 'relay', true).end();
    // The next processor hears nothing of an idle round, not even that it started.
    expect(t.started).toEqual([]);
    const busy = round(t.tracer, 'relay', false);
    // A busy round's spans wait for its root's verdict.
    expect(t.ended).toEqual([]);
    busy.end();
    expect(t.started).toEqual(['relay', 'relay query']);
    expect(t.ended).toEqual(['relay query', 'relay']);
  });

  it('passes any other span straight through, children before their root ends', () => {
    const t = setUp();
    provider = t.provider;
    const request = t.tracer.startSpan('GET /things', {}, ROOT_CONTEXT);
    t.tracer.startSpan('SELECT', {}, trace.setSpan(ROOT_CONTEXT, request)).end();
    expect(t.ended).toEqual(['SELECT']);
    // A span naming a worker but with a parent is not a round.
    const withParent = t.tracer.startSpan(
      'nested',
      { attributes: { [ATTR_WORKER_NAME]: 'x', [ATTR_WORKER_IDLE]: true } },
      trace.setSpan(ROOT_CONTEXT, request),
    );
    withParent.end();
    request.end();
    expect(t.ended).toEqual(['SELECT', 'nested', 'GET /things']);
  });

  it('holds a bounded number of rounds: past it the oldest round’s spans go on as they are', () => {
    const t = setUp({ maxRounds: 2 });
    provider = t.provider;
    const [a, b] = [round(t.tracer, 'a', false), round(t.tracer, 'b', false)];
    round(t.tracer, 'c', false);
    expect(t.ended).toEqual(['a query']);
    a.end();
    b.end();
    expect(t.ended).toEqual(['a query', 'a', 'b query', 'b']);
  });
});

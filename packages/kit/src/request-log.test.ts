/**
 * One log line per request (app.ts): method, route template, status, duration and the trace id, instead of
 * Fastify's "incoming request" + "request completed"; none for probes.
 */
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceApp } from './app.js';
import { captureTelemetry } from './testing/telemetry.js';

// The pino instrumentation (which adds trace_id to every record) must patch pino before logger.ts loads it.
const telemetry = captureTelemetry();
const unregister = registerInstrumentations({
  instrumentations: [
    new PinoInstrumentation({
      logKeys: { traceId: 'trace_id', spanId: 'span_id', traceFlags: 'trace_flags' },
    }),
  ],
});
const { createServiceApp, nameServerSpan } = await import('./app.js');
const { appError } = await import('./errors.js');
const { createLogger } = await import('./logger.js');

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});
let app: ServiceApp;
const tracer = trace.getTracer('test');

beforeAll(async () => {
  app = await createServiceApp({ name: 'unit', logger: createLogger('unit', 'info', {}, sink) });
  app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.get('/boom', async () => {
    throw new Error('kaput');
  });
  app.get('/missing', async () => {
    throw appError('NOT_FOUND', 'no such thing');
  });
  app.get('/proxy/*', async (request) => {
    nameServerSpan(request.method, '/orders/:id', request);
    return {};
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  unregister();
  await telemetry.shutdown();
});
beforeEach(() => {
  lines.length = 0;
});

/** The request as a traced server would run it: inside an active span. */
function traced(url: string) {
  return tracer.startActiveSpan('server', async (span) => {
    try {
      return { res: await app.inject({ method: 'GET', url }), traceId: span.spanContext().traceId };
    } finally {
      span.end();
    }
  });
}

describe('the request log line', () => {
  it('is one line per request with method, route template, status, duration and trace id', async () => {
    const { res, traceId } = await traced('/orders/o-123?x=1');
    expect(res.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 'info',
      service: 'unit',
      method: 'GET',
      route: '/orders/:id',
      status: 200,
      trace_id: traceId,
      msg: expect.stringMatching(/^GET \/orders\/:id 200 [\d.]+ ms$/),
    });
    expect(line?.duration_ms).toEqual(expect.any(Number));
    expect(line?.request_id).toBe(res.headers['x-request-id']);
    expect(JSON.stringify(lines)).not.toContain('o-123');
  });

  it('logs a server error at error level (after the failure itself) and a client error at info', async () => {
    await traced('/boom');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'request failed'],
      ['error', expect.stringMatching(/^GET \/boom 500 /)],
    ]);
    lines.length = 0;
    await traced('/missing');
    expect(lines.filter((l) => l.route === '/missing').map((l) => [l.level, l.status])).toEqual([
      ['info', 404],
    ]);
  });

  it('names the template a handler resolved, and says "unmatched" for no route', async () => {
    await traced('/proxy/orders/o-9');
    await traced('/nowhere');
    expect(lines.filter((l) => l.method).map((l) => [l.route, l.status])).toEqual([
      ['/orders/:id', 200],
      ['unmatched', 404],
    ]);
  });

  it('does not log probes', async () => {
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/metrics' });
    expect(lines).toEqual([]);
  });
});

import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryStore } from '../store/telemetry-store.js';
import { queryRoutes } from './routes.js';
import { fixtureStore, logRow, T0, TRACE } from './test-fixture.js';
import type { LogRecord } from './types.js';

let store: TelemetryStore;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  store = await fixtureStore();
  app = Fastify();
  await app.register(queryRoutes, {
    prefix: '/api',
    store,
    tail: { pollMs: 50, heartbeatMs: 200, maxTails: 2 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
  await store.close();
});

interface Tail {
  status: number;
  headers: IncomingMessage['headers'];
  records: LogRecord[];
  raw: () => string;
  waitFor: (pred: () => boolean, ms?: number) => Promise<void>;
  ended: Promise<void>;
  close: () => void;
}

/** Opens an SSE stream and collects its `data:` events. */
function openTail(path: string): Promise<Tail> {
  return new Promise((resolve, reject) => {
    let text = '';
    const records: LogRecord[] = [];
    let req: ClientRequest | undefined;
    req = request(`${base}${path}`, { headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      let pending = '';
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => {
        endedResolve = r;
      });
      res.on('data', (chunk: string) => {
        text += chunk;
        pending += chunk;
        let sep = pending.indexOf('\n\n');
        while (sep >= 0) {
          const event = pending.slice(0, sep);
          pending = pending.slice(sep + 2);
          for (const line of event.split('\n')) {
            if (line.startsWith('data: ')) records.push(JSON.parse(line.slice(6)) as LogRecord);
          }
          sep = pending.indexOf('\n\n');
        }
      });
      res.on('end', endedResolve);
      res.on('close', endedResolve);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        records,
        raw: () => text,
        ended,
        close: () => req?.destroy(),
        waitFor: async (pred, ms = 5000) => {
          const until = Date.now() + ms;
          while (!pred()) {
            if (Date.now() > until) throw new Error(`timed out; stream so far:\n${text}`);
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a tail once a slot is free: the server frees one when it sees the client's connection close. */
async function openWhenFree(path: string): Promise<Tail> {
  let opened: Tail | undefined;
  await expect
    .poll(
      async () => {
        const tail = await openTail(path);
        if (tail.status === 200) opened = tail;
        else await tail.ended;
        return tail.status;
      },
      { timeout: 5_000, interval: 20 },
    )
    .toBe(200);
  return opened as Tail;
}

describe('GET /api/logs/tail (SSE)', () => {
  it('streams only records stored after it connected that match the filters', async () => {
    const tail = await openTail('/api/logs/tail?service=order&severity=warn');
    expect(tail.status).toBe(200);
    expect(tail.headers['content-type']).toContain('text/event-stream');
    await tail.waitFor(() => tail.raw().includes(': tail started'));
    // The fixture's existing ERROR log of `order` matches too: it must never show up (checked below, since the
    // records arrive in the order they were stored).

    await store.insertLogs([
      logRow({ at: 3_600_000, severity: 17, text: 'ERROR', body: 'wrong service', service: 'payment' }),
      logRow({ at: 3_600_001, severity: 9, text: 'INFO', body: 'too quiet', service: 'order' }),
      logRow({
        at: 3_600_002,
        severity: 17,
        text: 'ERROR',
        body: 'stock reservation failed',
        service: 'order',
        trace: TRACE.C,
      }),
    ]);
    await tail.waitFor(() => tail.records.length >= 1);
    await store.insertLogs([
      logRow({ at: 3_600_003, severity: 13, text: 'WARN', body: 'second batch', service: 'order' }),
    ]);
    await tail.waitFor(() => tail.records.length >= 2);
    // Nothing else matched in between: a last record stored after them arrives right after them.
    await store.insertLogs([
      logRow({ at: 3_600_004, severity: 17, text: 'ERROR', body: 'sentinel', service: 'order' }),
    ]);
    await tail.waitFor(() => tail.records.some((r) => r.body === 'sentinel'));

    expect(tail.records.map((r) => r.body)).toEqual(['stock reservation failed', 'second batch', 'sentinel']);
    expect(tail.records[0]).toMatchObject({
      timeMs: T0 + 3_600_002,
      timeUnixNano: `${T0 + 3_600_002}000000`,
      severityNumber: 17,
      service: 'order',
      traceId: TRACE.C,
    });
    await tail.waitFor(() => tail.raw().includes(': ping'));
    tail.close();
  });

  it('frees its slot when the client disconnects, and refuses tails beyond the limit with 429', async () => {
    const first = await openTail('/api/logs/tail');
    const second = await openTail('/api/logs/tail?q=anything');
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openTail('/api/logs/tail');
    expect(third.status).toBe(429);
    expect(third.headers['content-type']).toContain('application/problem+json');
    await third.ended;
    expect(JSON.parse(third.raw())).toMatchObject({ status: 429, code: 'TOO_MANY_TAILS' });

    first.close();
    const again = await openWhenFree('/api/logs/tail');
    expect(again.status).toBe(200);
    again.close();
    second.close();
    await Promise.all([again.ended, second.ended]);
  });

  it('rejects bad filters with 400 before streaming', async () => {
    const bad = await openTail('/api/logs/tail?severity=loud');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    await bad.ended;
  });

  it('ends open tails when the server closes', async () => {
    const tail = await openWhenFree('/api/logs/tail');
    await tail.waitFor(() => tail.raw().includes(': tail started'));
    const closing = app.close();
    await tail.ended;
    await closing;
  });
});

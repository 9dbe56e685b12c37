import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAULT_CATALOGUE, type Fault, type FaultKind, faultFlagDocument } from '@glassbox/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServiceApp, type ServiceApp } from '../app.js';
import type { Bus } from '../bus/types.js';
import { createHttpClient } from '../http-client.js';
import { createLogger } from '../logger.js';
import { captureTelemetry, inActiveTrace } from '../testing/index.js';
import { withBrokerStall } from './bus.js';
import { startFaultFlags } from './flags.js';
import { setExitForTests, startProcessFaults } from './process.js';
import { leakedBytes } from './request.js';
import { activeFaults, setActiveFaults } from './state.js';

const logger = createLogger('unit', 'silent');
let n = 0;
function fault(kind: FaultKind, extra: Partial<Fault> = {}): Fault {
  const defaults = Object.fromEntries(
    Object.entries(FAULT_CATALOGUE[kind].params).map(([k, spec]) => [k, spec.default]),
  );
  return {
    id: `f-${++n}`,
    kind,
    service: 'unit',
    params: { ...defaults, ...(extra.params ?? {}) },
    startedAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    endedAt: null,
    by: 'test',
    ...extra,
  } as Fault;
}

async function waitFor(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

afterEach(() => setActiveFaults([]));

describe('fault flags through OpenFeature and flagd (in-process, file)', () => {
  it('reads the faults targeted at this service, and follows the file as it changes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gb-faults-'));
    const file = path.join(dir, 'flags.json');
    const mine = fault('latency', { params: { ms: 50, jitterMs: 0, rate: 1 } });
    const theirs = fault('error', { service: 'other' });
    await writeFile(file, JSON.stringify(faultFlagDocument([mine, theirs])));
    const flags = await startFaultFlags('unit', logger, file);
    try {
      expect(activeFaults('latency').map((f) => f.id)).toEqual([mine.id]);
      expect(activeFaults('error')).toEqual([]);
      await writeFile(file, JSON.stringify(faultFlagDocument([])));
      await waitFor(() => activeFaults('latency').length === 0);
    } finally {
      await flags?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads OpenFeature only once the file targets this service', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gb-faults-'));
    const file = path.join(dir, 'flags.json');
    await writeFile(file, JSON.stringify(faultFlagDocument([fault('error', { service: 'other' })])));
    const flags = await startFaultFlags('unit', logger, file);
    try {
      expect(flags?.loaded).toBe(false);
      expect(activeFaults('error')).toEqual([]);
      const mine = fault('error');
      await writeFile(file, JSON.stringify(faultFlagDocument([mine])));
      await waitFor(() => activeFaults('error').length === 1);
      expect(flags?.loaded).toBe(true);
    } finally {
      await flags?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads nothing without a flag file', async () => {
    expect(await startFaultFlags('unit', logger, undefined)).toBeUndefined();
  });
});

describe('the request seam', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    app = await createServiceApp({ name: 'unit', logger });
    app.get('/things/:id', async () => ({ ok: true }));
    app.get('/other', async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(() => app.close());

  const timed = async (url: string) => {
    const t0 = performance.now();
    const res = await app.inject({ url });
    return { status: res.statusCode, ms: performance.now() - t0, res };
  };

  it('latency delays requests of the route only, never the probes, and stops when cleared', async () => {
    setActiveFaults([fault('latency', { route: '/things/:id', params: { ms: 300, jitterMs: 0, rate: 1 } })]);
    expect((await timed('/things/1')).ms).toBeGreaterThanOrEqual(290);
    expect((await timed('/other')).ms).toBeLessThan(250);
    expect((await timed('/healthz')).ms).toBeLessThan(250);
    setActiveFaults([]);
    expect((await timed('/things/1')).ms).toBeLessThan(250);
  });

  it('error answers the given 5xx as problem+json at the rate, and nothing once ended', async () => {
    setActiveFaults([fault('error', { params: { rate: 1, status: 503 } })]);
    const { status, res } = await timed('/other');
    expect(status).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'FAULT_INJECTED', status: 503 });
    expect((await timed('/healthz')).status).toBe(200);
    setActiveFaults([fault('error', { endsAt: new Date(Date.now() - 1).toISOString() })]);
    expect((await timed('/other')).status).toBe(200);
  });

  it('error at rate 0.5 fails about half', async () => {
    setActiveFaults([fault('error', { params: { rate: 0.5, status: 500 } })]);
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await timed('/other')).status === 500) failed++;
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('hang never answers while /healthz still does; the hung request gets a 503 at shutdown', async () => {
    const own = await createServiceApp({ name: 'unit', logger });
    own.get('/other', async () => ({ ok: true }));
    setActiveFaults([fault('hang')]);
    let answered = false;
    const pending = own.inject({ url: '/other' }).then((r) => {
      answered = true;
      return r;
    });
    await sleep(300);
    expect(answered).toBe(false);
    expect((await own.inject({ url: '/healthz' })).statusCode).toBe(200);
    await own.close();
    expect((await pending).statusCode).toBe(503);
  });

  it('hang is process-scoped: a fault injected before this process started does not apply', async () => {
    setActiveFaults([
      fault('hang', { startedAt: new Date(Date.now() - 3_600_000 * 24 * 365).toISOString() }),
    ]);
    expect((await timed('/other')).status).toBe(200);
  });

  it('event-loop-block stalls everything else in the process', async () => {
    setActiveFaults([fault('event-loop-block', { params: { ms: 300, rate: 1 } })]);
    const t0 = performance.now();
    let timerLate = 0;
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        timerLate = performance.now() - t0;
        resolve();
      }, 10),
    );
    await app.inject({ url: '/other' });
    await timer;
    expect(timerLate).toBeGreaterThanOrEqual(290);
  });

  it('memory-leak retains kb per request', async () => {
    setActiveFaults([fault('memory-leak', { params: { kb: 256 } })]);
    const before = leakedBytes();
    for (let i = 0; i < 4; i++) await app.inject({ url: '/other' });
    expect(leakedBytes() - before).toBe(4 * 256 * 1024);
    setActiveFaults([]);
    await app.inject({ url: '/other' });
    expect(leakedBytes() - before).toBe(4 * 256 * 1024);
  });
});

describe('the process seam', () => {
  it('crash exits once; a crash injected before this process started does not', async () => {
    const exits: number[] = [];
    const restore = setExitForTests((code) => exits.push(code));
    const stop = startProcessFaults(logger);
    try {
      setActiveFaults([fault('crash', { startedAt: new Date(0).toISOString() })]);
      await sleep(100);
      expect(exits).toEqual([]);
      setActiveFaults([fault('crash')]);
      await waitFor(() => exits.length === 1);
      expect(exits).toEqual([1]);
    } finally {
      stop();
      restore();
    }
  });

  it('crash-loop exits ms after it appears, not when cleared in time', async () => {
    const exits: number[] = [];
    const restore = setExitForTests((code) => exits.push(code));
    const stop = startProcessFaults(logger);
    try {
      const t0 = Date.now();
      setActiveFaults([fault('crash-loop', { params: { ms: 300 } })]);
      await waitFor(() => exits.length === 1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    } finally {
      stop();
      restore();
    }
    const exits2: number[] = [];
    const restore2 = setExitForTests((code) => exits2.push(code));
    const stop2 = startProcessFaults(logger);
    try {
      setActiveFaults([fault('crash-loop', { params: { ms: 400 } })]);
      await sleep(100);
      setActiveFaults([]);
      await sleep(600);
      expect(exits2).toEqual([]);
    } finally {
      stop2();
      restore2();
    }
  });

  it('cpu-burn takes about its share of a core, and stops when cleared', async () => {
    const stop = startProcessFaults(logger);
    const cpu = async () => {
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      await sleep(1_000);
      const u = process.cpuUsage(u0);
      return (u.user + u.system) / 1000 / (performance.now() - t0);
    };
    try {
      setActiveFaults([fault('cpu-burn', { params: { rate: 0.6 } })]);
      // The machine may be shared: what this process gets is compared with what it takes idle.
      const burning = await cpu();
      setActiveFaults([]);
      const idle = await cpu();
      expect(burning).toBeGreaterThan(0.08);
      expect(burning).toBeGreaterThan(idle * 3);
    } finally {
      stop();
    }
  });
});

describe('the HTTP client seam', () => {
  let server: http.Server;
  let hits = 0;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('dependency-error answers for the one dependency, marking the span; others are called', async () => {
    const telemetry = captureTelemetry();
    try {
      const inventory = createHttpClient({ name: 'inventory', baseUrl: base, retries: 1, backoffMs: 1 });
      const catalog = createHttpClient({ name: 'catalog', baseUrl: base });
      const f = fault('dependency-error', { dependency: 'inventory', params: { rate: 1, status: 503 } });
      setActiveFaults([f]);
      hits = 0;
      await inActiveTrace(async () => {
        const res = await inventory.request({ path: '/x', retry: false });
        expect(res.status).toBe(503);
      });
      await expect(inventory.json({ path: '/x' })).rejects.toMatchObject({ upstreamStatus: 503 });
      expect(hits).toBe(0);
      expect((await catalog.request({ path: '/x' })).status).toBe(200);
      expect(hits).toBe(1);
      expect(telemetry.spans().some((s) => s.attributes['glassbox.fault.id'] === f.id)).toBe(true);
      setActiveFaults([]);
      expect((await inventory.request({ path: '/x' })).status).toBe(200);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('dependency-latency delays calls to the one dependency', async () => {
    const inventory = createHttpClient({ name: 'inventory', baseUrl: base });
    const catalog = createHttpClient({ name: 'catalog', baseUrl: base });
    setActiveFaults([
      fault('dependency-latency', { dependency: 'inventory', params: { ms: 300, jitterMs: 0, rate: 1 } }),
    ]);
    let t0 = performance.now();
    await inventory.request({ path: '/x' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    t0 = performance.now();
    await catalog.request({ path: '/x' });
    expect(performance.now() - t0).toBeLessThan(250);
  });
});

describe('the bus seam', () => {
  it('broker-stall holds publishes until the fault ends, then they go out', async () => {
    const published: string[] = [];
    const inner = {
      async publish(events: readonly { id: string }[]) {
        published.push(...events.map((e) => e.id));
      },
    } as unknown as Bus;
    const bus = withBrokerStall(inner);
    setActiveFaults([fault('broker-stall')]);
    let done = false;
    const pending = bus.publish([{ id: 'e1' }] as never).then(() => {
      done = true;
    });
    await sleep(200);
    expect(done).toBe(false);
    expect(published).toEqual([]);
    setActiveFaults([]);
    await pending;
    expect(published).toEqual(['e1']);
  });
});

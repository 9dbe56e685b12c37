import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Fault, faultFlagKey } from '@glassbox/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlServer } from '../control.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { until } from '../test-support.js';
import { FaultManager } from './manager.js';

let dir: string;
let observatory: http.Server;
const recorded: Fault[] = [];
let manager: FaultManager;

const flagOf = (kind: string) => {
  const doc = JSON.parse(fs.readFileSync(manager.file, 'utf8')) as {
    flags: Record<string, { variants: Record<string, { faults: Fault[] }> }>;
  };
  return doc.flags[faultFlagKey(kind as never)]?.variants ?? {};
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-faults-'));
  observatory = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/faults') recorded.push(JSON.parse(body) as Fault);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => observatory.listen(0, '127.0.0.1', r));
  manager = new FaultManager({
    file: path.join(dir, 'flags.json'),
    services: ['order', 'inventory'],
    dependenciesOf: (s) => (s === 'order' ? ['inventory'] : []),
    observatoryUrl: `http://127.0.0.1:${(observatory.address() as AddressInfo).port}`,
  });
  await manager.init();
});

afterAll(async () => {
  manager.close();
  await new Promise<void>((r) => observatory.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('FaultManager', () => {
  it('writes the fault into the flag file, records it, and ends it on time', async () => {
    const { fault } = await manager.inject({
      kind: 'latency',
      service: 'order',
      ms: 100,
      forMs: 1_000,
      by: 't',
    });
    expect(fault).toBeDefined();
    expect(flagOf('latency').order?.faults.map((f) => f.id)).toEqual([fault?.id]);
    expect(recorded.at(-1)).toMatchObject({ id: fault?.id, endedAt: null, by: 't' });
    await until(() => recorded.some((r) => r.id === fault?.id && r.endedAt !== null), 5_000, 'the end');
    expect(flagOf('latency').order).toBeUndefined();
    expect(manager.get(fault?.id ?? '')?.endedAt).not.toBeNull();
    expect(manager.get(fault?.id ?? '')?.endedBy).toBe('expired');
  });

  it('rolls back only the faults that model a bad release, recording who ended them', async () => {
    const loop = (await manager.inject({ kind: 'crash-loop', service: 'order', ms: 60_000, by: 't' })).fault;
    const leak = (await manager.inject({ kind: 'memory-leak', service: 'order', by: 't' })).fault;
    const other = (await manager.inject({ kind: 'crash-loop', service: 'inventory', ms: 60_000, by: 't' }))
      .fault;
    try {
      // Nothing marked bad on a service that only leaks: nothing is rolled back, the leak stays.
      await manager.clear(loop?.id, 'cli');
      expect(await manager.rollback('order', 'healer')).toEqual([]);
      expect(manager.get(leak?.id ?? '')?.endedAt).toBeNull();

      const again = (await manager.inject({ kind: 'crash-loop', service: 'order', ms: 60_000, by: 't' }))
        .fault;
      const rolledBack = await manager.rollback('order', 'healer');
      expect(rolledBack.map((f) => [f.id, f.endedBy])).toEqual([[again?.id, 'healer']]);
      expect(flagOf('crash-loop').order).toBeUndefined();
      // The leak on the same service and the bad release of another service are untouched.
      expect(manager.get(leak?.id ?? '')?.endedAt).toBeNull();
      expect(flagOf('crash-loop').inventory?.faults.map((f) => f.id)).toEqual([other?.id]);
      expect(manager.get(loop?.id ?? '')?.endedBy).toBe('cli');
      expect(recorded.findLast((r) => r.id === again?.id)).toMatchObject({ endedBy: 'healer' });
    } finally {
      await manager.clear(undefined, 't');
    }
  });

  it('injects nothing on bad input', async () => {
    const before = fs.readFileSync(manager.file, 'utf8');
    const { fault, problems } = await manager.inject({ kind: 'latency', service: 'order', rate: 2 });
    expect(fault).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual(['rate']);
    expect(fs.readFileSync(manager.file, 'utf8')).toBe(before);
  });
});

describe('control API /faults', () => {
  it('POST injects (201), refuses bad input with 400 problem+json naming the values, DELETE clears', async () => {
    const supervisor = new Supervisor([], { onLog: () => undefined });
    const control = await startControlServer(supervisor, { port: 0, faults: manager });
    try {
      const post = (body: string) =>
        fetch(`${control.url}/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
      const bad = await post(JSON.stringify({ kind: 'melt', service: 'order' }));
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(((await bad.json()) as { detail: string }).detail).toContain('"melt"');
      const notJson = await post('{');
      expect(notJson.status).toBe(400);
      const ok = await post(
        JSON.stringify({ kind: 'dependency-error', service: 'order', dependency: 'inventory' }),
      );
      expect(ok.status).toBe(201);
      const { fault } = (await ok.json()) as { fault: Fault };
      const listed = (await (await fetch(`${control.url}/faults`)).json()) as { faults: Fault[] };
      expect(listed.faults[0]?.id).toBe(fault.id);
      expect((await fetch(`${control.url}/faults/nope`, { method: 'DELETE' })).status).toBe(404);
      const cleared = (await (await fetch(`${control.url}/faults`, { method: 'DELETE' })).json()) as {
        cleared: Fault[];
      };
      expect(cleared.cleared.map((f) => f.id)).toEqual([fault.id]);
      expect(cleared.cleared[0]?.endedBy).toBe('unknown');
      expect(flagOf('dependency-error').order).toBeUndefined();
      const byDrill = (await (await post(JSON.stringify({ kind: 'error', service: 'order' }))).json()) as {
        fault: Fault;
      };
      expect(
        (await fetch(`${control.url}/faults/${byDrill.fault.id}?by=no%20name`, { method: 'DELETE' })).status,
      ).toBe(400);
      const clearedBy = (await (
        await fetch(`${control.url}/faults/${byDrill.fault.id}?by=drill`, { method: 'DELETE' })
      ).json()) as { cleared: Fault[] };
      expect(clearedBy.cleared.map((f) => f.endedBy)).toEqual(['drill']);
    } finally {
      await control.close();
    }
  });
});

describe('control API rollback', () => {
  it('POST /services/:name/rollback ends a bad release and starts the service; 409 when there is none', async () => {
    const supervisor = new Supervisor(
      [
        {
          name: 'order',
          command: process.execPath,
          args: ['-e', 'setInterval(() => {}, 1000)'],
          cwd: os.tmpdir(),
          env: process.env,
          port: 0,
          // Never ready (nothing listens there): the test only looks at whether it was started.
          readyUrl: 'http://127.0.0.1:9/',
          startStage: 0,
          stopStage: 0,
          stopTimeoutMs: 1_000,
        },
      ],
      { onLog: () => undefined },
    );
    const control = await startControlServer(supervisor, { port: 0, faults: manager });
    const rollback = (by = 'healer') =>
      fetch(`${control.url}/services/order/rollback?by=${by}`, { method: 'POST' });
    try {
      // Not a bad release: a leak is not rolled back, the service is not touched.
      const leak = (await manager.inject({ kind: 'memory-leak', service: 'order', by: 't' })).fault;
      const refused = await rollback();
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({ code: 'NOTHING_TO_ROLL_BACK' });
      expect(manager.get(leak?.id ?? '')?.endedAt).toBeNull();
      expect(supervisor.get('order')?.info().state).toBe('stopped');

      expect((await rollback('bad%20name')).status).toBe(400);

      const loop = (await manager.inject({ kind: 'crash-loop', service: 'order', by: 't' })).fault;
      const ok = await rollback();
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { rolledBack: Fault[]; service: { state: string } };
      expect(body.rolledBack.map((f) => [f.id, f.endedBy])).toEqual([[loop?.id, 'healer']]);
      // The process was stopped: the rollback started the good release.
      expect(body.service.state).not.toBe('stopped');
      expect(manager.get(leak?.id ?? '')?.endedAt).toBeNull();
      expect((await rollback()).status).toBe(409);
    } finally {
      await manager.clear(undefined, 't');
      await supervisor.shutdown();
      await control.close();
    }
  });
});

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
      expect(flagOf('dependency-error').order).toBeUndefined();
    } finally {
      await control.close();
    }
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Fault } from '@glassbox/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningObservatory, startTestObservatory } from '../ingest/testing.js';

let obs: RunningObservatory;
let base = '';
beforeAll(async () => {
  obs = await startTestObservatory();
  base = `http://127.0.0.1:${obs.ports.port}`;
});
afterAll(() => obs.close());

const now = Date.now();
const fault: Fault = {
  id: 'f-1',
  kind: 'latency',
  service: 'order',
  route: '/api/v1/orders',
  params: { ms: 500, jitterMs: 0, rate: 1 },
  startedAt: new Date(now - 60_000).toISOString(),
  endsAt: new Date(now + 240_000).toISOString(),
  endedAt: null,
  by: 'test',
};
const post = (body: unknown) =>
  fetch(`${base}/api/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('/api/faults', () => {
  it('records a fault and its end, and lists what was in effect in a range', async () => {
    expect((await post(fault)).status).toBe(204);
    let listed = (await (await fetch(`${base}/api/faults`)).json()) as { faults: Fault[] };
    expect(listed.faults).toEqual([fault]);
    // Who ended it is ground truth too (the healer's rollback, a drill, the CLI, expiry).
    const ended = { ...fault, endedAt: new Date(now - 30_000).toISOString(), endedBy: 'healer' };
    expect((await post(ended)).status).toBe(204);
    listed = (await (await fetch(`${base}/api/faults`)).json()) as { faults: Fault[] };
    expect(listed.faults).toEqual([ended]);
    const before = (await (await fetch(`${base}/api/faults?start=${now - 20_000}&end=${now}`)).json()) as {
      faults: Fault[];
    };
    expect(before.faults).toEqual([]);
  });

  it('refuses a malformed record with 400 problem+json naming the member', async () => {
    const res = await post({ ...fault, kind: 'meteor', startedAt: 'yesterday', endedBy: 'a b' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(['body/kind', 'body/startedAt', 'body/endedBy']);
  });

  it('exports the faults of a range as Parquet', async () => {
    const res = await fetch(`${base}/api/faults/export/faults.parquet?start=${now - 120_000}&end=${now}`);
    expect(res.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'gb-parquet-'));
    try {
      const file = join(dir, 'faults.parquet');
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      expect(readFileSync(file).subarray(0, 4).toString()).toBe('PAR1');
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      const rows = (await duck.runAndReadAll(`SELECT id, kind, service FROM '${file}'`)).getRowObjectsJS();
      duck.closeSync();
      expect(rows).toEqual([{ id: 'f-1', kind: 'latency', service: 'order' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await fetch(`${base}/api/faults/export/secrets.parquet?start=0&end=1`)).status).toBe(404);
  });
});

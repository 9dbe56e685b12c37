import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Fault } from '@glassbox/contracts';
import { activeFaults, createLogger, setActiveFaults, startFaultFlags } from '@glassbox/kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRequest, kubeConfigFor, standInApiServer } from '../../../test/support/kubernetes.js';
import { configMapStore } from './configmap-store.js';
import { clearInStore, faultsInDocument, fileStore, injectIntoStore, listInStore } from './flag-store.js';

const BIN = fileURLToPath(new URL('../../bin/glassbox.ts', import.meta.url));
const chaos = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'chaos', ...args], { encoding: 'utf8' });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gb-flag-store-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => setActiveFaults([]));

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('glassbox chaos on a flagd flag file (docker compose)', () => {
  it('injects a fault a service reads through flagd, lists it, and clears it', async () => {
    const file = path.join(dir, 'compose.flagd.json');
    const injected = chaos(
      'inject',
      'latency',
      '--service',
      'catalog',
      '--ms',
      '250',
      '--for',
      '2m',
      '--flags-file',
      file,
      '--json',
    );
    expect(injected.stderr).toContain(`wrote ${file}`);
    expect(injected.status).toBe(0);
    const { fault } = JSON.parse(injected.stdout) as { fault: Fault };
    expect(fault).toMatchObject({ kind: 'latency', service: 'catalog', by: 'cli', endedAt: null });
    expect(fault.params.ms).toBe(250);
    expect(Date.parse(fault.endsAt) - Date.parse(fault.startedAt)).toBe(120_000);
    // Written in place: compose bind-mounts this one file into flagd, and a bind mount keeps its inode.
    const inode = (await stat(file)).ino;

    // The service side reads it as a service does, through OpenFeature's flagd provider (in-process).
    const flags = await startFaultFlags('catalog', createLogger('catalog', 'silent'), file);
    try {
      await waitFor(() => activeFaults('latency').length === 1);
      expect(activeFaults('latency')[0]?.id).toBe(fault.id);

      const listed = chaos('list', '--flags-file', file);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain(fault.id);
      expect(listed.stdout).toContain(`until ${fault.endsAt}`);

      const cleared = chaos('clear', fault.id, '--by', 'tester', '--flags-file', file);
      expect(cleared.status).toBe(0);
      expect(cleared.stdout).toBe(`cleared latency ${fault.id}\n`);
      await waitFor(() => activeFaults('latency').length === 0);
      expect(faultsInDocument(await readFile(file, 'utf8'), file)).toEqual([]);
      expect((await stat(file)).ino).toBe(inode);
      // A fault that is not there: said, exit 1.
      const again = chaos('clear', fault.id, '--flags-file', file);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain(`no active fault ${fault.id} in ${file}`);
    } finally {
      await flags?.close();
    }
  });

  it('bad input exits 2 naming the value and leaves the file as it was', async () => {
    const file = path.join(dir, 'untouched.flagd.json');
    await writeFile(file, 'as it was');
    for (const [args, expected] of [
      [['inject', 'latency', '--service', 'billing'], '"billing"'],
      [['inject', 'latency', '--service', 'order', '--ms', '999999'], '999999 is out of range'],
      [['inject', 'dependency-error', '--service', 'catalog', '--dependency', 'payment'], '"payment"'],
    ] as const) {
      const run = chaos(...args, '--flags-file', file);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(expected);
    }
    const both = chaos('list', '--flags-file', file, '--kubernetes');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('not both');
    expect(await readFile(file, 'utf8')).toBe('as it was');
  });

  it('keeps the live faults of others, drops the expired ones, and lists those as ended', async () => {
    const store = fileStore(path.join(dir, 'mixed.flagd.json'));
    const t0 = Date.parse('2026-12-06T08:00:00.000Z');
    const short = await injectIntoStore(store, { kind: 'error', service: 'order', forMs: 1_000 }, t0);
    const long = await injectIntoStore(
      store,
      { kind: 'dependency-error', service: 'order', dependency: 'payment', forMs: 60_000 },
      t0,
    );
    expect(short.problems).toEqual([]);
    expect(long.fault?.dependency).toBe('payment');
    const listed = await listInStore(store, t0 + 5_000);
    expect(listed.map((f) => [f.kind, f.endedAt === null ? 'active' : f.endedBy])).toEqual(
      expect.arrayContaining([
        ['error', 'expired'],
        ['dependency-error', 'active'],
      ]),
    );
    // The next change writes only what is live: the expired fault is gone, the other stays.
    const third = await injectIntoStore(
      store,
      { kind: 'hang', service: 'catalog', forMs: 60_000 },
      t0 + 5_000,
    );
    const kept = faultsInDocument((await store.read()).text, store.where).map((f) => f.id);
    expect(kept.sort()).toEqual([long.fault?.id, third.fault?.id].sort());
    const cleared = await clearInStore(store, undefined, 'tester', t0 + 6_000);
    expect(cleared.map((f) => f.endedBy)).toEqual(['tester', 'tester']);
    expect(faultsInDocument((await store.read()).text, store.where)).toEqual([]);
  });

  it('refuses a file that is not a flag document, naming it', async () => {
    const file = path.join(dir, 'not-flags.json');
    await writeFile(file, '{"hello": 1}');
    await expect(listInStore(fileStore(file))).rejects.toThrow(`${file} is not a flagd flag document`);
  });
});

describe('the glassbox-faults ConfigMap (Kubernetes)', () => {
  let api: Awaited<ReturnType<typeof standInApiServer>>;
  const seen: ApiRequest[] = [];
  /** The ConfigMap as the API server holds it; a PUT with an older resourceVersion gets 409. */
  let held: {
    metadata: { resourceVersion: string } & Record<string, string>;
    data: Record<string, string>;
  } & Record<string, unknown>;
  /** Once: another writer changes the ConfigMap between our read and our write. */
  let interleave: (() => void) | undefined;

  beforeAll(async () => {
    api = await standInApiServer((req) => {
      seen.push(req);
      if (!req.url.startsWith('/api/v1/namespaces/glassbox-dev/configmaps/glassbox-faults')) {
        return { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound' } };
      }
      const body = req.body as typeof held | null;
      if (req.method === 'PUT' && body) {
        interleave?.();
        interleave = undefined;
        if (body.metadata.resourceVersion !== held.metadata.resourceVersion) {
          return { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict' } };
        }
        held = {
          ...body,
          metadata: { ...body.metadata, resourceVersion: String(Number(held.metadata.resourceVersion) + 1) },
        };
      }
      return { status: 200, body: held };
    });
  });
  afterAll(() => api.close());

  const kubeConfig = () => kubeConfigFor(api.url, 'tok');

  it('replaces the ConfigMap with the resourceVersion it read; a concurrent change is read again, not lost', async () => {
    held = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'glassbox-faults', namespace: 'glassbox-dev', resourceVersion: '41' },
      data: { 'faults.flagd.json': '{"flags":{}}', 'other.json': 'kept' },
    };
    const store = await configMapStore({ kubeConfig: kubeConfig(), namespace: 'glassbox-dev' });
    const theirs = await injectIntoStore(fileStore(path.join(dir, 'theirs.json')), {
      kind: 'error',
      service: 'payment',
    });
    // Someone else writes a fault between our read and our write.
    interleave = () => {
      held = {
        ...held,
        metadata: { ...held.metadata, resourceVersion: '42' },
        data: {
          ...held.data,
          'faults.flagd.json': JSON.stringify({
            flags: { x: { variants: { payment: { faults: [theirs.fault] } } } },
          }),
        },
      };
    };
    const mine = await injectIntoStore(store, { kind: 'latency', service: 'catalog', ms: 100 });
    expect(seen.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET', 'PUT']);
    expect(seen[1]?.url).toBe(
      '/api/v1/namespaces/glassbox-dev/configmaps/glassbox-faults?fieldManager=glassbox-chaos',
    );
    expect((seen[1]?.body as typeof held | undefined)?.metadata.resourceVersion).toBe('41');
    expect((seen[3]?.body as typeof held | undefined)?.metadata.resourceVersion).toBe('42');
    const ids = faultsInDocument(held.data['faults.flagd.json'], 'held').map((f) => f.id);
    expect(ids.sort()).toEqual([mine.fault?.id, theirs.fault?.id].sort());
    expect(held.data['other.json']).toBe('kept');
    // A clear that finds nothing writes nothing (no needless change for flagd to pick up).
    seen.length = 0;
    expect(await clearInStore(store, 'no-such-fault', 'tester')).toEqual([]);
    expect(seen.map((r) => r.method)).toEqual(['GET']);
  });

  it('names the ConfigMap that is not there', async () => {
    const store = await configMapStore({ kubeConfig: kubeConfig(), namespace: 'elsewhere' });
    await expect(listInStore(store)).rejects.toThrow(
      'configmap elsewhere/glassbox-faults not found: is Glassbox deployed in namespace elsewhere (deploy/k8s)?',
    );
  });
});

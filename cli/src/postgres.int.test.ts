import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts, portInUse } from './ports.js';
import {
  canConnect,
  databaseUrlFor,
  type EmbeddedPostgres,
  ensureDatabases,
  FALLBACK_PG_ROOT,
  redactUrl,
  startEmbeddedPostgres,
} from './postgres.js';
import { startStack } from './stack.js';
import { groupAlive } from './supervisor/process.js';
import { until } from './test-support.js';

const FIXTURE = fileURLToPath(new URL('../test-fixtures/service.mjs', import.meta.url));
const isRoot = process.getuid?.() === 0;

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-pg-'));
  // mkdtemp makes 0700 directories; PostgreSQL runs as another user when we are root and must get in.
  fs.chmodSync(dir, 0o755);
  return dir;
}

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
});

describe('embedded PostgreSQL', () => {
  it('initialises an empty data directory, serves queries, stops cleanly, and keeps its data', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'pg');
    const [port = 0] = await freePorts(1);
    const logs: string[] = [];
    let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres({
      dataDir,
      port,
      onLog: (l) => logs.push(l),
      postgresFlags: ['-c', 'fsync=off'],
    });
    cleanup.push(async () => {
      await server?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    expect(server.initialised).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    if (isRoot) {
      // PostgreSQL refuses root: the package's createPostgresUser path made `postgres` own the data.
      expect(fs.statSync(dataDir).uid).not.toBe(0);
    }
    const passwordFile = path.join(dir, 'pg-password');
    expect(fs.statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(server.adminUrl).toContain(`127.0.0.1:${port}`);
    expect(redactUrl(server.adminUrl)).not.toContain(fs.readFileSync(passwordFile, 'utf8').trim());

    // Password authentication is on: a wrong password is refused.
    const wrong = new URL(server.adminUrl);
    wrong.password = 'wrong';
    expect(await canConnect(wrong.toString())).toBe(false);

    expect(await ensureDatabases(server.adminUrl, ['glassbox_probe'])).toEqual(['glassbox_probe']);
    expect(await ensureDatabases(server.adminUrl, ['glassbox_probe'])).toEqual([]);
    const client = new pg.Client(databaseUrlFor(server.adminUrl, 'glassbox_probe'));
    await client.connect();
    await client.query('CREATE TABLE kept (id int PRIMARY KEY, note text)');
    await client.query("INSERT INTO kept VALUES (1, 'survives a restart')");
    const { rows } = await client.query<{ db: string; user: string }>(
      'SELECT current_database() AS db, current_user AS user',
    );
    expect(rows[0]).toEqual({ db: 'glassbox_probe', user: 'postgres' });
    await client.end();

    const pid = server.pid;
    await server.stop();
    expect(groupAlive(pid)).toBe(false);
    expect(await portInUse(port)).toBe(false);
    expect(logs.some((l) => l.includes('database system is shut down'))).toBe(true);

    // Second start: no initdb, same password, the data is still there.
    server = await startEmbeddedPostgres({ dataDir, port, postgresFlags: ['-c', 'fsync=off'] });
    expect(server.initialised).toBe(false);
    const again = new pg.Client(databaseUrlFor(server.adminUrl, 'glassbox_probe'));
    await again.connect();
    const kept = await again.query<{ note: string }>('SELECT note FROM kept WHERE id = 1');
    expect(kept.rows[0]?.note).toBe('survives a restart');
    await again.end();
    await server.stop();
    await server.stop(); // idempotent
    server = undefined;
  });

  it.skipIf(!isRoot)(
    'as root, from a directory PostgreSQL cannot enter (mkdtemp, /root), keeps the cluster under /var/lib/glassbox',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-pg-private-')); // 0700, as mkdtemp makes it
      const dataDir = path.join(dir, 'state', 'pg');
      const [port = 0] = await freePorts(1);
      const logs: string[] = [];
      const server = await startEmbeddedPostgres({ dataDir, port, onLog: (l) => logs.push(l) });
      cleanup.push(async () => {
        await server.stop();
        fs.rmSync(server.dataDir, { recursive: true, force: true });
        fs.rmSync(dir, { recursive: true, force: true });
      });
      expect(path.dirname(server.dataDir)).toBe(FALLBACK_PG_ROOT);
      expect(logs.some((l) => l.includes(`cannot enter ${dir}`) && l.includes(server.dataDir))).toBe(true);
      expect(await canConnect(server.adminUrl)).toBe(true);
      // The password stays with the state the caller asked for.
      expect(fs.existsSync(path.join(dir, 'state', 'pg-password'))).toBe(true);
      // The same request finds the same cluster again.
      await server.stop();
      const again = await startEmbeddedPostgres({ dataDir, port });
      expect(again.dataDir).toBe(server.dataDir);
      expect(again.initialised).toBe(false);
      await again.stop();
    },
  );

  it('reports a clear error when the port is taken', async () => {
    const dir = tempDir();
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const address = blocker.address();
    const port = address !== null && typeof address === 'object' ? address.port : 0;
    try {
      await expect(
        startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, startTimeoutMs: 20_000 }),
      ).rejects.toThrow(/PostgreSQL exited during startup/);
    } finally {
      blocker.close();
    }
  });

  it('startStack in embedded mode: services get their databases on the embedded server, all stopped after', async () => {
    const stateDir = tempDir();
    const spawned: number[] = [];
    const stack = await startStack({
      ports: 'auto',
      stateDir,
      services: ['gateway', 'catalog'],
      observatory: false,
      logs: 'silent',
      pgFlags: ['-c', 'fsync=off'],
      command: () => ({ command: process.execPath, args: [FIXTURE] }),
      onEvent: (e) => {
        if (e.type === 'spawn') spawned.push(e.pid);
      },
    });
    cleanup.push(async () => {
      await stack.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    });
    expect(stack.mode).toBe('embedded');
    expect(stack.databaseUrl).toContain(`127.0.0.1:${stack.ports.postgres}`);
    const res = await fetch(`${stack.urls.catalog}/db`);
    expect(await res.json()).toEqual({ db: 'glassbox_catalog' });
    const env = (await (await fetch(`${stack.urls.catalog}/env`)).json()) as { env: Record<string, string> };
    // Without the observatory and without a user endpoint, no OTLP endpoint is invented.
    expect(env.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
    const record = JSON.parse(
      fs.readFileSync(path.join(stateDir, `supervisor-${stack.ports.control}.json`), 'utf8'),
    ) as {
      children: Array<{ name: string; pid: number }>;
    };
    const pgPid = record.children.find((c) => c.name === 'postgres')?.pid ?? 0;
    expect(pgPid).toBeGreaterThan(0);

    // PostgreSQL dies under the services: the supervisor brings it back on the same port and data.
    process.kill(pgPid, 'SIGKILL');
    const readPgPid = (): number => {
      const r = JSON.parse(
        fs.readFileSync(path.join(stateDir, `supervisor-${stack.ports.control}.json`), 'utf8'),
      ) as {
        children: Array<{ name: string; pid: number }>;
      };
      return r.children.find((c) => c.name === 'postgres')?.pid ?? 0;
    };
    await until(() => readPgPid() !== pgPid, 30_000, 'PostgreSQL restarted');
    const newPgPid = readPgPid();
    expect(groupAlive(newPgPid)).toBe(true);
    expect(await canConnect(stack.databaseUrl)).toBe(true);
    const again = await fetch(`${stack.urls.catalog}/db`);
    expect(await again.json()).toEqual({ db: 'glassbox_catalog' });

    await stack.stop();
    for (const pid of [...spawned, pgPid, newPgPid]) expect(groupAlive(pid)).toBe(false);
    expect(await portInUse(stack.ports.postgres)).toBe(false);
  });
});

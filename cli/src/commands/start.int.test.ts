import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { portInUse } from '../ports.js';
import { dropDatabases } from '../postgres.js';
import { SERVICE_NAMES } from '../services.js';
import { listRunRecords, pidAlive } from '../state.js';
import type { ProcessInfo } from '../supervisor/process.js';
import { until } from '../test-support.js';

// `glassbox start` as a user runs it (bin → build when stale → dist/cli/main.js), over the fixture repository root whose
// services/*/src/main.ts and observatory entry are the stand-in fixture service.
const BIN = fileURLToPath(new URL('../../bin/glassbox.ts', import.meta.url));
const FIXTURE_ROOT = fileURLToPath(new URL('../../test-fixtures/root', import.meta.url));
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The ports of a block these tests use: services, console and OTLP, control, the gateway's operational port, PostgreSQL. */
const OFFSETS = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 20, 25, 30];
/** Below Linux's ephemeral range (32768–60999): no outgoing connection of another test takes a port of the block. */
const BLOCKS_END = 32_768 - 64;

async function freeBlock(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    // Each start checks its ports again; a block in the ephemeral range was free at the first start and taken by
    // some connection's local port at the second (CI: "ports already in use: gateway operational 53016").
    const base = 20_000 + Math.floor(Math.random() * (BLOCKS_END - 20_000));
    const busy = await Promise.all(OFFSETS.map((o) => portInUse(base + o)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no free port block');
}

interface Cli {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const clis: Cli[] = [];
const stateDirs: string[] = [];
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cli of clis) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  // A supervisor killed hard leaves PostgreSQL running (and services that fail to notice): reap them from its record.
  for (const dir of stateDirs) {
    for (const child of (await listRunRecords(dir)).flatMap((r) => r.children)) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const fn of cleanup) await fn().catch(() => undefined);
  for (const dir of stateDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempStateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-cli-'));
  fs.chmodSync(dir, 0o755);
  stateDirs.push(dir);
  return dir;
}

function startCli(args: string[], env: Record<string, string | undefined>): Cli {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    cwd: FIXTURE_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cli: Cli = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    ),
  };
  child.stdout?.on('data', (c: Buffer) => {
    cli.stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    cli.stderr += c.toString();
  });
  clis.push(cli);
  return cli;
}

function runCommand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function services(base: number): Promise<ProcessInfo[]> {
  const res = await fetch(`http://127.0.0.1:${base + 20}/services`);
  return ((await res.json()) as { services: ProcessInfo[] }).services;
}

/** The human banner, or with --json-logs the `ready` record. */
async function waitBanner(cli: Cli, marker = 'Glassbox is running', timeoutMs = 90_000): Promise<void> {
  await until(() => cli.stdout.includes(marker) || cli.child.exitCode !== null, timeoutMs, marker);
  if (cli.child.exitCode !== null)
    throw new Error(`glassbox start exited early:\n${cli.stderr}\n${cli.stdout}`);
}

describe('glassbox start (the real command over fixture services)', () => {
  it('connected mode: starts everything, prints the banner and pretty logs, Ctrl-C stops it all and exits 0', async () => {
    const base = await freeBlock();
    const stateDir = tempStateDir();
    const prefix = `gbc_${randomBytes(3).toString('hex')}_`;
    cleanup.push(() =>
      dropDatabases(
        ADMIN_URL,
        SERVICE_NAMES.filter((s) => s !== 'gateway').map((s) => `${prefix}${s}`),
      ),
    );
    const cli = startCli(['--port-base', String(base)], {
      GLASSBOX_ROOT: FIXTURE_ROOT,
      GLASSBOX_STATE_DIR: stateDir,
      DATABASE_URL: ADMIN_URL,
      GLASSBOX_DB_PREFIX: prefix,
    });
    await waitBanner(cli);
    expect(cli.stdout).toContain(`Public API (gateway)   http://127.0.0.1:${base}/api/v1`);
    expect(cli.stdout).toContain(`Console                http://127.0.0.1:${base + 10}`);
    expect(cli.stdout).toContain(`Control API            http://127.0.0.1:${base + 20}/services`);
    expect(cli.stdout).toContain('alice@demo.test');
    expect(cli.stdout).toContain('admin@demo.test');
    expect(cli.stdout).toContain('glassbox-demo');
    // Pretty logs: time, padded source, level, message, fields.
    expect(cli.stdout).toMatch(/\d\d:\d\d:\d\d\.\d{3} gateway\s+INFO\s+listening port=\d+/);

    const list = await services(base);
    expect(list.map((s) => s.name)).toEqual(['observatory', ...SERVICE_NAMES]);
    expect(list.every((s) => s.state === 'ready')).toBe(true);
    const pids = list.map((s) => s.pid ?? 0);

    // The status/service commands talk to this supervisor's control API.
    const control = ['--control', String(base + 20)];
    const status = await runCommand(['status', ...control]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^NAME\s+STATE\s+PID\s+PORT\s+RESTARTS\s+UPTIME/);
    expect(status.stdout).toMatch(/\ncatalog\s+ready\s+\d+\s+\d+\s+0\s+[\d.]+s/);
    const restart = await runCommand(['service', 'restart', 'catalog', '--wait', ...control]);
    expect(restart.code).toBe(0);
    expect(restart.stdout).toMatch(/catalog\s+ready/);
    const bad = await runCommand(['service', 'start', 'catalog', ...control]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/409: cannot start catalog: it is ready/);
    const catalogPid = (await services(base)).find((s) => s.name === 'catalog')?.pid ?? 0;
    expect(catalogPid).not.toBe(pids[SERVICE_NAMES.indexOf('catalog') + 1]);
    pids.push(catalogPid);

    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(cli.stderr).toMatch(/SIGINT: stopping/);
    expect(cli.stderr).toContain('glassbox: stopped');
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(await portInUse(base + 20)).toBe(false);
  }, 180_000);

  it('embedded mode as root: second Ctrl-C forces; a hard-killed supervisor is cleaned up by the next start', async () => {
    const base = await freeBlock();
    const stateDir = tempStateDir();
    cleanup.push(async () => fs.rmSync(stateDir, { recursive: true, force: true }));
    const env = {
      GLASSBOX_ROOT: FIXTURE_ROOT,
      GLASSBOX_STATE_DIR: stateDir,
      DATABASE_URL: undefined,
      GLASSBOX_DB_PREFIX: undefined,
    };
    const args = [
      '--port-base',
      String(base),
      '--services',
      'gateway,catalog',
      '--no-observatory',
      '--json-logs',
    ];

    // 1. Children ignore SIGTERM: the first Ctrl-C waits for the grace period, the second one kills.
    const first = startCli(args, { ...env, FIXTURE_IGNORE_SIGTERM: '1' });
    // --json-logs prints the readiness as a JSON record instead of the banner
    await waitBanner(first, '"msg":"ready"');
    const record = JSON.parse(
      fs.readFileSync(path.join(stateDir, `supervisor-${base + 20}.json`), 'utf8'),
    ) as {
      children: Array<{ name: string; pid: number }>;
    };
    const pgPid = record.children.find((c) => c.name === 'postgres')?.pid ?? 0;
    expect(pgPid).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(stateDir, 'pg', 'PG_VERSION'))).toBe(true);
    // JSON logs: every line on stdout is a JSON object.
    for (const line of first.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    const pids = (await services(base)).map((s) => s.pid ?? 0);
    first.child.kill('SIGINT');
    await until(() => first.stderr.includes('SIGINT: stopping'), 10_000, 'first SIGINT');
    // The second Ctrl-C must land while the graceful stop waits on a child that ignores SIGTERM.
    await expect
      .poll(async () => (await services(base)).find((s) => s.name === 'gateway')?.stopping, {
        timeout: 10_000,
        interval: 25,
      })
      .toBe(true);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    await until(() => [...pids, pgPid].every((p) => !pidAlive(p)), 10_000, 'everything killed');

    // 2. Start again on the same data (no initdb), then kill the supervisor hard: its services stop by themselves
    // (their channel to it closed), PostgreSQL lives on…
    const second = startCli(args, env);
    await waitBanner(second, '"msg":"ready"');
    expect(second.stdout).not.toContain('creating configuration files');
    const orphanPids = (await services(base)).map((s) => s.pid ?? 0);
    const record2 = JSON.parse(
      fs.readFileSync(path.join(stateDir, `supervisor-${base + 20}.json`), 'utf8'),
    ) as {
      children: Array<{ name: string; pid: number }>;
    };
    const orphanPg = record2.children.find((c) => c.name === 'postgres')?.pid ?? 0;
    expect(orphanPids.length).toBeGreaterThan(0);
    second.child.kill('SIGKILL');
    await second.exited;
    await until(
      () => orphanPids.every((p) => !pidAlive(p)),
      10_000,
      'the services stopped with their supervisor',
    );
    expect(pidAlive(orphanPg)).toBe(true);

    // 3. …until the next start reaps it and takes over the same ports and data.
    const third = startCli(args, env);
    await waitBanner(third, '"msg":"ready"');
    expect(third.stdout).toContain(`stopping postgres (pid ${orphanPg}) left over from a previous run`);
    expect(pidAlive(orphanPg)).toBe(false);
    const fresh = await services(base);
    expect(fresh.every((s) => s.state === 'ready')).toBe(true);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(await portInUse(base + 30)).toBe(false);
  }, 240_000);
});

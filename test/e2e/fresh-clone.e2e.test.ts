/**
 * A newcomer's first five minutes: the README's two commands on a fresh copy of this tree — the files git
 * tracks (and new ones it would), nothing built, no node_modules — with the machine's own Node.js first on the
 * PATH (the system Node may be older than the project's; `npm start` must bring its own). `npm ci`, then
 * `npm start` (embedded PostgreSQL, on a free port block), and headless Chromium loads the console.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cli/build/build.js';
import { portInUse } from '../../cli/src/ports.js';

const run = promisify(execFile);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(REPO_ROOT, 'test-results', 'fresh-clone');

let clone: string | undefined;
let glassbox: ChildProcess | undefined;
let browser: Browser | undefined;
/** The services' pids once known: each runs in its own process group, which a signal to npm's group misses. */
let servicePids: number[] = [];

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone
  }
}

afterAll(async () => {
  await browser?.close();
  const npm = glassbox;
  if (npm?.pid && npm.exitCode === null && npm.signalCode === null) {
    // A test that failed half-way: Ctrl-C first, so the supervisor stops its services and PostgreSQL (a SIGKILL
    // to npm's group alone left eleven services running from a deleted clone, holding their ports).
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    signalGroup(npm.pid, 'SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 60_000))]);
    signalGroup(npm.pid, 'SIGKILL');
  }
  for (const pid of servicePids) signalGroup(pid, 'SIGKILL');
  if (clone) rmSync(clone, { recursive: true, force: true });
});

/** PATH without this project's node_modules/.bin entries: the machine's own `node` and `npm` come first. */
function systemPath(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes(`${'/node_modules/'}.bin`))
    .join(delimiter);
}

async function freeBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 24_000 + Math.floor(Math.random() * 8_000);
    const busy = await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30].map((o) => portInUse(base + o)),
    );
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no free port block');
}

describe('a fresh clone', () => {
  it('npm ci && npm start serve the console, on the project Node.js whatever the system one is', {
    timeout: 900_000,
  }, async () => {
    mkdirSync(shots, { recursive: true });
    clone = mkdtempSync(join(tmpdir(), 'glassbox-fresh-'));
    chmodSync(clone, 0o755);
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const file of stdout.split('\0').filter(Boolean)) {
      const from = join(REPO_ROOT, file);
      if (!existsSync(from)) continue; // deleted in the working tree
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(from, join(clone, file));
      chmodSync(join(clone, file), statSync(from).mode & 0o777);
    }
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    expect(existsSync(join(clone, 'observatory', 'web', 'dist'))).toBe(false);

    const env: NodeJS.ProcessEnv = { ...process.env, PATH: systemPath(), NO_COLOR: '1', CI: 'true' };
    for (const key of Object.keys(env)) {
      if (key.startsWith('npm_') || key === 'DATABASE_URL' || key === 'NODE_OPTIONS') delete env[key];
    }
    const install = await run('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: clone,
      env,
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(install.stderr).not.toMatch(/npm error/);

    const base = await freeBase();
    glassbox = spawn('npm', ['start', '--', '--port-base', String(base)], {
      cwd: clone,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a terminal would make it: Ctrl-C reaches every process
    });
    let output = '';
    glassbox.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    glassbox.stderr?.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const started = Date.now();
    while (!output.includes('Glassbox is running')) {
      if (glassbox.exitCode !== null || Date.now() - started > 300_000) {
        throw new Error(`npm start did not come up:\n${output.slice(-5000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain(`Console                http://127.0.0.1:${base + 10}`);
    expect(output).not.toContain('NOT READY');

    // Every process runs the project's Node 24, not the system's.
    const services = (await (await fetch(`http://127.0.0.1:${base + 20}/services`)).json()) as {
      services: { name: string; pid: number }[];
    };
    servicePids = services.services.map((s) => s.pid);
    for (const s of services.services) {
      expect(readlinkSync(`/proc/${s.pid}/exe`), s.name).toContain(join(clone, 'node_modules'));
    }
    const { stdout: version } = await run(join(clone, 'node_modules', '.bin', 'node'), ['--version']);
    expect(version.trim()).toMatch(/^v24\./);

    // The README's first curl: log in as the demo customer through the gateway.
    const login = await fetch(`http://127.0.0.1:${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'demo', email: 'alice@demo.test', password: 'glassbox-demo' }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { accessToken?: string }).accessToken).toBeTruthy();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage();
    const response = await page.goto(`http://127.0.0.1:${base + 10}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toContain('text/html');
    // The console renders and reaches its API: the overview lists the services that have sent telemetry.
    await page
      .locator('[data-testid=services-table] tr[data-service="gateway"]')
      .waitFor({ timeout: 90_000 });
    await page.screenshot({ path: join(shots, 'console.png') });

    // Ctrl-C: the terminal signals the whole foreground group (npm, the supervisor and its children).
    process.kill(-(glassbox.pid ?? 0), 'SIGINT');
    await new Promise<void>((resolve) => {
      if (glassbox?.exitCode !== null || glassbox?.signalCode !== null) resolve();
      glassbox?.once('exit', () => resolve());
    });
    const deadline = Date.now() + 60_000;
    const alive = () => services.services.filter((s) => existsSync(`/proc/${s.pid}`));
    while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(alive().map((s) => s.name)).toEqual([]);
    expect(output).toContain('glassbox: stopped');
    // A first start logs no PostgreSQL error (the services once raced to create the bus's schema, and the
    // embedded server printed each failed statement: hundreds of lines of SQL).
    expect(output.split('\n').filter((l) => /^\S+ postgres\s.*\bERROR:/.test(l))).toEqual([]);
  });
});

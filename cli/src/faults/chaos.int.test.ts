/**
 * Faults through a real stack: the observatory and the real catalog service (its bundle, connected mode on the
 * test PostgreSQL), faults injected through the supervisor's control API as `glassbox chaos` does. Latency and
 * error really change the catalog's answers, crash-loop really restarts it until cleared; every injection is in
 * the observatory's /api/faults and the affected spans carry `glassbox.fault.id`.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Fault } from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../logs.js';
import { dropDatabases } from '../postgres.js';
import { type Stack, startStack } from '../stack.js';

const ADMIN_URL = testServerUrl();
const BIN = fileURLToPath(new URL('../../bin/glassbox.ts', import.meta.url));
const prefix = `gbchaos_${randomBytes(3).toString('hex')}_`;
let stack: Stack;
let stateDir: string;
const logs: LogLine[] = [];
let faultyTraceId: string | undefined;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function inject(body: Record<string, unknown>): Promise<Fault> {
  const res = await fetch(`${stack.urls.control}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'test', ...body }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { fault: Fault }).fault;
}

const clear = (id: string) => fetch(`${stack.urls.control}/faults/${id}`, { method: 'DELETE' });
const products = () =>
  fetch(`${stack.urls.catalog}/api/v1/products`, { signal: AbortSignal.timeout(10_000) });

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-chaos-'));
  stack = await startStack({
    ports: 'auto',
    stateDir,
    databaseUrl: ADMIN_URL,
    dbPrefix: prefix,
    services: ['catalog'],
    observatory: true,
    logs: (line) => logs.push(line),
    backoff: { initialMs: 200, maxMs: 1000 },
    readyPollMs: 100,
  });
});

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
  await dropDatabases(ADMIN_URL, [`${prefix}catalog`]);
});

describe('faults in a running stack', () => {
  it('the catalog stays within its 100 MB budget before any fault (OpenFeature not loaded yet)', () => {
    const pid = stack.control.get('catalog')?.pid;
    expect(pid).toBeTypeOf('number');
    const rss = rssMb(pid as number);
    console.log(`catalog RSS before any fault: ${rss.toFixed(1)} MB`);
    expect(rss).toBeLessThan(100);
    expect(logs.some((l) => l.source === 'catalog' && l.line.includes('fault flags loaded'))).toBe(false);
  });

  it('latency: requests of the route are slower while it lasts; recorded in /api/faults and on spans', async () => {
    const fault = await inject({ kind: 'latency', service: 'catalog', route: '/api/v1/products', ms: 800 });
    // The services see the flag file change within flagd's file poll (about 5 s).
    await until('the latency to apply', async () => {
      const t0 = performance.now();
      await products();
      return performance.now() - t0 >= 780 ? true : undefined;
    });
    const rss = rssMb(stack.control.get('catalog')?.pid as number);
    console.log(
      `catalog RSS with OpenFeature and flagd loaded, under the latency fault: ${rss.toFixed(1)} MB`,
    );
    expect(rss).toBeLessThan(100);
    const recorded = await until('the fault in the observatory', async () => {
      const res = await fetch(`${stack.urls.observatory}/api/faults`);
      const { faults } = (await res.json()) as { faults: Fault[] };
      return faults.find((f) => f.id === fault.id);
    });
    expect(recorded).toMatchObject({ kind: 'latency', service: 'catalog', by: 'test', params: { ms: 800 } });
    faultyTraceId = await until('a span with glassbox.fault.id', async () => {
      const url = new URL('/api/traces', stack.urls.observatory);
      url.searchParams.set('service', 'catalog');
      url.searchParams.set('attr', `glassbox.fault.id=${fault.id}`);
      const { traces } = (await (await fetch(url)).json()) as { traces: { traceId: string }[] };
      return traces[0]?.traceId;
    });
    // …and in a log record of the catalog (its body names the fault).
    await until('the fault log record', async () => {
      const url = new URL('/api/logs', stack.urls.observatory);
      url.searchParams.set('service', 'catalog');
      url.searchParams.set('q', fault.id);
      const { logs: records } = (await (await fetch(url)).json()) as { logs: { body: string }[] };
      return records.find((r) => r.body.includes('fault latency active'));
    });
    await clear(fault.id);
    await until('the latency to stop', async () => {
      const t0 = performance.now();
      await products();
      return performance.now() - t0 < 500 ? true : undefined;
    });
    const ended = await until('the end in the observatory', async () => {
      const { faults } = (await (await fetch(`${stack.urls.observatory}/api/faults`)).json()) as {
        faults: Fault[];
      };
      return faults.find((f) => f.id === fault.id && f.endedAt !== null);
    });
    expect(Date.parse(ended.endedAt as string)).toBeGreaterThanOrEqual(Date.parse(fault.startedAt));
  });

  it('error: the catalog answers 503 problem+json while it lasts, and it ends on its own', async () => {
    const fault = await inject({ kind: 'error', service: 'catalog', status: 503, forMs: 12_000 });
    const res = await until('the error to apply', async () => {
      const r = await products();
      return r.status === 503 ? r : undefined;
    });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'FAULT_INJECTED' });
    expect((await fetch(`${stack.urls.catalog}/healthz`)).status).toBe(200);
    await until(
      'the error to end on its own',
      async () => ((await products()).status !== 503 ? true : undefined),
      25_000,
    );
    const listed = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: Fault[] };
    expect(listed.faults.find((f) => f.id === fault.id)?.endedAt).not.toBeNull();
  });

  it('crash-loop: the catalog exits after every start until cleared, then stays up', async () => {
    const before = stack.control.get('catalog')?.info().restarts ?? 0;
    const fault = await inject({ kind: 'crash-loop', service: 'catalog', ms: 500 });
    await until(
      'two restarts',
      async () => ((stack.control.get('catalog')?.info().restarts ?? 0) >= before + 2 ? true : undefined),
      60_000,
    );
    await clear(fault.id);
    // A catalog that started just before the clear reached it may still exit once (500 ms after its start):
    // the count settles once one start has outlived the fault's delay by far.
    const catalogUpFor = (what: string, seconds: number, timeoutMs: number) =>
      until(
        what,
        async () => {
          const info = stack.control.get('catalog')?.info();
          return info?.state === 'ready' && (info.uptime ?? 0) > seconds ? true : undefined;
        },
        timeoutMs,
      );
    await catalogUpFor('a catalog up past the crash-loop delay', 2, 60_000);
    const settled = stack.control.get('catalog')?.info().restarts ?? 0;
    await catalogUpFor('catalog to stay up', 8, 40_000);
    expect(stack.control.get('catalog')?.info().restarts).toBe(settled);
    expect(logs.some((l) => l.source === 'catalog' && l.line.includes('crash-loop'))).toBe(true);
  });

  it('refuses bad input naming the value, and injects nothing', async () => {
    const res = await fetch(`${stack.urls.control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', service: 'payment', ms: 999_999 }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { detail: string; errors: { path: string }[] };
    expect(problem.detail).toContain('"payment"');
    expect(problem.detail).toContain('999999');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['ms', 'service']);
    const listed = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: Fault[] };
    expect(listed.faults.filter((f) => f.endedAt === null)).toEqual([]);
  });

  it('the observatory relays /api/chaos/faults for the console (JSON only), recorded as by console', async () => {
    const api = `${stack.urls.observatory}/api/chaos/faults`;
    const form = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'kind=crash',
    });
    expect(form.status).toBe(400);
    const bad = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', service: 'catalog', rate: 7 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toContain('7 is out of range');
    const ok = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', service: 'catalog', ms: 5 }),
    });
    expect(ok.status).toBe(201);
    const { fault } = (await ok.json()) as { fault: Fault };
    expect(fault.by).toBe('console');
    const cleared = (await (await fetch(`${api}/${fault.id}`, { method: 'DELETE' })).json()) as {
      cleared: Fault[];
    };
    expect(cleared.cleared.map((f) => f.id)).toEqual([fault.id]);
  });

  it('the console Faults page starts and stops a fault', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${stack.urls.observatory}/faults`);
      await page.getByTestId('fault-kind').selectOption('error');
      await page.getByTestId('fault-service').selectOption('catalog');
      await page.getByTestId('fault-param-status').fill('502');
      await page.getByTestId('fault-inject').click();
      const row = page.locator('[data-testid="fault-row"][data-kind="error"][data-active="true"]');
      await row.waitFor({ timeout: 15_000 });
      const listed = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: Fault[] };
      const injected = listed.faults.find((f) => f.kind === 'error' && f.endedAt === null);
      expect(injected).toMatchObject({ service: 'catalog', by: 'console', params: { status: 502 } });
      await row.getByTestId('fault-stop').click();
      await page
        .locator(`[data-testid="fault-row"][data-fault-id="${injected?.id}"][data-active="false"]`)
        .waitFor({ timeout: 15_000 });
      const after = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: Fault[] };
      expect(after.faults.find((f) => f.id === injected?.id)?.endedAt).not.toBeNull();
      await page.getByTestId('fault-param-status').fill('404');
      await page.getByTestId('fault-inject').click();
      await expect(page.getByTestId('fault-error').textContent()).resolves.toContain('404 is out of range');
      // The latency fault's trace: its catalog span is marked on the waterfall.
      await page.goto(`${stack.urls.observatory}/traces/${faultyTraceId}`);
      await page.getByTestId('fault-marker').first().waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('fault-marker').first().textContent()).toContain('latency');
      // The catalog's charts mark the faults it had (latency, error, crash-loop, this one).
      await page.goto(`${stack.urls.observatory}/services/catalog`);
      await page.getByTestId('chart-fault-marker').first().waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('chart-fault-marker').count()).toBeGreaterThanOrEqual(3);
    } finally {
      await browser.close();
    }
  });

  it('glassbox chaos and faults export work against the stack', async () => {
    const env = { ...process.env, GLASSBOX_CONTROL_PORT: String(stack.ports.control), NO_COLOR: '1' };
    // Asynchronously: the stack's control API answers from this very process.
    const run = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { env });
        return { status: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };
    const injected = await run(
      'chaos',
      'inject',
      'db-slow',
      '--service',
      'catalog',
      '--ms',
      '50',
      '--for',
      '30s',
    );
    expect(injected.status, injected.stderr).toBe(0);
    expect(injected.stdout).toMatch(/injected db-slow into catalog/);
    const listed = await run('chaos', 'list');
    expect(listed.stdout).toMatch(/db-slow .*catalog/);
    expect((await run('chaos', 'clear')).stdout).toMatch(/cleared db-slow/);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-export-'));
    try {
      const exported = await run('faults', 'export', '--from', '15m', '--out', out);
      expect(exported.status, exported.stderr).toBe(0);
      for (const table of ['spans', 'logs', 'metrics', 'faults']) {
        const bytes = fs.readFileSync(path.join(out, `${table}.parquet`));
        expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
      }
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      const read = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJS();
      const kinds = (await read(`SELECT kind FROM '${path.join(out, 'faults.parquet')}'`)).map((r) => r.kind);
      expect(kinds).toEqual(expect.arrayContaining(['latency', 'error', 'crash-loop', 'db-slow']));
      const labelled = await read(
        `SELECT count(*) AS n FROM '${path.join(out, 'spans.parquet')}'
         WHERE json_extract_string(attributes, '$."glassbox.fault.id"') IS NOT NULL`,
      );
      expect(Number(labelled[0]?.n)).toBeGreaterThan(0);
      duck.closeSync();
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

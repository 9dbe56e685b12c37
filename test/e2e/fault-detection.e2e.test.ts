/**
 * Every fault in the catalogue is detected by an alert (issue 9), row by row, on one real stack at
 * `GLASSBOX_SLO_TIME_SCALE=60` (the observatory evaluates the committed rules, windows and `for` divided by 60)
 * with light load (the load generator's journeys at 2 a second). Each row injects its fault through the
 * control API, reads it back from the ground truth (GET /faults), waits for the named alert to fire for the
 * faulted service (and dependency or database, where the alert names one), clears the fault and waits for the
 * alert to resolve; before it injects, the alert must be quiet for that service (no false alarm from the
 * load, nor from an earlier row).
 *
 * Rows on the same service run one after the other (a lane); lanes on services that do not disturb each other
 * run side by side, which keeps the whole file short: catalog and the gateway's calls to it (request and
 * dependency faults, pool exhaustion, the memory leak last), inventory's database, auth's bus, user (a
 * crash, then a burnt core), notification (a crash loop). The healer does not run: nothing but the test ends
 * a fault. Each row prints its time to detect and to resolve.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_KINDS, type FaultKind } from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTokenMix } from '../../cli/src/args.js';
import { runLoadTest } from '../../cli/src/load/generator.js';
import { startStack } from '../../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';

const dbPrefix = `gbdetect_${randomBytes(3).toString('hex')}_`;
/** How long a row waits for its alert (at time scale 60 every row fired within 16 s on a loaded machine). */
const DETECT_WITHIN_MS = 60_000;

interface Row {
  readonly kind: FaultKind;
  readonly alert: string;
  readonly service: string;
  /** Labels the firing alert must carry besides alertname and service. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The rest of the injection (parameters, dependency). */
  readonly fault?: Readonly<Record<string, unknown>>;
  /** Rows of one lane run one after the other. */
  readonly lane: string;
  /** Traffic the fault needs that the load does not make (runs from injection to clearing). */
  readonly during?: (signal: AbortSignal) => Promise<void>;
  /** After the fault is cleared, what an operator does for the alert to resolve. */
  readonly afterClear?: () => Promise<void>;
}

const ROWS: readonly Row[] = [
  // catalog, and the gateway's calls to it
  { kind: 'latency', alert: 'HighLatencyP99', service: 'catalog', fault: { ms: 3000 }, lane: 'catalog' },
  { kind: 'error', alert: 'HighErrorRatio', service: 'catalog', fault: { rate: 0.5 }, lane: 'catalog' },
  { kind: 'hang', alert: 'HighLatencyP99', service: 'catalog', lane: 'catalog' },
  {
    kind: 'event-loop-block',
    alert: 'EventLoopLagHigh',
    service: 'catalog',
    fault: { ms: 1000, rate: 0.2 },
    lane: 'catalog',
  },
  {
    kind: 'dependency-latency',
    alert: 'UpstreamCallsSlow',
    service: 'gateway',
    labels: { glassbox_dependency: 'catalog' },
    fault: { dependency: 'catalog', ms: 1500 },
    lane: 'catalog',
  },
  {
    kind: 'dependency-error',
    alert: 'UpstreamCallsFailing',
    service: 'gateway',
    labels: { glassbox_dependency: 'catalog' },
    fault: { dependency: 'catalog', status: 503 },
    lane: 'catalog',
  },
  { kind: 'pool-exhaustion', alert: 'DbPoolSaturated', service: 'catalog', lane: 'catalog' },
  {
    // Last on catalog: the leak lives in the process, so the operator's restart is what resolves it.
    kind: 'memory-leak',
    alert: 'ProcessMemoryGrowing',
    service: 'catalog',
    fault: { kb: 2048 },
    lane: 'catalog',
    afterClear: () => control('POST', '/services/catalog/restart'),
  },
  // inventory's database (order reserves stock there on every checkout)
  {
    kind: 'db-slow',
    alert: 'DbQueriesSlow',
    service: 'inventory',
    fault: { ms: 1000, jitterMs: 0 },
    lane: 'inventory',
  },
  {
    kind: 'db-down',
    alert: 'DbConnectionsFailing',
    service: 'inventory',
    labels: { db_namespace: `${dbPrefix}inventory` },
    lane: 'inventory',
  },
  // auth's bus: a user registered every 300 ms is an event for the outbox
  {
    kind: 'broker-stall',
    alert: 'OutboxRelayStalled',
    service: 'auth',
    lane: 'auth',
    during: (signal) => registerUsers(signal),
  },
  // services the load does not call
  { kind: 'crash', alert: 'ProcessRestarted', service: 'user', lane: 'user' },
  { kind: 'cpu-burn', alert: 'EventLoopSaturated', service: 'user', fault: { rate: 1 }, lane: 'user' },
  {
    kind: 'crash-loop',
    alert: 'CrashLooping',
    service: 'notification',
    fault: { ms: 1000 },
    lane: 'notification',
  },
];

let stack: Awaited<ReturnType<typeof startStack>>;
let stateDir: string;
const stopLoad = new AbortController();
let load: Promise<unknown> | undefined;
const lanes = new Map<string, Promise<void>>();
const timings: Array<{ row: string; detectMs: number; resolveMs: number }> = [];

interface AlertView {
  name: string;
  service: string;
  state: 'firing' | 'pending';
  labels: Record<string, string>;
}
interface Transition {
  atMs: number;
  name: string;
  service: string;
  to: string;
  labels: Record<string, string>;
}
interface FaultView {
  id: string;
  kind: string;
  service: string;
  dependency?: string;
  startedAt: string;
  endedAt: string | null;
  by: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function control(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${stack.urls.control}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function alerts(): Promise<{ alerts: AlertView[]; history: Transition[] }> {
  const res = await fetch(`${stack.urls.observatory}/api/alerts`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as { alerts: AlertView[]; history: Transition[] };
}

const isRow = (row: Row) => (a: { name: string; service: string; labels: Record<string, string> }) =>
  a.name === row.alert &&
  a.service === row.service &&
  Object.entries(row.labels ?? {}).every(([k, v]) => a.labels[k] === v);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const seen = await alerts()
        .then((a) => a.alerts.map((x) => `${x.name}/${x.service}/${x.state}`).join(', '))
        .catch((e: Error) => e.message);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; active alerts: ${seen || 'none'}`,
      );
    }
    await sleep(500);
  }
}

/** Registers a new user every 300 ms through the gateway (each is an event in auth's outbox). */
async function registerUsers(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await fetch(`${stack.urls.gateway}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        tenant: 'demo',
        email: `detect-${randomUUID()}@demo.test`,
        password: 'glassbox-detect',
        name: 'Detect',
      }),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    await sleep(300);
  }
}

/** Runs `fn` after every earlier row of the same lane has finished (passed or not). */
function inLane(lane: string, fn: () => Promise<void>): Promise<void> {
  const previous = lanes.get(lane) ?? Promise.resolve();
  const run = previous.then(fn);
  lanes.set(
    lane,
    run.catch(() => undefined),
  );
  return run;
}

/** Each row's outcome, as a settled promise (its `it` reads it): the lanes start together, after the warm-up. */
const outcomes = new Map<Row, Promise<{ error?: unknown }>>();

async function detect(row: Row): Promise<void> {
  const name = `${row.kind} → ${row.alert} (${row.service})`;
  const mine = isRow(row);
  // Quiet first: no false alarm from the load, and an earlier row's alert has resolved.
  await until(
    `${row.alert} quiet for ${row.service} before ${row.kind}`,
    async () => ((await alerts()).alerts.some(mine) ? undefined : true),
    90_000,
  );

  const res = await fetch(`${stack.urls.control}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: row.kind,
      service: row.service,
      ...row.fault,
      forMs: 180_000,
      by: 'fault-detection',
    }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const { fault: injected } = (await res.json()) as { fault: FaultView };

  // The ground truth holds it, active, as injected.
  const { faults } = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: FaultView[] };
  const truth = faults.find((f) => f.id === injected.id);
  expect(truth).toMatchObject({ kind: row.kind, service: row.service, endedAt: null, by: 'fault-detection' });
  const t0 = Date.parse(truth?.startedAt ?? '');

  const traffic = new AbortController();
  const during = row.during?.(traffic.signal);
  let fired: Transition;
  try {
    fired = await until(
      `${row.alert} firing for ${row.service} after ${row.kind} (${injected.id})`,
      async () => (await alerts()).history.find((t) => mine(t) && t.to === 'firing' && t.atMs >= t0),
      DETECT_WITHIN_MS,
    );
  } finally {
    await control('DELETE', `/faults/${injected.id}`).catch(() => undefined);
    traffic.abort();
    await during;
  }
  const cleared = (await (await fetch(`${stack.urls.control}/faults`)).json()) as { faults: FaultView[] };
  expect(cleared.faults.find((f) => f.id === injected.id)?.endedAt).not.toBeNull();
  await row.afterClear?.();
  const clearedAt = Date.now();
  await until(
    `${row.alert} resolved for ${row.service} after ${row.kind} was cleared`,
    async () => ((await alerts()).alerts.some(mine) ? undefined : true),
    120_000,
  );
  const timing = { row: name, detectMs: fired.atMs - t0, resolveMs: Date.now() - clearedAt };
  timings.push(timing);
  process.stdout.write(
    `[fault-detection] ${name}: fired ${(timing.detectMs / 1000).toFixed(1)} s after injection ` +
      `(fault ${injected.id}), resolved ${(timing.resolveMs / 1000).toFixed(1)} s after clearing\n`,
  );
}

beforeAll(async () => {
  const began = Date.now();
  stateDir = await mkdtemp(join(tmpdir(), 'glassbox-detect-'));
  stack = await startStack({
    services: ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment', 'notification'],
    observatory: true,
    logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
    ports: 'auto',
    databaseUrl: testServerUrl(),
    dbPrefix,
    stateDir,
    env: { GLASSBOX_SLO_TIME_SCALE: '60', LOG_LEVEL: 'warn' },
  });
  load = runLoadTest({
    gateway: stack.urls.gateway,
    rate: 2,
    durationMs: 60 * 60_000,
    concurrency: 16,
    tenant: 'demo',
    users: 0,
    tokens: parseTokenMix('ok=90,declined=10'),
    requestTimeoutMs: 5000,
    pollTimeoutMs: 10_000,
    drainMs: 2_000,
    signal: stopLoad.signal,
  }).catch(() => undefined);
  // Enough load for the rates and histograms every row reads to have their windows filled.
  await sleep(15_000);
  process.stdout.write(
    `[fault-detection] stack up and loaded in ${((Date.now() - began) / 1000).toFixed(0)} s\n`,
  );
  for (const row of ROWS) {
    outcomes.set(
      row,
      inLane(row.lane, () => detect(row)).then(
        () => ({}),
        (error: unknown) => ({ error }),
      ),
    );
  }
}, 300_000);

afterAll(async () => {
  stopLoad.abort();
  await load;
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
  for (const t of timings) {
    process.stdout.write(
      `[fault-detection] ${t.row.padEnd(52)} detect ${(t.detectMs / 1000).toFixed(1).padStart(5)} s, resolve ${(t.resolveMs / 1000).toFixed(1).padStart(5)} s\n`,
    );
  }
}, 120_000);

describe('every fault in the catalogue is detected by an alert, at time scale 60', () => {
  it('has a row for every fault kind', () => {
    expect(ROWS.map((r) => r.kind).sort()).toEqual([...FAULT_KINDS].sort());
  });

  // Rows on different services run side by side (see the lanes above); each `it` waits for its own.
  for (const row of ROWS) {
    it(`${row.kind} → ${row.alert}`, async () => {
      const outcome = await outcomes.get(row);
      if (outcome?.error) throw outcome.error;
      expect(timings.some((t) => t.row.startsWith(`${row.kind} → `))).toBe(true);
    }, 600_000);
  }
});

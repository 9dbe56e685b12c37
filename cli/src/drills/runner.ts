/**
 * One drill on a running stack (issue 9 §5): load runs, the fault is injected through the control API
 * (`by: "drill"`), and the loop is timed from the ground truth: MTTD (fault start → the expected alert firing),
 * MTTA (→ the healer's first action, from the audit log), MTTR (→ the SLI back within its objective and the
 * alert resolved, and staying so). Then the orders the shop accepted are looked up in the order service's
 * database: none may be missing, none may be there twice.
 */
import pg from 'pg';
import { parseTokenMix } from '../args.js';
import { runLoadTest } from '../load/generator.js';
import { alertLabel, type DrillScenario } from './scenario.js';

export interface DrillTargets {
  /** The control API (POST/DELETE /faults). */
  readonly control: string;
  readonly observatory: string;
  readonly gateway: string;
  /**
   * The gateway's operational listener: after a drill, the levers the healer pulled there (a held circuit,
   * shedding) are released, as an operator does once the cause is fixed, so the next drill starts clean.
   */
  readonly gatewayOps?: string;
  /** The order service's own database: where accepted orders must be. */
  readonly orderDatabaseUrl: string;
  /** How long the SLI must stay good, and the alert resolved, to count as recovered. Default 5 s. */
  readonly stableMs?: number;
  /** How long to wait, before the fault, for page alerts of an earlier incident on the service. Default 45 s. */
  readonly settleMs?: number;
  /** How long to wait, after the drill, for the healer's steps still running on the service. Default 120 s. */
  readonly healerIdleMs?: number;
  readonly pollMs?: number;
  /** GLASSBOX_SLO_TIME_SCALE of the stack: SLO time runs this much faster (for the error budget). Default 1. */
  readonly timeScale?: number;
  /** Progress lines (one per step). */
  readonly log?: (line: string) => void;
}

export interface DrillSample {
  readonly tMs: number;
  readonly sli: number | null;
  readonly alert: 'firing' | 'pending' | 'inactive';
}

export interface DrillAction {
  readonly action: string;
  readonly target: string;
  readonly alertname: string;
  readonly status: string;
  readonly detail: string | null;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
}

export interface DrillResult {
  readonly scenario: string;
  readonly description: string;
  readonly file: string;
  readonly fault: {
    readonly id: string;
    readonly kind: string;
    readonly service: string;
    readonly dependency: string | null;
    readonly params: Readonly<Record<string, unknown>>;
    readonly startedAtMs: number;
    /** Ground truth at the end of the drill (before the drill clears it): when it ended and who ended it. */
    readonly endedAtMs: number | null;
    readonly endedBy: string | null;
  };
  readonly expect: DrillScenario['expect'];
  readonly objective: number | null;
  /** Absolute times (epoch ms) of each step; null when it did not happen. */
  readonly timeline: {
    readonly faultAtMs: number;
    readonly firingAtMs: number | null;
    readonly firstActionAtMs: number | null;
    readonly manualAtMs: number | null;
    readonly recoveredAtMs: number | null;
  };
  readonly mttdMs: number | null;
  readonly mttaMs: number | null;
  readonly mttrMs: number | null;
  /**
   * Recovered by the healer's actions alone: no manual remediation, and the fault still active at the recovery —
   * unless the healer itself ended it by rolling back the bad release it models (its ground truth says so).
   */
  readonly healed: boolean;
  readonly manualRemediation: string | null;
  readonly actions: readonly DrillAction[];
  readonly errorBudget: {
    /** The observatory's period budget remaining (its period holds only the stack's lifetime: a fresh stack's is volatile). */
    readonly remainingBefore: number | null;
    readonly remainingAfter: number | null;
    /**
     * Share of the SLO period's (30 d) error budget this drill used, at steady traffic: the bad share of the
     * SLI samples from the fault to the recovery, times that span in SLO time (wall time × the time scale),
     * over the period's budget (30 d × (1 − objective)).
     */
    readonly consumed: number | null;
  };
  readonly orders: {
    readonly accepted: number;
    readonly found: number;
    readonly lost: readonly string[];
    readonly duplicated: readonly string[];
  };
  readonly samples: readonly DrillSample[];
  readonly passed: boolean;
  readonly failures: readonly string[];
}

interface SloView {
  id: string;
  objective: number;
  sli: Record<string, number | null>;
  errorBudgetRemaining: number | null;
}
interface AlertsView {
  alerts: Array<{ name: string; service: string; severity: string; state: 'firing' | 'pending' }>;
  history: Array<{ atMs: number; name: string; service: string; severity: string; to: string }>;
}
interface FaultView {
  id: string;
  kind: string;
  service: string;
  dependency?: string;
  params: Record<string, unknown>;
  startedAt: string;
  endedAt: string | null;
  endedBy?: string;
}
interface RemediationView {
  action: string;
  target: string;
  alertname: string;
  status: string;
  detail: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the gateway's /healthz answers 200, for at most `withinMs` (then the load generator reports it). */
export async function gatewayAnswering(gateway: string, withinMs: number, pollMs = 500): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const ok = await fetch(`${gateway}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Accepted orders against the order service's rows: missing ids, and idempotency keys holding more than one. */
export async function auditOrders(
  databaseUrl: string,
  accepted: ReadonlyArray<{ id: string; idempotencyKey: string }>,
): Promise<DrillResult['orders']> {
  if (accepted.length === 0) return { accepted: 0, found: 0, lost: [], duplicated: [] };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; idempotency_key: string }>(
      'SELECT id::text AS id, idempotency_key FROM orders WHERE idempotency_key = ANY($1::text[])',
      [accepted.map((o) => o.idempotencyKey)],
    );
    const ids = new Set(rows.map((r) => r.id));
    const perKey = new Map<string, number>();
    for (const r of rows) perKey.set(r.idempotency_key, (perKey.get(r.idempotency_key) ?? 0) + 1);
    return {
      accepted: accepted.length,
      found: accepted.filter((o) => ids.has(o.id)).length,
      lost: accepted.filter((o) => !ids.has(o.id)).map((o) => o.id),
      duplicated: [...perKey.entries()].filter(([, n]) => n > 1).map(([key]) => key),
    };
  } finally {
    await client.end();
  }
}

/** Releases every circuit the gateway holds open and stops its shedding. */
async function standDown(gatewayOps: string): Promise<void> {
  const { circuits } = await json<{ circuits: Array<{ upstream: string; heldForMs: number }> }>(
    `${gatewayOps}/admin/circuits`,
  );
  for (const c of circuits.filter((x) => x.heldForMs > 0)) {
    await fetch(`${gatewayOps}/admin/circuits/${encodeURIComponent(c.upstream)}`, { method: 'DELETE' });
  }
  await fetch(`${gatewayOps}/admin/shed`, { method: 'DELETE' });
}

/** Runs one scenario on the stack behind `targets`; resolves with the measurements and the verdict. */
const PERIOD_MS = 30 * 24 * 3_600_000;

/** The share of the period's error budget the samples between `from` and `to` used (see DrillResult). */
export function budgetConsumed(
  samples: readonly DrillSample[],
  from: number,
  to: number,
  objective: number,
  timeScale: number,
): number | null {
  const window = samples.filter((s) => s.tMs >= from && s.tMs <= to && s.sli !== null);
  if (window.length === 0 || to <= from) return null;
  const badShare = window.reduce((sum, s) => sum + (1 - (s.sli ?? 1)), 0) / window.length;
  return (badShare * (to - from) * timeScale) / (PERIOD_MS * (1 - objective));
}

/**
 * Healed means the healer's remediation brought the service back, never the fault ending under it: recovered,
 * no manual step, an action of the healer verified, and the fault still active at the recovery — or ended by the
 * healer itself (it can only end one by rolling back the bad release it models).
 */
export function judgeHealed(d: {
  readonly recoveredAtMs: number | null;
  readonly manualAtMs: number | null;
  readonly actions: readonly Pick<DrillAction, 'status'>[];
  readonly endedAtMs: number | null;
  readonly endedBy: string | null;
}): { healed: boolean; endedUnderIt: boolean } {
  const endedUnderIt =
    d.recoveredAtMs !== null &&
    d.endedAtMs !== null &&
    d.endedAtMs <= d.recoveredAtMs &&
    d.endedBy !== 'healer';
  const healed =
    d.recoveredAtMs !== null &&
    d.manualAtMs === null &&
    !endedUnderIt &&
    d.actions.some((a) => a.status === 'succeeded');
  return { healed, endedUnderIt };
}

export async function runDrill(scenario: DrillScenario, targets: DrillTargets): Promise<DrillResult> {
  const log = targets.log ?? (() => {});
  const pollMs = targets.pollMs ?? 1000;
  const stableMs = targets.stableMs ?? 5000;
  const { expect } = scenario;
  const failures: string[] = [];
  const samples: DrillSample[] = [];

  const slo = async (): Promise<SloView> => {
    const { slos } = await json<{ slos: SloView[] }>(`${targets.observatory}/api/slos`);
    const found = slos.find((s) => s.id === expect.slo);
    if (!found) throw new Error(`the observatory has no SLO ${expect.slo} (${scenario.file}: expect.slo)`);
    return found;
  };
  const isExpected = (a: { name: string; service: string; severity: string }) =>
    expect.alerts.includes(a.name) &&
    a.service === expect.service &&
    (expect.severity === undefined || a.severity === expect.severity);
  const alertState = (view: AlertsView): DrillSample['alert'] => {
    const mine = view.alerts.filter(isExpected);
    return mine.some((a) => a.state === 'firing') ? 'firing' : mine.length > 0 ? 'pending' : 'inactive';
  };
  const remediations = async (since: number): Promise<DrillAction[]> => {
    const { remediations: rows } = await json<{ remediations: RemediationView[] }>(
      `${targets.observatory}/api/remediations`,
    );
    return (
      rows
        .map((r) => ({
          action: r.action,
          target: r.target,
          alertname: r.alertname,
          status: r.status,
          detail: r.detail,
          startedAtMs: r.startedAt ? Date.parse(r.startedAt) : null,
          finishedAtMs: r.finishedAt ? Date.parse(r.finishedAt) : null,
        }))
        // Steps on the faulted service (the alert names it): not a step of an earlier drill elsewhere, nor a
        // lever pulled on the gateway for the same symptom there.
        .filter((r) => r.startedAtMs !== null && r.startedAtMs >= since && r.target === expect.service)
        .sort((a, b) => (a.startedAtMs ?? 0) - (b.startedAtMs ?? 0))
    );
  };

  // --- load, and a healthy shop before the fault
  // The gateway may be between two processes (a restart at the end of the previous drill, or on a loaded machine
  // the healer's restart of a slow first start): the load starts once it answers, not at its first refusal.
  await gatewayAnswering(targets.gateway, 60_000);
  const accepted: Array<{ id: string; idempotencyKey: string }> = [];
  const stopLoad = new AbortController();
  const load = runLoadTest({
    gateway: targets.gateway,
    rate: scenario.load.rate,
    durationMs: 60 * 60_000,
    concurrency: scenario.load.concurrency,
    tenant: 'demo',
    users: 0,
    tokens: parseTokenMix('ok=90,declined=10'),
    requestTimeoutMs: 5000,
    pollTimeoutMs: 20_000,
    drainMs: 25_000,
    onOrderAccepted: (o) => accepted.push(o),
    signal: stopLoad.signal,
  }).catch((err: Error) => {
    failures.push(`the load generator failed: ${err.message}`);
    return undefined;
  });

  let fault: DrillResult['fault'] | undefined;
  let truth: FaultView | undefined;
  let firingAtMs: number | null = null;
  let manualAtMs: number | null = null;
  let recoveredAtMs: number | null = null;
  let remainingBefore: number | null = null;
  let remainingAfter: number | null = null;
  let objective: number | null = null;
  let actions: DrillAction[] = [];
  let manualRemediation: string | null = null;
  try {
    await sleep(scenario.load.warmupMs);
    const healthyBy = Date.now() + 120_000;
    // An earlier incident on the service settles first: a page alert still firing for it sets the healer acting
    // (or its cooldown holding back) on this drill's target. Waited for at most `settleMs`: an alert can outlive
    // its cause (an instant series of a process gone lingers for the 5-minute lookback), and the healer has
    // handled it by then.
    const settleBy = Date.now() + (targets.settleMs ?? 45_000);
    for (;;) {
      const s = await slo().catch(() => undefined);
      const a = await json<AlertsView>(`${targets.observatory}/api/alerts`).catch(() => undefined);
      const sli = s?.sli['5m'];
      const paging =
        a?.alerts
          .filter((x) => x.service === expect.service && x.severity === 'page' && x.state === 'firing')
          .map((x) => x.name) ?? [];
      if (
        s &&
        a &&
        sli !== null &&
        sli !== undefined &&
        sli >= s.objective &&
        alertState(a) === 'inactive' &&
        (paging.length === 0 || Date.now() > settleBy)
      ) {
        if (paging.length > 0)
          log(`${scenario.name}: still firing for ${expect.service}: ${paging.join(', ')}`);
        objective = s.objective;
        remainingBefore = s.errorBudgetRemaining;
        break;
      }
      if (Date.now() > healthyBy) {
        throw new Error(`the shop was not healthy before the fault (${expect.slo} SLI ${sli ?? 'unknown'})`);
      }
      await sleep(pollMs);
    }

    // --- the fault
    const { fault: injected } = await json<{ fault: FaultView }>(`${targets.control}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(scenario.fault),
    });
    const t0 = Date.parse(injected.startedAt);
    fault = {
      id: injected.id,
      kind: injected.kind,
      service: injected.service,
      dependency: injected.dependency ?? null,
      params: injected.params,
      startedAtMs: t0,
      endedAtMs: null,
      endedBy: null,
    };
    log(`${scenario.name}: injected ${injected.kind} into ${injected.service} (${injected.id})`);

    const limitAt = t0 + expect.recoverWithinMs + 60_000;
    let goodSince: number | null = null;
    for (;;) {
      const now = Date.now();
      const [s, a] = await Promise.all([
        slo().catch(() => undefined),
        json<AlertsView>(`${targets.observatory}/api/alerts`).catch(() => undefined),
      ]);
      const sli = s?.sli['5m'] ?? null;
      const state = a ? alertState(a) : 'inactive';
      samples.push({ tMs: now, sli, alert: state });
      if (a && firingAtMs === null) {
        // The history is newest first: the first firing since the fault is the earliest one.
        const fired = a.history
          .filter((h) => isExpected(h) && h.to === 'firing' && h.atMs >= t0)
          .reduce<(typeof a.history)[number] | undefined>(
            (x, h) => (x && x.atMs <= h.atMs ? x : h),
            undefined,
          );
        if (fired) {
          firingAtMs = fired.atMs;
          log(`${scenario.name}: ${fired.name} firing after ${((fired.atMs - t0) / 1000).toFixed(1)} s`);
        }
      }
      if (firingAtMs === null && now > t0 + expect.detectWithinMs + 30_000) break; // undetected
      actions = await remediations(t0).catch(() => actions);
      // Not healable by the healer: once it has paged a person (or a minute after the alert fired), the person
      // does the honest remediation — fix the cause, release the levers pulled meanwhile — the drill does it
      // for them, and the clock keeps running.
      if (scenario.manualRemediation && manualAtMs === null && firingAtMs !== null && fault) {
        if (actions.some((a) => a.status === 'paged') || now > firingAtMs + 60_000) {
          await json(`${targets.control}/faults/${encodeURIComponent(fault.id)}?by=drill`, {
            method: 'DELETE',
          });
          if (targets.gatewayOps) await standDown(targets.gatewayOps).catch(() => undefined);
          manualAtMs = Date.now();
          manualRemediation = scenario.manualRemediation.why;
          log(`${scenario.name}: manual remediation (${scenario.manualRemediation.action})`);
        }
      }
      const good =
        firingAtMs !== null && state === 'inactive' && objective !== null && sli !== null && sli >= objective;
      if (good) {
        goodSince ??= now;
        if (now - goodSince >= stableMs) {
          recoveredAtMs = goodSince;
          remainingAfter = s?.errorBudgetRemaining ?? null;
          log(`${scenario.name}: recovered after ${((goodSince - t0) / 1000).toFixed(1)} s`);
          break;
        }
      } else {
        goodSince = null;
      }
      if (now > limitAt) break;
      await sleep(pollMs);
    }
    actions = await remediations(t0).catch(() => actions);
    // Ground truth of the fault before the drill clears it: did it end, and who ended it?
    truth = (await json<{ fault: FaultView }>(`${targets.control}/faults/${encodeURIComponent(fault.id)}`))
      .fault;
  } catch (err) {
    failures.push((err as Error).message);
  } finally {
    if (fault) {
      await fetch(`${targets.control}/faults/${encodeURIComponent(fault.id)}?by=drill`, {
        method: 'DELETE',
      }).catch(() => undefined);
    }
    stopLoad.abort();
    // The healer may still be acting on the service for an incident of this drill (a second alert's runbook
    // verifying, or about to pull a lever): the drill ends when it is done, or a lever it pulls afterwards
    // (a circuit held for minutes) would change the next drill. Waited for while the load drains.
    const healerIdle = async (since: number) => {
      const idleBy = Date.now() + (targets.healerIdleMs ?? 120_000);
      for (;;) {
        const rows = await remediations(since).catch(() => []);
        if (!rows.some((r) => r.status === 'running') || Date.now() > idleBy) return;
        await sleep(pollMs);
      }
    };
    await Promise.all([load, fault ? healerIdle(fault.startedAtMs) : undefined]);
    if (fault) actions = await remediations(fault.startedAtMs).catch(() => actions);
    if (targets.gatewayOps) await standDown(targets.gatewayOps).catch(() => undefined);
  }

  const orders = await auditOrders(targets.orderDatabaseUrl, accepted).catch((err: Error) => {
    failures.push(`cannot read the order service's orders: ${err.message}`);
    return { accepted: accepted.length, found: 0, lost: [], duplicated: [] };
  });

  const t0 = fault?.startedAtMs ?? Date.now();
  const since = (at: number | null) => (at === null ? null : at - t0);
  const firstActionAtMs = actions[0]?.startedAtMs ?? null;
  const mttdMs = since(firingAtMs);
  const mttrMs = since(recoveredAtMs);
  const endedAtMs = truth?.endedAt ? Date.parse(truth.endedAt) : null;
  const endedBy = truth?.endedAt ? (truth.endedBy ?? 'unknown') : null;
  // Only what the healer did up to the recovery can have brought it (steps after it are listed, not credited).
  const before = actions.filter((a) => recoveredAtMs !== null && (a.startedAtMs ?? 0) <= recoveredAtMs);
  const { healed, endedUnderIt } = judgeHealed({
    recoveredAtMs,
    manualAtMs,
    actions: before,
    endedAtMs,
    endedBy,
  });
  if (fault) {
    if (mttdMs === null) failures.push(`undetected: ${alertLabel(expect)} (${expect.service}) never fired`);
    else if (mttdMs > expect.detectWithinMs)
      failures.push(`detected late: ${(mttdMs / 1000).toFixed(1)} s > ${expect.detectWithinMs / 1000} s`);
    if (mttrMs === null) failures.push('unrecovered: the SLI or the alert never came back');
    else if (mttrMs > expect.recoverWithinMs)
      failures.push(`recovered late: ${(mttrMs / 1000).toFixed(1)} s > ${expect.recoverWithinMs / 1000} s`);
    if (expect.healed && !healed) {
      failures.push(
        endedUnderIt
          ? `unhealed: the fault ended (by ${endedBy}) before the recovery, not by the healer`
          : 'unhealed: the healer’s actions did not bring it back',
      );
    }
    if (actions.length === 0) failures.push('the healer did not act');
  }
  if (orders.lost.length > 0) failures.push(`${orders.lost.length} accepted orders lost`);
  if (orders.duplicated.length > 0) failures.push(`${orders.duplicated.length} orders duplicated`);

  return {
    scenario: scenario.name,
    description: scenario.description,
    file: scenario.file,
    fault: fault
      ? { ...fault, endedAtMs, endedBy }
      : {
          id: '',
          kind: String(scenario.fault.kind),
          service: String(scenario.fault.service),
          dependency: null,
          params: {},
          startedAtMs: t0,
          endedAtMs: null,
          endedBy: null,
        },
    expect,
    objective,
    timeline: { faultAtMs: t0, firingAtMs, firstActionAtMs, manualAtMs, recoveredAtMs },
    mttdMs,
    mttaMs: since(firstActionAtMs),
    mttrMs,
    healed,
    manualRemediation,
    actions,
    errorBudget: {
      remainingBefore,
      remainingAfter,
      consumed:
        objective === null
          ? null
          : budgetConsumed(
              samples,
              t0,
              recoveredAtMs ?? samples.at(-1)?.tMs ?? t0,
              objective,
              targets.timeScale ?? 1,
            ),
    },
    orders,
    samples,
    passed: failures.length === 0,
    failures,
  };
}

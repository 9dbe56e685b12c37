import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseTimeScale } from '@glassbox/contracts/slo-policy';
import { UsageError } from '../args.js';
import { writeReports } from '../drills/report.js';
import { type DrillResult, runDrill } from '../drills/runner.js';
import {
  alertLabel,
  type DrillScenario,
  loadScenario,
  loadScenarios,
  ScenarioError,
} from '../drills/scenario.js';
import { dropDatabases } from '../postgres.js';
import { databaseName, SERVICE_NAMES, serviceDef } from '../services.js';
import { REPO_ROOT, startStack } from '../stack.js';

export const DRILL_USAGE = `Usage: glassbox drill run SCENARIO… | --all [--scale 60] [--out DIR] [--port-base N]
       glassbox drill check

Runs fault drills (drills/*.yaml) on a stack of its own (every service, the observatory and the healer, on free
ports, at the demo time scale): load runs, the fault is injected through the control API (by "drill"), and
MTTD (fault → alert firing), MTTA (→ the healer's first action), MTTR (→ SLI within objective and alert
resolved), the error budget used and the orders lost or duplicated are measured. Writes <scenario>.md, .svg
and .json and summary.md under drills/results/. Exits 1 when a drill fails its expectations.

\`check\` validates every scenario file; a bad file is named with its field and the reason (exit 2).

Options:
  --all          every scenario of drills/
  --scale <n>    GLASSBOX_SLO_TIME_SCALE of the stack (default 60)
  --out <dir>    where the reports go (default drills/results)
  --port-base <n> the stack's ports from N (as glassbox start --port-base; default: free ports)
  --dir <dir>    the scenarios folder (default drills/)
  -h, --help     show this help

Environment: DATABASE_URL (a PostgreSQL server to use; default: an embedded one in a temporary folder).
`;

/**
 * The order `--all` runs in: what the healer heals first, what needs a person last — an incident left to a
 * person burns longest, and its page alerts stay firing long after (their long windows), where a later drill
 * expecting the same alert would find it already firing.
 */
export function suiteOrder(scenarios: readonly DrillScenario[]): DrillScenario[] {
  return [...scenarios].sort((a, b) => Number(!a.expect.healed) - Number(!b.expect.healed));
}

export interface SuiteOptions {
  readonly scenarios: readonly DrillScenario[];
  readonly timeScale: number;
  readonly databaseUrl?: string;
  /** The stack's ports from this base (`portsFromBase`); default: free ports chosen by the OS. */
  readonly portBase?: number;
  readonly log?: (line: string) => void;
}

/** Starts a stack of its own, runs the scenarios one after the other on it, stops it. */
export async function runDrillSuite(options: SuiteOptions): Promise<DrillResult[]> {
  const log = options.log ?? (() => {});
  const stateDir = await mkdtemp(path.join(tmpdir(), 'glassbox-drill-'));
  const dbPrefix = `gbdrill_${randomBytes(3).toString('hex')}_`;
  const stack = await startStack({
    services: SERVICE_NAMES,
    observatory: true,
    logs: process.env.DRILL_LOGS ? 'inherit' : 'silent',
    ...(options.portBase !== undefined ? { portBase: options.portBase } : { ports: 'auto' as const }),
    databaseUrl: options.databaseUrl,
    dbPrefix,
    stateDir,
    env: {
      GLASSBOX_SLO_TIME_SCALE: String(options.timeScale),
      // The cooldown per target, scaled as the alert windows are: drills on one target follow each other.
      HEALER_COOLDOWN_S: String(Math.max(1, Math.round(300 / options.timeScale))),
      HEALER_MAX_ACTIONS_PER_HOUR: '100',
      LOG_LEVEL: 'warn',
    },
  });
  const results: DrillResult[] = [];
  try {
    const orderDatabaseUrl = stack.databases.order;
    if (!orderDatabaseUrl) throw new Error('the stack has no order database');
    for (const scenario of options.scenarios) {
      log(`drill ${scenario.name}: ${scenario.description}`);
      results.push(
        await runDrill(scenario, {
          control: stack.urls.control,
          observatory: stack.urls.observatory,
          gateway: stack.urls.gateway,
          gatewayOps: stack.urls.gatewayOps,
          timeScale: options.timeScale,
          orderDatabaseUrl,
          log,
        }),
      );
    }
  } finally {
    await stack.stop();
    if (options.databaseUrl) {
      const names = SERVICE_NAMES.map((s) => databaseName(serviceDef(s), dbPrefix)).filter(
        (n): n is string => n !== null,
      );
      await dropDatabases(options.databaseUrl, [...names, `${dbPrefix}bus`]).catch(() => undefined);
    }
    await rm(stateDir, { recursive: true, force: true });
  }
  return results;
}

/** `glassbox drill run SCENARIO… | --all`, `glassbox drill check`. */
export async function runDrillCommand(argv: readonly string[]): Promise<number> {
  const config = {
    args: [...argv],
    options: {
      all: { type: 'boolean' },
      scale: { type: 'string' },
      out: { type: 'string' },
      dir: { type: 'string' },
      'port-base': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(DRILL_USAGE);
    return 0;
  }
  const [action, ...names] = positionals;
  const dir = path.resolve(values.dir ?? path.join(REPO_ROOT, 'drills'));
  let timeScale: number;
  try {
    timeScale = parseTimeScale(values.scale ?? '60');
  } catch (err) {
    throw new UsageError(`--scale: ${(err as Error).message}`);
  }

  let portBase: number | undefined;
  if (values['port-base'] !== undefined) {
    portBase = Number(values['port-base']);
    if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65_000) {
      throw new UsageError(`--port-base: ${JSON.stringify(values['port-base'])} is not a port (1024–65000)`);
    }
  }

  let scenarios: DrillScenario[];
  try {
    if (action === 'check') {
      scenarios = await loadScenarios(dir);
      for (const s of scenarios) {
        process.stdout.write(
          `${s.name} (${path.basename(s.file)}): ${s.fault.kind} → ${s.fault.service}; expects ${alertLabel(s.expect)}, ${s.expect.healed ? 'healed' : 'manual remediation'}\n`,
        );
      }
      return 0;
    }
    if (action !== 'run') throw new UsageError('give an action: run or check');
    if (values.all && names.length > 0) throw new UsageError('give scenario names or --all, not both');
    if (!values.all && names.length === 0)
      throw new UsageError('give a scenario name (drills/NAME.yaml) or --all');
    scenarios = values.all
      ? suiteOrder(await loadScenarios(dir))
      : await Promise.all(names.map((n) => loadScenario(dir, n)));
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`glassbox drill: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // Ctrl-C / SIGTERM: exit, and the stack's exit hook takes its processes down with it.
  const onSignal = () => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results = await runDrillSuite({
    scenarios,
    timeScale,
    databaseUrl: process.env.DATABASE_URL || undefined,
    ...(portBase !== undefined ? { portBase } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const out = path.resolve(values.out ?? path.join(REPO_ROOT, 'drills', 'results'));
  const written = await writeReports(out, results, timeScale);
  for (const r of results) {
    const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
    process.stdout.write(
      `${r.passed ? 'PASS' : 'FAIL'} ${r.scenario}: MTTD ${s(r.mttdMs)}, MTTA ${s(r.mttaMs)}, MTTR ${s(r.mttrMs)}, ` +
        `orders ${r.orders.accepted} accepted, ${r.orders.lost.length} lost, ${r.orders.duplicated.length} duplicated` +
        `${r.failures.length ? ` — ${r.failures.join('; ')}` : ''}\n`,
    );
  }
  process.stdout.write(
    `reports: ${path.relative(process.cwd(), path.join(out, 'summary.md'))} (+${written.length - 1} files)\n`,
  );
  return results.every((r) => r.passed) ? 0 : 1;
}

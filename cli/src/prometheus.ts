/**
 * Connected mode's judges: Debian's `prometheus` scraping every service, the observatory and the supervisor,
 * with the rule files compiled from `slo/` (at the demo time scale when one is set), and Debian's
 * `prometheus-alertmanager` with `deploy/alertmanager/alertmanager.yml`. `glassbox start --prometheus
 * --alertmanager` runs them beside the stack; a missing binary is a clear sentence, not a stack trace.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatDuration, scaledEvaluationIntervalMs } from '@glassbox/contracts/slo-policy';
import { stringify } from 'yaml';
import { portInUse } from './ports.js';
import { generateRuleFiles, loadSlos } from './slo/rule-files.js';

export class MissingToolError extends Error {
  constructor(
    readonly tool: string,
    readonly debianPackage: string,
    readonly flag: string,
  ) {
    super(
      `${tool} is not installed (or not on PATH): install Debian's package with \`apt-get install ${debianPackage}\`, or start without ${flag}`,
    );
    this.name = 'MissingToolError';
  }
}

/** The first of `names` found as an executable on PATH. */
export function findExecutable(names: readonly string[], envPath = process.env.PATH ?? ''): string | null {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface ScrapeTarget {
  /** The scrape job, which the rules read as `job` (the service name). */
  readonly job: string;
  /** `host:port` */
  readonly target: string;
}

export interface PrometheusConfigOptions {
  readonly targets: readonly ScrapeTarget[];
  /** Folder holding the rule files. */
  readonly rulesDir: string;
  readonly timeScale: number;
  /** `host:port` of an Alertmanager, if any. */
  readonly alertmanager?: string;
}

/** prometheus.yml: scrape and evaluate every 15 s ÷ scale (at least 1 s), one job per target. */
export function prometheusConfig(o: PrometheusConfigOptions): string {
  const interval = formatDuration(scaledEvaluationIntervalMs(o.timeScale));
  const timeout = formatDuration(Math.min(10_000, scaledEvaluationIntervalMs(o.timeScale)));
  const config = {
    global: { scrape_interval: interval, scrape_timeout: timeout, evaluation_interval: interval },
    rule_files: [path.join(o.rulesDir, '*.yaml')],
    ...(o.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] } }
      : {}),
    scrape_configs: o.targets.map((t) => ({
      job_name: t.job,
      metrics_path: '/metrics',
      static_configs: [{ targets: [t.target] }],
    })),
  };
  return `# Written by glassbox start --prometheus; regenerated at every start.\n${stringify(config)}`;
}

interface Managed {
  readonly name: string;
  readonly url: string;
  stop(): Promise<void>;
}

async function waitReady(name: string, url: string, child: ChildProcess, lines: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited with code ${child.exitCode}:\n${lines.slice(-15).join('\n')}`);
    }
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become ready within ${timeoutMs} ms:\n${lines.slice(-15).join('\n')}`);
}

async function run(
  name: string,
  executable: string,
  args: readonly string[],
  url: string,
  onLog: (line: string) => void,
): Promise<Managed> {
  const lines: string[] = [];
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      onLog(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitReady(name, url, child, lines, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, url, stop };
}

export interface MonitoringOptions {
  readonly prometheus: boolean;
  readonly alertmanager: boolean;
  /** Repository root (slo/, deploy/). */
  readonly rootDir: string;
  /** Where the generated configuration, rules and data go (`<stateDir>/prometheus`, `…/alertmanager`). */
  readonly stateDir: string;
  readonly timeScale: number;
  readonly targets: readonly ScrapeTarget[];
  readonly prometheusPort: number;
  readonly alertmanagerPort: number;
  /** Alertmanager configuration; default deploy/alertmanager/alertmanager.yml. */
  readonly alertmanagerConfig?: string;
  readonly onLog?: (source: 'prometheus' | 'alertmanager', line: string) => void;
}

export interface Monitoring {
  readonly prometheusUrl: string | null;
  readonly alertmanagerUrl: string | null;
  /** Lines for the banner. */
  readonly lines: readonly string[];
  stop(): Promise<void>;
}

/** The URL an Alertmanager started with these options will answer on. */
export function alertmanagerUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Checks the binaries first (nothing is started when one is missing), then starts Alertmanager, then Prometheus. */
export async function startMonitoring(o: MonitoringOptions): Promise<Monitoring> {
  const promBin = o.prometheus ? findExecutable(['prometheus']) : null;
  if (o.prometheus && !promBin) throw new MissingToolError('prometheus', 'prometheus', '--prometheus');
  const amBin = o.alertmanager ? findExecutable(['prometheus-alertmanager', 'alertmanager']) : null;
  if (o.alertmanager && !amBin) {
    throw new MissingToolError('prometheus-alertmanager', 'prometheus-alertmanager', '--alertmanager');
  }
  for (const [what, port, on] of [
    ['Prometheus', o.prometheusPort, o.prometheus],
    ['Alertmanager', o.alertmanagerPort, o.alertmanager],
  ] as const) {
    if (on && (await portInUse(port))) throw new Error(`port ${port} for ${what} is already in use`);
  }
  const log = o.onLog ?? (() => undefined);
  const started: Managed[] = [];
  const stopAll = async () => {
    for (const m of started.reverse()) await m.stop();
  };
  try {
    let amUrl: string | null = null;
    if (amBin) {
      const dir = path.join(o.stateDir, 'alertmanager');
      mkdirSync(dir, { recursive: true });
      amUrl = alertmanagerUrl(o.alertmanagerPort);
      const config =
        o.alertmanagerConfig ?? path.join(o.rootDir, 'deploy', 'alertmanager', 'alertmanager.yml');
      started.push(
        await run(
          'alertmanager',
          amBin,
          [
            `--config.file=${config}`,
            `--storage.path=${dir}`,
            `--web.listen-address=127.0.0.1:${o.alertmanagerPort}`,
            '--cluster.listen-address=',
            '--log.level=warn',
          ],
          amUrl,
          (line) => log('alertmanager', line),
        ),
      );
    }
    let promUrl: string | null = null;
    if (promBin) {
      const dir = path.join(o.stateDir, 'prometheus');
      const rulesDir = path.join(dir, 'rules');
      mkdirSync(rulesDir, { recursive: true });
      for (const f of generateRuleFiles(loadSlos(o.rootDir), o.timeScale)) {
        writeFileSync(path.join(rulesDir, f.name), f.text);
      }
      const configFile = path.join(dir, 'prometheus.yml');
      writeFileSync(
        configFile,
        prometheusConfig({
          targets: o.targets,
          rulesDir,
          timeScale: o.timeScale,
          alertmanager: amUrl ? `127.0.0.1:${o.alertmanagerPort}` : undefined,
        }),
      );
      promUrl = `http://127.0.0.1:${o.prometheusPort}`;
      started.push(
        await run(
          'prometheus',
          promBin,
          [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${path.join(dir, 'data')}`,
            `--web.listen-address=127.0.0.1:${o.prometheusPort}`,
            '--log.level=warn',
          ],
          promUrl,
          (line) => log('prometheus', line),
        ),
      );
    }
    const lines = [
      ...(promUrl
        ? [
            `  Prometheus             ${promUrl}  (rules at time scale ${o.timeScale}, alerts: ${promUrl}/alerts)`,
          ]
        : []),
      ...(amUrl ? [`  Alertmanager           ${amUrl}`] : []),
    ];
    return { prometheusUrl: promUrl, alertmanagerUrl: amUrl, lines, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Every process of a stack Prometheus scrapes: each service, the observatory and the supervisor. The gateway
 * serves /metrics on its operational port only (its own port is public), so that is where it is scraped.
 */
export function scrapeTargets(stack: {
  readonly services: readonly string[];
  readonly ports: Readonly<Record<string, number>>;
  readonly observatory: boolean;
}): ScrapeTarget[] {
  const at = (port: number | undefined) => `127.0.0.1:${port ?? 0}`;
  // The gateway serves /metrics on its internal listener only (its own port is public).
  const metricsPort = (s: string) =>
    s === 'gateway' ? (stack.ports.gatewayOps ?? stack.ports[s]) : stack.ports[s];
  return [
    ...stack.services.map((s) => ({ job: s, target: at(metricsPort(s)) })),
    ...(stack.observatory ? [{ job: 'observatory', target: at(stack.ports.observatory) }] : []),
    { job: 'supervisor', target: at(stack.ports.control) },
  ];
}

/** Prometheus and Alertmanager ports: 9090/9093, or base+40/+41 with `--port-base`. */
export function monitoringPorts(portBase: number | undefined): { prometheus: number; alertmanager: number } {
  return portBase === undefined
    ? { prometheus: 9090, alertmanager: 9093 }
    : { prometheus: portBase + 40, alertmanager: portBase + 41 };
}

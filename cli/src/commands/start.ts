import { parseArgs } from 'node:util';
import { parseDuration, parseInteger, parsePort, parseServiceList, UsageError } from '../args.js';
import { redactUrl } from '../postgres.js';
import {
  alertmanagerUrl,
  type Monitoring,
  monitoringPorts,
  scrapeTargets,
  startMonitoring,
} from '../prometheus.js';
import { DEFAULT_DB_PREFIX, DEFAULT_PORTS, DEMO, SERVICES, type ServiceName } from '../services.js';
import { stackTimeScale } from '../slo/stack-time-scale.js';
import { REPO_ROOT, type Stack, type StackOptions, startStack } from '../stack.js';
import { NotReadyError } from '../supervisor/supervisor.js';

export const START_USAGE = `Usage: glassbox start [options]

Starts the whole system on this machine: PostgreSQL (embedded unless DATABASE_URL is set), the observatory,
every service as its own process (restarted with backoff when it crashes) and the control API.
Ctrl-C stops everything in order (gateway first, PostgreSQL last); a second Ctrl-C forces.

Options:
  --services <list>       start only these services, e.g. gateway,auth,catalog (default: all)
  --no-observatory        do not start the observatory
  --json-logs             print the services' logs as JSON lines instead of the pretty format
  --port-base <port>      move every port into a block starting at <port> (services +0…${SERVICES.length - 1}, console +10,
                          OTLP HTTP +11, OTLP gRPC +12, control API +20, embedded PostgreSQL +30)
  --db-prefix <prefix>    database name prefix (default ${DEFAULT_DB_PREFIX}, or GLASSBOX_DB_PREFIX)
  --ready-timeout <dur>   how long to wait for every service to become ready (default 180s)
  --prometheus            also run Debian's prometheus (port 9090, or base+40), scraping every service, the
                          observatory and the supervisor, with the rules of slo/ (at GLASSBOX_SLO_TIME_SCALE)
  --alertmanager          also run Debian's prometheus-alertmanager (port 9093, or base+41) with
                          deploy/alertmanager/alertmanager.yml; Prometheus sends to it (without --prometheus,
                          the observatory does)
  --alertmanager-config <file>  another Alertmanager configuration
  -h, --help              show this help

Environment:
  DATABASE_URL                  use this PostgreSQL server (connected mode); its database part is ignored,
                                glassbox_<service> databases are created on it when missing
  GLASSBOX_PG_PORT              embedded PostgreSQL port (default ${DEFAULT_PORTS.postgres})
  GLASSBOX_CONTROL_PORT         control API port (default ${DEFAULT_PORTS.control})
  GLASSBOX_DB_PREFIX            database name prefix
  OTEL_EXPORTER_OTLP_ENDPOINT   send telemetry there instead of the observatory; other OTEL_* pass through
  LOG_LEVEL                     the services' log level (default info)
  GLASSBOX_SLO_TIME_SCALE       demo time scale N: the observatory divides every SLO window and alert \`for\`
                                by N, and the services push metrics every 15 s ÷ N (at least 1 s)
  GLASSBOX_ROOT                 repository root holding services/ and observatory/ (default: this checkout)
  GLASSBOX_STATE_DIR            state directory (default <root>/.glassbox: PostgreSQL data, internal token)
`;

export interface StartArgs {
  readonly help: boolean;
  readonly options: StackOptions;
  readonly readyTimeoutMs: number;
  readonly monitoring: { prometheus: boolean; alertmanager: boolean; alertmanagerConfig?: string };
}

/** Turns argv and the environment into stack options (pure; unit-tested). */
export function parseStartArgs(argv: readonly string[], env: NodeJS.ProcessEnv): StartArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        services: { type: 'string' },
        'no-observatory': { type: 'boolean' },
        'json-logs': { type: 'boolean' },
        'port-base': { type: 'string' },
        'db-prefix': { type: 'string' },
        'ready-timeout': { type: 'string' },
        prometheus: { type: 'boolean' },
        alertmanager: { type: 'boolean' },
        'alertmanager-config': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const str = (key: string): string | undefined => {
    const v = values[key];
    return typeof v === 'string' ? v : undefined;
  };
  const ports: Record<string, number> = {};
  if (env.GLASSBOX_PG_PORT) ports.postgres = parsePort(env.GLASSBOX_PG_PORT, 'GLASSBOX_PG_PORT');
  if (env.GLASSBOX_CONTROL_PORT)
    ports.control = parsePort(env.GLASSBOX_CONTROL_PORT, 'GLASSBOX_CONTROL_PORT');
  const portBase = str('port-base');
  const services = str('services');
  const readyTimeoutMs = parseDuration(str('ready-timeout') ?? '180s', 'ready-timeout');
  const options: StackOptions = {
    rootDir: env.GLASSBOX_ROOT || undefined,
    stateDir: env.GLASSBOX_STATE_DIR || undefined,
    services: services ? parseServiceList(services) : undefined,
    portBase: portBase ? parseInteger(portBase, 'port-base', 1024, 65535 - 40) : undefined,
    ports,
    databaseUrl: env.DATABASE_URL || undefined,
    dbPrefix: str('db-prefix') ?? (env.GLASSBOX_DB_PREFIX || DEFAULT_DB_PREFIX),
    observatory: values['no-observatory'] === true ? false : undefined,
    jsonLogs: values['json-logs'] === true,
    logs: 'inherit',
    readyTimeoutMs,
    waitReady: false,
  };
  const monitoring = {
    prometheus: values.prometheus === true,
    alertmanager: values.alertmanager === true,
    alertmanagerConfig: str('alertmanager-config'),
  };
  if (monitoring.alertmanager && !monitoring.prometheus) {
    // No Prometheus to send to the Alertmanager: the observatory's own evaluator does.
    const port = monitoringPorts(options.portBase).alertmanager;
    return {
      help: values.help === true,
      options: { ...options, env: { ...options.env, ALERTMANAGER_URL: alertmanagerUrl(port) } },
      readyTimeoutMs,
      monitoring,
    };
  }
  return { help: values.help === true, options, readyTimeoutMs, monitoring };
}

/** The lines printed once everything is ready. */
export function banner(stack: Stack, notReady: readonly string[] = []): string {
  const services = stack.services
    .filter((s: ServiceName) => s !== 'gateway')
    .map((s) => `${s} :${stack.ports[s]}`)
    .join('  ');
  const db =
    stack.mode === 'embedded'
      ? `embedded PostgreSQL on 127.0.0.1:${stack.ports.postgres} (data in ${stack.stateDir}/pg)`
      : `PostgreSQL at ${redactUrl(stack.databaseUrl)}`;
  const lines = [
    '',
    notReady.length === 0
      ? `  Glassbox is running — ${db}`
      : `  Glassbox is running, but NOT READY: ${notReady.join(', ')} — ${db}`,
    '',
  ];
  if (stack.services.includes('gateway')) lines.push(`  Public API (gateway)   ${stack.urls.gateway}/api/v1`);
  if (stack.observatory) {
    lines.push(`  Console                ${stack.urls.observatory}`);
    lines.push(`  OTLP HTTP / gRPC       ${stack.urls.otlpHttp}  ${stack.urls.otlpGrpc}`);
  }
  lines.push(`  Control API            ${stack.urls.control}/services`);
  if (services) lines.push(`  Services               ${services}`);
  lines.push(
    `  Demo accounts          tenant ${DEMO.tenant}: ${DEMO.customer} (customer), ${DEMO.admin} (merchant admin)`,
    `                         password ${DEMO.password}`,
    '',
  );
  if (stack.services.includes('gateway')) {
    lines.push(
      `  Try: curl -s ${stack.urls.gateway}/api/v1/auth/login -H 'content-type: application/json' \\`,
      `         -d '{"tenant":"demo","email":"alice@demo.test","password":"glassbox-demo"}'`,
      '       then send the accessToken as "authorization: Bearer <token>" (README: Try it)',
      '       npm run load -- --duration 30s',
      '',
    );
  }
  lines.push('  Ctrl-C stops everything.', '');
  return lines.join('\n');
}

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** `glassbox start`: runs until Ctrl-C/SIGTERM, then stops everything in order. Resolves to the exit code. */
export async function runStart(argv: readonly string[]): Promise<number> {
  const args = parseStartArgs(argv, process.env);
  if (args.help) {
    process.stdout.write(START_USAGE);
    return 0;
  }

  let stack: Stack | undefined;
  let signals = 0;
  let resolveStop: (() => void) | undefined;
  const stopRequested = new Promise<void>((resolve) => {
    resolveStop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      say(
        `\n${signal}: stopping (gateway first, then the services, the observatory, PostgreSQL); again to force`,
      );
      resolveStop?.();
      return;
    }
    say(`${signal} again: killing everything now`);
    stack?.forceKill();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // A closed pipe (`glassbox start | head`) must not crash the supervisor.
  process.stdout.on('error', () => undefined);

  try {
    stack = await startStack(args.options);
  } catch (err) {
    say(`glassbox start failed: ${(err as Error).message}`);
    return 1;
  }

  let monitoring: Monitoring | undefined;
  const startJudges = async (): Promise<boolean> => {
    if (!stack || (!args.monitoring.prometheus && !args.monitoring.alertmanager)) return true;
    const ports = monitoringPorts(args.options.portBase);
    try {
      monitoring = await startMonitoring({
        ...args.monitoring,
        rootDir: args.options.rootDir ?? REPO_ROOT,
        stateDir: stack.stateDir,
        timeScale: stackTimeScale(process.env).scale,
        targets: scrapeTargets(stack),
        prometheusPort: ports.prometheus,
        alertmanagerPort: ports.alertmanager,
        onLog: (source, line) => say(`${source} | ${line}`),
      });
      return true;
    } catch (err) {
      say(`glassbox start failed: ${(err as Error).message}`);
      return false;
    }
  };

  if (signals === 0) {
    const outcome = await Promise.race([
      stack.ready.then(
        () => 'ready' as const,
        (err: unknown) => err,
      ),
      stopRequested.then(() => 'stop' as const),
    ]);
    if (outcome !== 'stop' && !(await startJudges())) {
      await stack.stop();
      return 1;
    }
    for (const line of monitoring?.lines ?? []) say(line);
    if (outcome === 'ready') {
      printReady(stack, args.options.jsonLogs === true, []);
    } else if (outcome !== 'stop') {
      const notReady =
        outcome instanceof NotReadyError ? outcome.processes.map((p) => `${p.name} (${p.state})`) : [];
      if (outcome instanceof NotReadyError) {
        for (const p of outcome.processes) {
          say(`--- ${p.name} is ${p.state}; its last lines:\n${p.recentLogs.slice(-15).join('\n')}`);
        }
      } else {
        say(`glassbox: ${(outcome as Error).message ?? String(outcome)}`);
      }
      printReady(stack, args.options.jsonLogs === true, notReady);
      say('  The supervisor keeps restarting what crashed; fix it and it will come up, or Ctrl-C.');
    }
  }

  await stopRequested;
  await monitoring?.stop();
  await stack.stop();
  say('glassbox: stopped');
  return 0;
}

function printReady(stack: Stack, json: boolean, notReady: string[]): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        level: notReady.length ? 'warn' : 'info',
        time: new Date().toISOString(),
        service: 'glassbox',
        msg: notReady.length ? 'running, not ready' : 'ready',
        notReady,
        mode: stack.mode,
        urls: stack.urls,
        demo: DEMO,
      })}\n`,
    );
    return;
  }
  process.stdout.write(banner(stack, notReady));
}

import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULTS_FILE_ENV, manifestEntry, PLATFORM_URL_ENV, type PlatformEndpoint } from '@glassbox/contracts';
import { ensureBuilt } from '../build/build.js';
import { type ControlServer, startControlServer } from './control.js';
import { FaultManager } from './faults/manager.js';
import { consoleSink, type LogSink, makeLine, useColour } from './logs.js';
import { freePorts, portInUse } from './ports.js';
import {
  databaseUrlFor,
  type EmbeddedPostgres,
  ensureDatabases,
  redactUrl,
  startEmbeddedPostgres,
} from './postgres.js';
import {
  DEFAULT_DB_PREFIX,
  DEFAULT_PORTS,
  databaseName,
  isServiceName,
  SERVICE_NAMES,
  SERVICES,
  type ServiceName,
  serviceDef,
} from './services.js';
import { stackTimeScale } from './slo/stack-time-scale.js';
import {
  commandLine,
  defaultStateDir,
  internalToken,
  listRunRecords,
  pidAlive,
  type RunChild,
  removeRunRecord,
  webhookSecret,
  writeRunRecord,
} from './state.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './supervisor/backoff.js';
import type { ManagedProcess, ProcessEvent, ProcessInfo, ProcessSpec } from './supervisor/process.js';
import { NotReadyError, Supervisor } from './supervisor/supervisor.js';

/** Every port the stack uses. */
export type PortMap = Record<ServiceName, number> & {
  /** The gateway's operational endpoints (/metrics, /openapi.json), on loopback. */
  readonly gatewayOps: number;
  readonly observatory: number;
  readonly otlpHttp: number;
  readonly otlpGrpc: number;
  readonly control: number;
  /** Embedded PostgreSQL (ignored in connected mode). */
  readonly postgres: number;
};

export type StackUrls = Record<ServiceName, string> & {
  /** The gateway's /metrics and /openapi.json. */
  readonly gatewayOps: string;
  /** Observatory console and query API. */
  readonly observatory: string;
  readonly otlpHttp: string;
  readonly otlpGrpc: string;
  /** Supervisor control API. */
  readonly control: string;
};

export interface CommandTarget {
  readonly name: string;
  readonly kind: 'service' | 'observatory';
  /** The TypeScript entry point. */
  readonly entry: string;
  /** Its compiled bundle (`dist/…/main.js`), which the default command runs. */
  readonly bundle: string;
}

export interface StackOptions {
  /** Repository root: the children's working directory. Default: two levels above this file. */
  readonly rootDir?: string;
  /** State directory (embedded PostgreSQL data, internal token, observatory data). Default `<rootDir>/.glassbox`. */
  readonly stateDir?: string;
  /** Start only these services. Default: all. */
  readonly services?: readonly ServiceName[];
  /**
   * First port of a block: services at base+0…6, observatory +10, OTLP HTTP +11, gRPC +12, control +20, the
   * gateway's operational endpoints +25, PostgreSQL +30.
   */
  readonly portBase?: number;
  /** Explicit ports (win over `portBase`), or `'auto'` for free ports chosen by the OS (tests). */
  readonly ports?: Partial<PortMap> | 'auto';
  /** Admin URL of an existing PostgreSQL server (connected mode). Without it PostgreSQL is embedded. */
  readonly databaseUrl?: string;
  /** Embedded PostgreSQL data directory. Default `<stateDir>/pg`. */
  readonly pgDataDir?: string;
  /** Extra `postgres` flags for the embedded server. */
  readonly pgFlags?: readonly string[];
  /** Database name prefix. Default `glassbox_`. */
  readonly dbPrefix?: string;
  /** Start the observatory. Default: when `observatory/server/src/main.ts` exists. */
  readonly observatory?: boolean;
  /** Extra environment for every child (e.g. OTEL_* variables); cannot override the wiring (ports, URLs). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where child output goes. Default `'inherit'` (pretty on the terminal). */
  readonly logs?: 'inherit' | 'silent' | LogSink;
  /** With `logs: 'inherit'`: print JSON lines instead of the pretty format. */
  readonly jsonLogs?: boolean;
  /** How to run a child; tests substitute small fixture scripts. Default `node <flags> <bundle>` (RUNTIME_FLAGS). */
  readonly command?: (target: CommandTarget) => { command: string; args: readonly string[] };
  readonly backoff?: Partial<BackoffPolicy>;
  /** Consecutive crashes before a process is left `crashed`. Default: never give up. */
  readonly maxRestarts?: number;
  /** Budget for the whole stack to become ready. Default 180 s. */
  readonly readyTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace per process. Default 10 s. */
  readonly stopTimeoutMs?: number;
  readonly readyPollMs?: number;
  /** `false`: resolve as soon as everything is spawned; await `stack.ready` yourself. Default true. */
  readonly waitReady?: boolean;
  readonly onEvent?: (event: ProcessEvent) => void;
}

/** Programmatic equivalent of the control API. */
export interface StackControl {
  list(): ProcessInfo[];
  get(name: string): ManagedProcess | undefined;
  start(name: string): Promise<ProcessInfo>;
  stop(name: string): Promise<ProcessInfo>;
  restart(name: string): Promise<ProcessInfo>;
  waitReady(name: string, timeoutMs?: number): Promise<void>;
}

export interface Stack {
  readonly mode: 'embedded' | 'connected';
  readonly urls: StackUrls;
  readonly ports: PortMap;
  /** Admin URL of the PostgreSQL server (embedded or the one given). */
  readonly databaseUrl: string;
  /** Each service's own database URL (no entry for the gateway). */
  readonly databases: Partial<Record<ServiceName, string>>;
  /**
   * The event bus every service is given as BUS_URL: RabbitMQ when BUS_URL (env or `options.env`) names one,
   * else the PostgreSQL database `<prefix>bus` on the stack's server.
   */
  readonly busUrl: string;
  readonly services: readonly ServiceName[];
  readonly observatory: boolean;
  readonly stateDir: string;
  readonly control: StackControl;
  readonly controlServer: ControlServer;
  readonly supervisor: Supervisor;
  /** Injected faults: the flagd flag file every service reads (GLASSBOX_FAULTS_FILE) and their ground truth. */
  readonly faults: FaultManager;
  /** Resolves when every process answered its readiness probe. */
  readonly ready: Promise<void>;
  /** Stops the services (gateway first), the observatory, the control API, then embedded PostgreSQL. */
  stop(): Promise<void>;
  /** Second Ctrl-C: SIGKILL everything now. */
  forceKill(): void;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');

const LOCAL = '127.0.0.1';

export function serviceEntry(rootDir: string, name: ServiceName): string {
  return path.join(rootDir, 'services', name, 'src', 'main.ts');
}

export function observatoryEntry(rootDir: string): string {
  return path.join(rootDir, 'observatory', 'server', 'src', 'main.ts');
}

function bundleOf(rootDir: string, target: 'observatory' | ServiceName): string {
  return target === 'observatory'
    ? path.join(rootDir, 'dist', 'observatory', 'main.js')
    : path.join(rootDir, 'dist', 'services', target, 'main.js');
}

/**
 * How every child runs its bundle. A 1 MB young generation (V8's default is 16 MB per semi-space) keeps an
 * idle service ~25 MB smaller for a few more scavenges under load (bench/footprint.ts measures both).
 * `--liftoff-only`: undici (the gateway's proxy, and `fetch` where it is still used) parses HTTP with llhttp
 * compiled to WebAssembly, and V8's tier-up of that module to optimised code held ~10 MB per process that made
 * HTTP calls with it; the baseline compiler's code is enough for a parser that runs a few microseconds per
 * response. `--no-maglev`: no mid-tier JIT, whose code and compile zones cost the busiest services 3–7 MB;
 * hot functions still reach TurboFan. Neither changed checkouts/s measurably (runtime-flags.test.ts checks the
 * memory; docs/performance.md has the numbers). Source maps are not enabled: they cost ~17 MB per process; the
 * bundles keep every function's name, and `NODE_OPTIONS=--enable-source-maps` turns them on for a debugging
 * session. The compile cache
 * (NODE_COMPILE_CACHE, in the state directory) lets a restart skip V8's parse and compile.
 */
export const RUNTIME_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--optimize-for-size',
  '--liftoff-only',
  '--no-maglev',
];

/** The port map for a base port (see `StackOptions.portBase`). */
export function portsFromBase(base: number): PortMap {
  const services = Object.fromEntries(SERVICES.map((s, i) => [s.name, base + i])) as Record<
    ServiceName,
    number
  >;
  return {
    ...services,
    observatory: base + 10,
    otlpHttp: base + 11,
    otlpGrpc: base + 12,
    control: base + 20,
    gatewayOps: base + 25,
    postgres: base + 30,
  };
}

export function defaultPorts(): PortMap {
  const services = Object.fromEntries(SERVICES.map((s) => [s.name, s.port])) as Record<ServiceName, number>;
  return { ...services, ...DEFAULT_PORTS };
}

const PORT_KEYS = [
  ...SERVICE_NAMES,
  'gatewayOps',
  'observatory',
  'otlpHttp',
  'otlpGrpc',
  'control',
  'postgres',
] as const;

/**
 * The ports of a stack. With `'auto'` the OS picks free ones; they are released before the processes bind them,
 * and on a busy machine another process may take one meanwhile (a parallel test's listener, an outgoing
 * connection's ephemeral port): a pick with a port taken by the time it is checked is replaced by a new one.
 */
export async function resolvePorts(
  options: Pick<StackOptions, 'ports' | 'portBase'>,
  choose: (count: number) => Promise<number[]> = freePorts,
): Promise<PortMap> {
  if (options.ports === 'auto') {
    for (let attempt = 1; ; attempt++) {
      const free = await choose(PORT_KEYS.length);
      const taken = await Promise.all(free.map((port) => portInUse(port)));
      if (!taken.includes(true) || attempt === 5) {
        return Object.fromEntries(PORT_KEYS.map((k, i) => [k, free[i]])) as PortMap;
      }
    }
  }
  const base = options.portBase !== undefined ? portsFromBase(options.portBase) : defaultPorts();
  return { ...base, ...(options.ports ?? {}) };
}

function urlsFor(ports: PortMap): StackUrls {
  const services = Object.fromEntries(SERVICE_NAMES.map((n) => [n, `http://${LOCAL}:${ports[n]}`])) as Record<
    ServiceName,
    string
  >;
  return {
    ...services,
    gatewayOps: `http://${LOCAL}:${ports.gatewayOps}`,
    observatory: `http://${LOCAL}:${ports.observatory}`,
    otlpHttp: `http://${LOCAL}:${ports.otlpHttp}`,
    otlpGrpc: `http://${LOCAL}:${ports.otlpGrpc}`,
    control: `http://${LOCAL}:${ports.control}`,
  };
}

function makeSink(options: StackOptions, sourceWidth: number): LogSink {
  const logs = options.logs ?? 'inherit';
  if (logs === 'silent') return () => undefined;
  if (typeof logs === 'function') return logs;
  return consoleSink({ json: options.jsonLogs ?? false, colour: useColour(process.stdout), sourceWidth });
}

function supervisorLine(sink: LogSink, level: 'info' | 'warn' | 'error', msg: string, fields = {}): void {
  sink(
    makeLine(
      'glassbox',
      'stdout',
      JSON.stringify({ level, time: new Date().toISOString(), service: 'glassbox', msg, ...fields }),
    ),
  );
}

/**
 * Before starting: refuses to run over a live supervisor using the same control port or the same embedded
 * PostgreSQL data, and cleans up after supervisors that were killed hard (their children run on in their
 * own process groups).
 */
async function reapOrphans(
  stateDir: string,
  controlPort: number,
  pgDataDir: string | null,
  sink: LogSink,
): Promise<void> {
  for (const record of await listRunRecords(stateDir)) {
    if (pidAlive(record.supervisorPid)) {
      const cmd = (await commandLine(record.supervisorPid)) ?? '';
      const isSupervisor = cmd === '' || cmd.includes('node');
      if (isSupervisor && record.controlPort === controlPort) {
        throw new Error(
          `glassbox already runs here (supervisor pid ${record.supervisorPid}, control API ` +
            `${record.controlUrl ?? record.controlPort}); stop it first`,
        );
      }
      if (isSupervisor && pgDataDir !== null && record.pgDataDir === pgDataDir) {
        throw new Error(
          `the embedded PostgreSQL data in ${pgDataDir} is in use by the supervisor pid ${record.supervisorPid}`,
        );
      }
      if (isSupervisor) continue;
    }
    const leftovers: RunChild[] = [];
    for (const child of record.children) {
      if (!pidAlive(child.pid)) continue;
      const cmd = (await commandLine(child.pid)) ?? '';
      if (child.match && cmd.includes(child.match)) leftovers.push(child);
    }
    for (const child of leftovers) {
      supervisorLine(sink, 'warn', `stopping ${child.name} (pid ${child.pid}) left over from a previous run`);
      try {
        if (child.name === 'postgres') process.kill(child.pid, 'SIGINT');
        else process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 15_000;
    while (leftovers.some((c) => pidAlive(c.pid)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const child of leftovers) {
      if (!pidAlive(child.pid)) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeRunRecord(stateDir, record.controlPort);
  }
}

/**
 * Starts the whole system: PostgreSQL (embedded or given), the per-service databases, the observatory, every
 * service as its own process (restarted with backoff when it crashes) and the control API. `glassbox start`
 * is a thin shell over this; tests call it with free ports, a database prefix and fixture commands.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const rootDir = path.resolve(options.rootDir ?? REPO_ROOT);
  const stateDir = path.resolve(options.stateDir ?? defaultStateDir(rootDir));
  const dbPrefix = options.dbPrefix ?? DEFAULT_DB_PREFIX;
  if (!/^[a-z_][a-z0-9_]*$/.test(dbPrefix))
    throw new Error(`invalid database prefix ${JSON.stringify(dbPrefix)}`);
  const selected = options.services ?? SERVICE_NAMES;
  for (const name of selected) if (!isServiceName(name)) throw new Error(`unknown service ${name}`);
  const services = SERVICE_NAMES.filter((n) => selected.includes(n));
  const observatory = options.observatory ?? existsSync(observatoryEntry(rootDir));
  const sourceWidth = Math.max('glassbox'.length, 'observatory'.length, ...services.map((s) => s.length));
  const sink = makeSink(options, sourceWidth);

  if (!options.command) {
    const missing = [
      ...services.map((s) => serviceEntry(rootDir, s)),
      ...(observatory ? [observatoryEntry(rootDir)] : []),
    ].filter((f) => !existsSync(f));
    if (missing.length > 0) {
      throw new Error(
        `missing entry points:\n  ${missing.map((f) => path.relative(rootDir, f)).join('\n  ')}\n` +
          'start a subset with --services (and --no-observatory)',
      );
    }
  }

  await fs.mkdir(stateDir, { recursive: true });
  const ports = await resolvePorts(options);
  const urls = urlsFor(ports);
  const mode = options.databaseUrl ? 'connected' : 'embedded';
  const pgDataDir = mode === 'embedded' ? path.resolve(options.pgDataDir ?? path.join(stateDir, 'pg')) : null;
  await reapOrphans(stateDir, ports.control, pgDataDir, sink);

  const toCheck: Array<[string, number]> = [
    ...services.map((s): [string, number] => [s, ports[s]]),
    ...(services.includes('gateway')
      ? ([['gateway operational', ports.gatewayOps]] as Array<[string, number]>)
      : []),
    ['control', ports.control],
    ...(observatory
      ? ([
          ['observatory', ports.observatory],
          ['OTLP HTTP', ports.otlpHttp],
          ['OTLP gRPC', ports.otlpGrpc],
        ] as Array<[string, number]>)
      : []),
    ...(mode === 'embedded' ? ([['PostgreSQL', ports.postgres]] as Array<[string, number]>) : []),
  ];
  const busy: string[] = [];
  for (const [what, port] of toCheck) if (await portInUse(port)) busy.push(`${what} ${port}`);
  if (busy.length > 0) {
    throw new Error(`ports already in use: ${busy.join(', ')} (is glassbox already running?)`);
  }

  let embedded: EmbeddedPostgres | undefined;
  let supervisorRef: Supervisor | undefined;
  // Last-resort cleanup if this process exits without stop(): no child may outlive the supervisor.
  const onProcessExit = (): void => {
    for (const { pid } of supervisorRef?.pids() ?? []) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (embedded) {
      try {
        process.kill(embedded.pid, 'SIGINT');
      } catch {
        // gone
      }
    }
  };
  process.on('exit', onProcessExit);
  let pgStopping = false;
  try {
    return await assemble();
  } catch (err) {
    pgStopping = true;
    await embedded?.stop().catch(() => undefined);
    process.off('exit', onProcessExit);
    throw err;
  }

  async function assemble(): Promise<Stack> {
    // PostgreSQL
    let adminUrl: string;
    if (pgDataDir === null) {
      adminUrl = options.databaseUrl ?? '';
    } else {
      supervisorLine(
        sink,
        'info',
        `starting embedded PostgreSQL on port ${ports.postgres} (data ${pgDataDir})`,
      );
      embedded = await startEmbeddedPostgres({
        dataDir: pgDataDir,
        port: ports.postgres,
        postgresFlags: options.pgFlags,
        onLog: (line) => sink(makeLine('postgres', 'stderr', line)),
      });
      adminUrl = embedded.adminUrl;
    }

    const dbNames = services.flatMap((s) => {
      const db = databaseName(serviceDef(s), dbPrefix);
      return db === null ? [] : [[s, db] as const];
    });
    const givenBus = options.env?.BUS_URL ?? process.env.BUS_URL;
    const busDb = givenBus ? null : `${dbPrefix}bus`;
    let created: string[];
    try {
      created = await ensureDatabases(adminUrl, [...dbNames.map(([, db]) => db), ...(busDb ? [busDb] : [])]);
    } catch (err) {
      await embedded?.stop();
      throw new Error(`cannot prepare databases on ${redactUrl(adminUrl)}: ${(err as Error).message}`);
    }
    if (created.length > 0) supervisorLine(sink, 'info', `created databases ${created.join(', ')}`);
    const busUrl = givenBus ?? databaseUrlFor(adminUrl, busDb ?? `${dbPrefix}bus`);
    // Its schema once, here: the services starting together would race to create it.
    try {
      await (await import('@glassbox/kit/bus')).prepareBus(busUrl);
    } catch (err) {
      await embedded?.stop();
      throw new Error(`cannot prepare the event bus at ${redactUrl(busUrl)}: ${(err as Error).message}`);
    }
    supervisorLine(
      sink,
      'info',
      `event bus: ${/^amqps?:/.test(busUrl) ? 'RabbitMQ' : 'PostgreSQL'} at ${redactUrl(busUrl)}`,
    );
    const databases: Partial<Record<ServiceName, string>> = Object.fromEntries(
      dbNames.map(([s, db]) => [s, databaseUrlFor(adminUrl, db)]),
    );

    const token = await internalToken(stateDir);

    // Environment and process specs
    const { PAYMENT_WEBHOOK_SECRET: givenWebhookSecret, ...extraEnv } = options.env ?? {};
    const timeScale = stackTimeScale({ ...process.env, ...extraEnv });
    const baseEnv: NodeJS.ProcessEnv = { ...process.env };
    delete baseEnv.DATABASE_URL;
    delete baseEnv.PAYMENT_WEBHOOK_SECRET;
    // Only the payment service verifies provider callbacks, so only it gets their secret: the one given (a real
    // provider's), else this installation's own.
    const serviceSecrets: Partial<Record<ServiceName, NodeJS.ProcessEnv>> = {
      payment: {
        PAYMENT_WEBHOOK_SECRET:
          givenWebhookSecret || process.env.PAYMENT_WEBHOOK_SECRET || (await webhookSecret(stateDir)),
      },
    };
    const userOtlp = extraEnv.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const otlpEndpoint = userOtlp || (observatory ? urls.otlpHttp : undefined);
    const serviceUrlEnv = Object.fromEntries(SERVICES.map((s) => [s.urlEnv, urls[s.name]]));
    const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    const commandFor =
      options.command ??
      ((target: CommandTarget) => ({ command: process.execPath, args: [...RUNTIME_FLAGS, target.bundle] }));
    if (!options.command) {
      // Run what the sources say: rebuild dist/ (and the console) when a source changed since the last build.
      await ensureBuilt({
        root: rootDir,
        console: observatory,
        log: (line) => supervisorLine(sink, 'info', line),
      });
    }
    baseEnv.NODE_COMPILE_CACHE ??= path.join(stateDir, 'compile-cache');
    // glibc gives every thread that allocates its own arena and keeps freed memory in it; libuv's pool threads
    // (scrypt, WebCrypto, zlib) would each pin tens of MB after a burst. Two arenas keep a service's RSS flat.
    baseEnv.MALLOC_ARENA_MAX ??= '2';
    // …and a fixed mmap threshold: glibc otherwise raises it after the first large free, so scrypt's 16 MB
    // buffers land in the arenas and stay (auth grew by ~50 MB after a few logins).
    baseEnv.MALLOC_MMAP_THRESHOLD_ ??= '131072';

    // Faults: a flagd flag file per stack, empty at start, kept by the supervisor; every service reads it.
    const faults = new FaultManager({
      file: path.join(stateDir, `faults-${ports.control}.flagd.json`),
      services,
      dependenciesOf: (name) =>
        isServiceName(name)
          ? manifestEntry(name).dependsOn.filter((d: string) => (services as string[]).includes(d))
          : [],
      observatoryUrl: observatory ? urls.observatory : undefined,
      log: (level, message, fields) => supervisorLine(sink, level, message, fields),
    });
    await faults.init();
    // Services that receive alerts (the healer) get the observatory's notifications, beside any given ones.
    const alertWebhooks = [
      ...(extraEnv.OBSERVATORY_ALERT_WEBHOOKS ?? process.env.OBSERVATORY_ALERT_WEBHOOKS ?? '')
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean),
      ...services.flatMap((name) => {
        const path = manifestEntry(name).alertWebhookPath;
        return path ? [`${urls[name]}${path}`] : [];
      }),
    ];
    const platformUrls: Record<PlatformEndpoint, string | undefined> = {
      control: urls.control,
      observatory: observatory ? urls.observatory : undefined,
      gatewayOps: services.includes('gateway') ? urls.gatewayOps : undefined,
    };

    const specs: ProcessSpec[] = [];
    if (observatory) {
      await fs.mkdir(path.join(stateDir, 'observatory'), { recursive: true });
      const entry = observatoryEntry(rootDir);
      const { command, args } = commandFor({
        name: 'observatory',
        kind: 'observatory',
        entry,
        bundle: bundleOf(rootDir, 'observatory'),
      });
      specs.push({
        name: 'observatory',
        command,
        args,
        cwd: rootDir,
        env: {
          ...baseEnv,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
          ...timeScale.observatory,
          ...extraEnv,
          HOST: LOCAL,
          OBSERVATORY_PORT: String(ports.observatory),
          OTLP_HTTP_PORT: String(ports.otlpHttp),
          OTLP_GRPC_PORT: String(ports.otlpGrpc),
          OBSERVATORY_DATA_DIR: path.join(stateDir, 'observatory'),
          CONTROL_URL: urls.control,
          DEPLOYMENT_ENVIRONMENT: 'local',
          ...(alertWebhooks.length > 0 ? { OBSERVATORY_ALERT_WEBHOOKS: alertWebhooks.join(',') } : {}),
          ...(services.includes('healer') ? { HEALER_URL: urls.healer } : {}),
        },
        port: ports.observatory,
        readyUrl: `${urls.observatory}/api/services`,
        startStage: 0,
        stopStage: 100,
        stopTimeoutMs,
      });
    }
    for (const name of services) {
      const def = serviceDef(name);
      const entry = serviceEntry(rootDir, name);
      const { command, args } = commandFor({ name, kind: 'service', entry, bundle: bundleOf(rootDir, name) });
      const env: NodeJS.ProcessEnv = {
        ...baseEnv,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        ...timeScale.services,
        ...extraEnv,
        PORT: String(ports[name]),
        HOST: LOCAL,
        OTEL_SERVICE_NAME: name,
        ...serviceUrlEnv,
        INTERNAL_TOKEN: token,
        ...serviceSecrets[name],
        BUS_URL: busUrl,
        SEED_DEMO: 'true',
        DEPLOYMENT_ENVIRONMENT: 'local',
        [FAULTS_FILE_ENV]: faults.file,
      };
      if (name === 'gateway') Object.assign(env, { OPS_PORT: String(ports.gatewayOps), OPS_HOST: LOCAL });
      for (const endpoint of manifestEntry(name).platform ?? []) {
        const url = platformUrls[endpoint];
        if (url) env[PLATFORM_URL_ENV[endpoint]] = url;
      }
      if (otlpEndpoint) env.OTEL_EXPORTER_OTLP_ENDPOINT = otlpEndpoint;
      const dbUrl = databases[name];
      if (dbUrl) env.DATABASE_URL = dbUrl;
      specs.push({
        name,
        command,
        args,
        cwd: rootDir,
        env,
        port: ports[name],
        readyUrl: `${urls[name]}/readyz`,
        startStage: 1,
        stopStage: def.stopStage,
        stopTimeoutMs,
      });
    }

    let recordTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    const supervisor: Supervisor = new Supervisor(specs, {
      backoff: { ...DEFAULT_BACKOFF, ...(options.backoff ?? {}) },
      maxRestarts: options.maxRestarts,
      readyPollMs: options.readyPollMs,
      onLog: sink,
      onEvent: (event) => {
        if (event.type === 'spawn') scheduleRecord();
        options.onEvent?.(event);
      },
    });
    supervisorRef = supervisor;

    const writeRecord = async (): Promise<void> => {
      if (stopped) return;
      await writeRunRecord(stateDir, {
        supervisorPid: process.pid,
        startedAt: new Date().toISOString(),
        controlPort: ports.control,
        controlUrl: urls.control,
        pgDataDir,
        children: [
          ...supervisor
            .all()
            .flatMap((p) =>
              p.pid === null
                ? []
                : [{ name: p.name, pid: p.pid, match: p.spec.args.at(-1) ?? p.spec.command }],
            ),
          ...(embedded ? [{ name: 'postgres', pid: embedded.pid, match: embedded.dataDir }] : []),
        ],
      });
    };
    function scheduleRecord(): void {
      if (recordTimer) return;
      recordTimer = setTimeout(() => {
        recordTimer = undefined;
        writeRecord().catch(() => undefined);
      }, 100);
    }

    // Embedded PostgreSQL is supervised too: restarted with backoff if it dies on its own.
    const watchPostgres = (pgProc: EmbeddedPostgres, attempt: number): void => {
      void pgProc.exited.then(async ({ code, signal }) => {
        if (pgStopping) return;
        const delay = backoffDelay(attempt + 1, { ...DEFAULT_BACKOFF, ...(options.backoff ?? {}) });
        supervisorLine(
          sink,
          'error',
          `PostgreSQL exited (code ${code}, signal ${signal}); restarting in ${delay} ms`,
        );
        await new Promise((r) => setTimeout(r, delay));
        if (pgStopping) return;
        try {
          embedded = await startEmbeddedPostgres({
            dataDir: pgProc.dataDir,
            port: pgProc.port,
            postgresFlags: options.pgFlags,
            onLog: (line) => sink(makeLine('postgres', 'stderr', line)),
          });
          supervisorLine(sink, 'info', 'PostgreSQL is back');
          scheduleRecord();
          watchPostgres(embedded, 0);
        } catch (err) {
          supervisorLine(sink, 'error', `PostgreSQL restart failed: ${(err as Error).message}`);
          watchPostgres(pgProc, attempt + 1);
        }
      });
    };
    if (embedded) watchPostgres(embedded, 0);

    let controlServer: ControlServer;
    try {
      controlServer = await startControlServer(supervisor, {
        port: ports.control,
        faults,
        info: () => ({
          mode,
          database: redactUrl(adminUrl),
          urls,
        }),
      });
    } catch (err) {
      pgStopping = true;
      await embedded?.stop();
      throw err;
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        faults.close();
        await supervisor.shutdown();
        await controlServer.close();
        pgStopping = true;
        await embedded?.stop();
        stopped = true;
        clearTimeout(recordTimer);
        await removeRunRecord(stateDir, ports.control).catch(() => undefined);
        process.off('exit', onProcessExit);
      })();
      return stopping;
    };
    const forceKill = (): void => {
      pgStopping = true;
      supervisor.forceKill();
      embedded?.kill();
    };

    await writeRecord();
    const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
    const ready = supervisor.startAll(readyTimeoutMs);
    // Avoid an unhandled rejection when the caller does not await `ready` (waitReady: false).
    ready.catch(() => undefined);

    const requireProcess = (name: string): ManagedProcess => {
      const proc = supervisor.get(name);
      if (!proc) throw new Error(`unknown service ${name}`);
      return proc;
    };
    const control: StackControl = {
      list: () => supervisor.list(),
      get: (name) => supervisor.get(name),
      start: async (name) => {
        const p = requireProcess(name);
        await p.start();
        return p.info();
      },
      stop: async (name) => {
        const p = requireProcess(name);
        await p.stop();
        return p.info();
      },
      restart: async (name) => {
        const p = requireProcess(name);
        await p.restart();
        return p.info();
      },
      waitReady: (name, timeoutMs = 60_000) => requireProcess(name).waitReady(timeoutMs),
    };

    const stack: Stack = {
      mode,
      urls,
      ports,
      databaseUrl: adminUrl,
      databases,
      busUrl,
      services,
      observatory,
      stateDir,
      control,
      controlServer,
      supervisor,
      faults,
      ready,
      stop,
      forceKill,
    };

    if (options.waitReady ?? true) {
      try {
        await ready;
      } catch (err) {
        await stop();
        if (err instanceof NotReadyError) {
          const details = err.processes
            .map((p) => `--- ${p.name} (${p.state}), last lines:\n${p.recentLogs.slice(-20).join('\n')}`)
            .join('\n');
          throw new Error(`${err.message}\n${details}`);
        }
        throw err;
      }
    }
    return stack;
  }
}

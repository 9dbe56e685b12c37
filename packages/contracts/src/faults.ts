/**
 * The fault catalogue: what can be injected, where the kit applies it, which parameters it takes and their
 * ranges. The supervisor validates injections against it, writes active faults into a flagd flag file, and
 * every service reads them back through OpenFeature (packages/kit/src/faults). One list, shared by the CLI,
 * the control API, the observatory and the kit.
 */

/** Where a fault is applied. */
export type FaultSeam = 'request' | 'db' | 'http-client' | 'bus' | 'process';

/**
 * `process`: lives in the process that was running when it was injected and ends when that process restarts.
 * `environment`: applies to every process of the service until it ends or is cleared.
 */
export type FaultScope = 'process' | 'environment';

export type FaultParamName = 'rate' | 'ms' | 'jitterMs' | 'status' | 'kb';

export interface FaultParamSpec {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  readonly integer: boolean;
  readonly description: string;
}

const RATE: FaultParamSpec = {
  min: 0.01,
  max: 1,
  default: 1,
  integer: false,
  description: 'share of matching requests affected',
};
const ms = (def: number, max: number, description: string): FaultParamSpec => ({
  min: 1,
  max,
  default: def,
  integer: true,
  description,
});
const JITTER: FaultParamSpec = { min: 0, max: 60_000, default: 0, integer: true, description: '± random ms' };

export interface FaultKindSpec {
  readonly seam: FaultSeam;
  readonly scope: FaultScope;
  readonly description: string;
  /** Takes `--route` (request seam): only requests whose route template or path matches. */
  readonly route: boolean;
  /** Requires `--dependency`: the outbound dependency (another service's name) it affects. */
  readonly dependency: boolean;
  /**
   * The fault models a bad release of the service (what is deployed is broken, not the process or its
   * surroundings): rolling the release back is an honest remediation, and it is the only kind the healer's
   * `rollback-release` action (the control API's `POST /services/:name/rollback`) ends. Default false.
   */
  readonly badRelease?: boolean;
  readonly params: Readonly<Partial<Record<FaultParamName, FaultParamSpec>>>;
}

export const FAULT_CATALOGUE = {
  latency: {
    seam: 'request',
    scope: 'environment',
    description: 'incoming requests are delayed by ms ± jitterMs',
    route: true,
    dependency: false,
    params: { ms: ms(500, 60_000, 'added delay'), jitterMs: JITTER, rate: RATE },
  },
  error: {
    seam: 'request',
    scope: 'environment',
    description: 'incoming requests answer a 5xx problem at a rate',
    route: true,
    dependency: false,
    params: {
      rate: RATE,
      status: { min: 500, max: 599, default: 500, integer: true, description: 'HTTP status' },
    },
  },
  hang: {
    seam: 'request',
    scope: 'process',
    description: 'requests are accepted and never answered (/healthz still answers)',
    route: true,
    dependency: false,
    params: { rate: RATE },
  },
  'event-loop-block': {
    seam: 'request',
    scope: 'process',
    description: 'each matching request blocks the event loop for ms',
    route: true,
    dependency: false,
    params: { ms: ms(200, 10_000, 'blocking time per request'), rate: RATE },
  },
  crash: {
    seam: 'process',
    scope: 'process',
    description: 'the process exits (once; its restart is healthy)',
    route: false,
    dependency: false,
    params: {},
  },
  'crash-loop': {
    seam: 'process',
    scope: 'environment',
    description: 'the process exits ms after every start (a bad release: a rollback ends it)',
    route: false,
    dependency: false,
    badRelease: true,
    params: { ms: ms(1_000, 60_000, 'time from start (or injection) to exit') },
  },
  'memory-leak': {
    seam: 'request',
    scope: 'process',
    description: 'each request retains kb of memory until the process restarts',
    route: true,
    dependency: false,
    params: {
      kb: { min: 1, max: 10_240, default: 512, integer: true, description: 'KiB retained per request' },
    },
  },
  'cpu-burn': {
    seam: 'process',
    scope: 'process',
    description: 'a busy loop takes rate of one core',
    route: false,
    dependency: false,
    params: { rate: { ...RATE, default: 0.5, description: 'share of one core burnt' } },
  },
  'db-slow': {
    seam: 'db',
    scope: 'environment',
    description: 'every database statement is delayed by ms ± jitterMs',
    route: false,
    dependency: false,
    params: { ms: ms(300, 30_000, 'added delay per statement'), jitterMs: JITTER },
  },
  'db-down': {
    seam: 'db',
    scope: 'environment',
    description: 'the pool fails to connect: every statement fails',
    route: false,
    dependency: false,
    params: {},
  },
  'pool-exhaustion': {
    seam: 'db',
    scope: 'environment',
    description: 'every pooled connection is checked out and held: statements wait, then time out',
    route: false,
    dependency: false,
    params: {},
  },
  'dependency-error': {
    seam: 'http-client',
    scope: 'environment',
    description: 'calls to one dependency fail with a 5xx at a rate',
    route: false,
    dependency: true,
    params: {
      rate: RATE,
      status: { min: 500, max: 599, default: 503, integer: true, description: 'HTTP status' },
    },
  },
  'dependency-latency': {
    seam: 'http-client',
    scope: 'environment',
    description: 'calls to one dependency are delayed by ms ± jitterMs',
    route: false,
    dependency: true,
    params: { ms: ms(1_000, 60_000, 'added delay'), jitterMs: JITTER, rate: RATE },
  },
  'broker-stall': {
    seam: 'bus',
    scope: 'environment',
    description: 'bus publishes block until the fault ends',
    route: false,
    dependency: false,
    params: {},
  },
} as const satisfies Record<string, FaultKindSpec>;

export type FaultKind = keyof typeof FAULT_CATALOGUE;
export const FAULT_KINDS = Object.keys(FAULT_CATALOGUE) as FaultKind[];

export function isFaultKind(kind: string): kind is FaultKind {
  return Object.hasOwn(FAULT_CATALOGUE, kind);
}

/** Whether faults of `kind` model a bad release (see FaultKindSpec.badRelease): a rollback may end them. */
export function modelsBadRelease(kind: FaultKind): boolean {
  return (FAULT_CATALOGUE[kind] as FaultKindSpec).badRelease === true;
}

/** The name of who ended a fault, as `by` is for who injected it. */
export const FAULT_ACTOR = /^[\w.@-]{1,64}$/;

/** How long a fault lasts when no duration is given, and the longest allowed. */
export const FAULT_DEFAULT_DURATION_MS = 5 * 60_000;
export const FAULT_MAX_DURATION_MS = 24 * 3_600_000;

/** A fault as recorded (ground truth) and as carried in the flag file. */
export interface Fault {
  readonly id: string;
  readonly kind: FaultKind;
  readonly service: string;
  readonly route?: string;
  readonly dependency?: string;
  /** Every parameter of the kind, defaults filled in. */
  readonly params: Readonly<Partial<Record<FaultParamName, number>>>;
  /** ISO 8601. */
  readonly startedAt: string;
  /** When it ends on its own (ISO 8601). */
  readonly endsAt: string;
  /** When it did end (cleared, expired), or null while active. */
  readonly endedAt: string | null;
  /** Who injected it (`cli`, `console`, `drill`, a user name). */
  readonly by: string;
  /**
   * Who ended it: the `by` of whoever cleared it (`cli`, `drill`, `healer` when it rolled back a bad release, …),
   * `expired` when it ran out on its own; absent while active (and in records from before it was kept).
   */
  readonly endedBy?: string;
}

/** What a client asks for. */
export interface FaultRequest {
  kind?: unknown;
  service?: unknown;
  route?: unknown;
  dependency?: unknown;
  rate?: unknown;
  ms?: unknown;
  jitterMs?: unknown;
  status?: unknown;
  kb?: unknown;
  /** Duration in ms. */
  forMs?: unknown;
  by?: unknown;
}

export interface FaultProblem {
  /** The member at fault (`kind`, `service`, `rate`, …). */
  readonly field: string;
  readonly message: string;
}

export type ValidatedFault = Omit<Fault, 'id' | 'startedAt' | 'endsAt' | 'endedAt'> & { forMs: number };

const FIELDS = new Set([
  'kind',
  'service',
  'route',
  'dependency',
  'rate',
  'ms',
  'jitterMs',
  'status',
  'kb',
  'forMs',
  'by',
]);

/**
 * Checks a fault request against the catalogue and the stack's services. Every problem names the field and
 * the value; an empty `problems` means the fault can be injected as `fault`.
 */
export function validateFaultRequest(
  input: unknown,
  services: readonly string[],
  dependenciesOf: (service: string) => readonly string[] = () => services,
): { fault?: ValidatedFault; problems: FaultProblem[] } {
  const problems: FaultProblem[] = [];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { problems: [{ field: 'body', message: 'must be a JSON object' }] };
  }
  const req = input as Record<string, unknown>;
  for (const key of Object.keys(req)) {
    if (!FIELDS.has(key)) problems.push({ field: key, message: `unknown field ${JSON.stringify(key)}` });
  }
  const kind = req.kind;
  if (typeof kind !== 'string' || !isFaultKind(kind)) {
    problems.push({
      field: 'kind',
      message: `unknown fault kind ${JSON.stringify(kind)}; known: ${FAULT_KINDS.join(', ')}`,
    });
  }
  const service = req.service;
  if (typeof service !== 'string' || !services.includes(service)) {
    problems.push({
      field: 'service',
      message: `unknown service ${JSON.stringify(service)}; known: ${services.join(', ')}`,
    });
  }
  const spec: FaultKindSpec | undefined =
    typeof kind === 'string' && isFaultKind(kind) ? FAULT_CATALOGUE[kind] : undefined;

  let route: string | undefined;
  if (req.route !== undefined) {
    if (spec && !spec.route) {
      problems.push({ field: 'route', message: `${String(kind)} does not take a route` });
    } else if (typeof req.route !== 'string' || !/^\/[\x21-\x7e]{0,255}$/.test(req.route)) {
      problems.push({
        field: 'route',
        message: `${JSON.stringify(req.route)} is not a path (it starts with /, no spaces)`,
      });
    } else route = req.route;
  }
  let dependency: string | undefined;
  if (spec?.dependency) {
    const deps = typeof service === 'string' ? dependenciesOf(service) : [];
    if (typeof req.dependency !== 'string' || !deps.includes(req.dependency)) {
      problems.push({
        field: 'dependency',
        message:
          req.dependency === undefined
            ? `${String(kind)} needs a dependency (one of: ${deps.join(', ') || 'none'})`
            : `unknown dependency ${JSON.stringify(req.dependency)} of ${String(service)}; known: ${deps.join(', ') || 'none'}`,
      });
    } else dependency = req.dependency;
  } else if (req.dependency !== undefined && spec) {
    problems.push({ field: 'dependency', message: `${String(kind)} does not take a dependency` });
  }

  const params: Partial<Record<FaultParamName, number>> = {};
  for (const name of ['rate', 'ms', 'jitterMs', 'status', 'kb'] as const) {
    const given = req[name];
    const p: FaultParamSpec | undefined = spec ? (spec.params as FaultKindSpec['params'])[name] : undefined;
    if (given === undefined) {
      if (p) params[name] = p.default;
      continue;
    }
    if (!spec) continue;
    if (!p) {
      problems.push({ field: name, message: `${String(kind)} does not take ${name}` });
      continue;
    }
    const problem = checkNumber(given, p);
    if (problem) problems.push({ field: name, message: `${JSON.stringify(given)} ${problem}` });
    else params[name] = given as number;
  }

  let forMs = FAULT_DEFAULT_DURATION_MS;
  if (req.forMs !== undefined) {
    const problem = checkNumber(req.forMs, {
      min: 1_000,
      max: FAULT_MAX_DURATION_MS,
      integer: true,
      default: 0,
      description: '',
    });
    if (problem) problems.push({ field: 'for', message: `${JSON.stringify(req.forMs)} ms ${problem}` });
    else forMs = req.forMs as number;
  }
  let by = 'unknown';
  if (req.by !== undefined) {
    if (typeof req.by !== 'string' || !FAULT_ACTOR.test(req.by)) {
      problems.push({
        field: 'by',
        message: `${JSON.stringify(req.by)} is not a name (letters, digits, .@_-)`,
      });
    } else by = req.by;
  }
  if (problems.length > 0 || !spec) return { problems };
  return {
    problems,
    fault: {
      kind: kind as FaultKind,
      service: service as string,
      ...(route === undefined ? {} : { route }),
      ...(dependency === undefined ? {} : { dependency }),
      params,
      by,
      forMs,
    },
  };
}

function checkNumber(value: unknown, spec: FaultParamSpec): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'is not a number';
  if (spec.integer && !Number.isInteger(value)) return 'is not a whole number';
  if (value < spec.min || value > spec.max) return `is out of range (${spec.min}–${spec.max})`;
  return undefined;
}

/** The flagd flag key that carries the active faults of one kind. */
export function faultFlagKey(kind: FaultKind): string {
  return `glassbox-fault-${kind}`;
}

/** The value of a fault flag: the active faults of its kind for the evaluated service. */
export interface FaultFlagValue {
  readonly faults: readonly Fault[];
}

/**
 * The flagd flag-definition document (https://flagd.dev/reference/flag-definitions/) for a set of active
 * faults: one object flag per kind, with a variant per targeted service, chosen by targeting on the evaluation
 * context's `service`. A service evaluates every kind with `{ service: <its name> }`.
 */
export function faultFlagDocument(active: readonly Fault[]): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const kind of FAULT_KINDS) {
    const byService = new Map<string, Fault[]>();
    for (const f of active) {
      if (f.kind !== kind) continue;
      byService.set(f.service, [...(byService.get(f.service) ?? []), f]);
    }
    const variants: Record<string, FaultFlagValue> = { none: { faults: [] } };
    const branches: unknown[] = [];
    for (const [service, faults] of byService) {
      variants[service] = { faults };
      branches.push({ '==': [{ var: 'service' }, service] }, service);
    }
    flags[faultFlagKey(kind)] = {
      state: 'ENABLED',
      variants,
      defaultVariant: 'none',
      ...(branches.length > 0 ? { targeting: { if: [...branches, 'none'] } } : {}),
    };
  }
  return { $schema: 'https://flagd.dev/schema/v0/flags.json', flags };
}

/** The environment variable through which the supervisor hands every service the path of the flag file. */
export const FAULTS_FILE_ENV = 'GLASSBOX_FAULTS_FILE';

import {
  FAULT_CATALOGUE,
  FAULT_KINDS,
  type Fault,
  type FaultKindSpec,
  type FaultProblem,
  validateFaultRequest,
} from '@glassbox/contracts';
import { parseCommandLine, parseDuration, parsePort, UsageError } from '../args.js';
import { callControl } from '../control-client.js';
import {
  clearInStore,
  type FlagDocumentStore,
  fileStore,
  injectIntoStore,
  listInStore,
} from '../faults/flag-store.js';
import { recordInObservatory } from '../faults/manager.js';
import { DEFAULT_PORTS, SERVICE_NAMES } from '../services.js';

export const CHAOS_USAGE = `Usage: glassbox chaos list
       glassbox chaos inject KIND --service S [--route R] [--dependency D] [--rate N] [--ms N]
                             [--jitter N] [--status N] [--kb N] [--for 2m] [--by NAME]
       glassbox chaos clear [ID] [--by NAME]

Injects faults into a running \`glassbox start\` through its control API (127.0.0.1:$GLASSBOX_CONTROL_PORT,
default ${DEFAULT_PORTS.control}). Every injection is recorded in the observatory (GET /api/faults).

Where a real flagd serves the faults (docker compose, Kubernetes), the same commands edit its flag document:
  --flags-file <path>   a flagd flag file (compose: deploy/compose/faults.flagd.json)
  --kubernetes          the glassbox-faults ConfigMap, through the local kubeconfig
  --namespace <ns>      its namespace (default: the kubeconfig context's)
  --observatory <url>   record each start and end there too (GET /api/faults)
Each fault ends on its own at its time (the services stop applying it); clear ends it at once.

Kinds: ${FAULT_KINDS.join(', ')}

Options:
  --service <name>      the target service (required for inject)
  --route <path>        only requests to this route template or path (request faults)
  --dependency <name>   the outbound dependency (dependency-error, dependency-latency)
  --rate <0.01–1>       share of requests affected (or of a core, cpu-burn)
  --ms <n>              delay / blocking time / crash-loop delay in ms
  --jitter <n>          ± random ms added to the delay
  --status <500–599>    the status answered (error, dependency-error)
  --kb <n>              KiB retained per request (memory-leak)
  --for <duration>      automatic end (default 5m; e.g. 30s, 2m, 1h)
  --by <name>           who injects (or clears) it (default cli)
  --control <port>      control API port
  --json                print the JSON answer
  -h, --help            show this help

Bad input (unknown kind or service, a value out of range) exits 2 and injects nothing.
`;

const NUMBERS = { rate: 'rate', ms: 'ms', jitter: 'jitterMs', status: 'status', kb: 'kb' } as const;

export function describeCatalogue(): string {
  return FAULT_KINDS.map((kind) => {
    const spec: FaultKindSpec = FAULT_CATALOGUE[kind];
    const params = Object.entries(spec.params)
      .map(([name, p]) => `${name} ${p.min}–${p.max} (default ${p.default})`)
      .join(', ');
    const extra = [spec.route ? '[--route]' : '', spec.dependency ? '--dependency' : '']
      .filter(Boolean)
      .join(' ');
    return `${kind.padEnd(19)} ${spec.scope.padEnd(11)} ${spec.description}${extra ? ` ${extra}` : ''}${params ? `; ${params}` : ''}`;
  }).join('\n');
}

export function formatFaults(faults: readonly Fault[]): string {
  if (faults.length === 0) return 'no faults';
  const rows = faults.map((f) => [
    f.id,
    f.kind,
    f.service + (f.route ? ` ${f.route}` : '') + (f.dependency ? ` → ${f.dependency}` : ''),
    Object.entries(f.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ') || '-',
    f.startedAt,
    f.endedAt ? `ended ${f.endedAt}` : `until ${f.endsAt}`,
    f.by,
  ]);
  const header = ['ID', 'KIND', 'TARGET', 'PARAMS', 'STARTED', 'END', 'BY'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Reads `inject`'s options into a fault request. Numbers are passed on as numbers when they read as one, as
 * the text otherwise, so that the catalogue's validation names the value it refuses.
 */
export function faultRequestFrom(kind: string, values: Record<string, string | boolean | undefined>) {
  const body: Record<string, unknown> = { kind, by: typeof values.by === 'string' ? values.by : 'cli' };
  for (const key of ['service', 'route', 'dependency'] as const) {
    if (typeof values[key] === 'string') body[key] = values[key];
  }
  for (const [flag, field] of Object.entries(NUMBERS)) {
    const text = values[flag];
    if (typeof text !== 'string') continue;
    body[field] = /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text;
  }
  if (typeof values.for === 'string') body.forMs = parseDuration(values.for, 'for');
  return body;
}

/** `glassbox chaos list | inject | clear`. */
export async function runChaos(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    service: { type: 'string' },
    route: { type: 'string' },
    dependency: { type: 'string' },
    rate: { type: 'string' },
    ms: { type: 'string' },
    jitter: { type: 'string' },
    status: { type: 'string' },
    kb: { type: 'string' },
    for: { type: 'string' },
    by: { type: 'string' },
    control: { type: 'string' },
    'flags-file': { type: 'string' },
    kubernetes: { type: 'boolean' },
    namespace: { type: 'string' },
    observatory: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help) {
    process.stdout.write(CHAOS_USAGE);
    return 0;
  }
  const [action, arg, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}`);
  const flagsFile = values['flags-file'];
  if (flagsFile !== undefined || values.kubernetes) {
    if (flagsFile !== undefined && values.kubernetes) {
      throw new UsageError('say --flags-file or --kubernetes, not both');
    }
    if (values.control)
      throw new UsageError('--control is for a running glassbox start, not a flag document');
    if (values.observatory !== undefined && !/^https?:\/\//.test(values.observatory)) {
      throw new UsageError(`--observatory: ${JSON.stringify(values.observatory)} is not an http(s) URL`);
    }
    const store = flagsFile !== undefined ? fileStore(flagsFile) : await kubernetesStore(values.namespace);
    return runOnStore(store, action, arg, values);
  }
  if (values.namespace !== undefined) throw new UsageError('--namespace goes with --kubernetes');
  if (values.observatory !== undefined) {
    throw new UsageError(
      '--observatory goes with --flags-file or --kubernetes (glassbox start records faults itself)',
    );
  }
  const port = values.control
    ? parsePort(values.control, 'control')
    : process.env.GLASSBOX_CONTROL_PORT
      ? parsePort(process.env.GLASSBOX_CONTROL_PORT, 'GLASSBOX_CONTROL_PORT')
      : DEFAULT_PORTS.control;
  const base = `http://127.0.0.1:${port}`;

  let method: 'GET' | 'POST' | 'DELETE';
  let path = '/faults';
  let body: string | undefined;
  if (action === 'list') {
    if (arg !== undefined) throw new UsageError(`list takes no argument (got ${JSON.stringify(arg)})`);
    method = 'GET';
  } else if (action === 'inject') {
    if (!arg) throw new UsageError(`give the fault kind to inject (one of: ${FAULT_KINDS.join(', ')})`);
    const requested = faultRequestFrom(arg, values);
    // Checked here first against every known service (the stack checks again against the ones it runs).
    const { problems } = validateFaultRequest(requested, SERVICE_NAMES);
    if (problems.length > 0) throw usageError(problems);
    method = 'POST';
    body = JSON.stringify(requested);
  } else if (action === 'clear') {
    method = 'DELETE';
    // Who ended it is ground truth (the fault's endedBy), as who injected it is.
    const by = encodeURIComponent(typeof values.by === 'string' ? values.by : 'cli');
    path = `${arg ? `/faults/${encodeURIComponent(arg)}` : '/faults'}?by=${by}`;
  } else {
    throw new UsageError('give an action: list, inject or clear');
  }

  const reply = await callControl(base, path, { method, body, timeoutMs: 30_000 });
  if (!reply) return 1;
  return printAnswer(action, reply.status, reply.answer, values.json === true);
}

/** The catalogue's problems with a request, named by the option that carries each value. */
function usageError(problems: readonly FaultProblem[]): UsageError {
  return new UsageError(
    problems.map((p) => `--${p.field === 'jitterMs' ? 'jitter' : p.field}: ${p.message}`).join('\n'),
  );
}

/** Prints what the control API (or a flag document change) answered; the exit code. */
function printAnswer(action: string, status: number, answer: unknown, json: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  } else if (status >= 400) {
    const detail = (answer as { detail?: string }).detail ?? JSON.stringify(answer);
    process.stderr.write(`glassbox chaos: ${detail}\n`);
  } else if (action === 'list') {
    const { faults } = answer as { faults: Fault[] };
    process.stdout.write(`${describeCatalogue()}\n\n${formatFaults(faults)}\n`);
  } else if (action === 'inject') {
    const { fault } = answer as { fault: Fault };
    process.stdout.write(
      `injected ${fault.kind} into ${fault.service}: ${fault.id} (until ${fault.endsAt})\n`,
    );
  } else {
    const { cleared } = answer as { cleared: Fault[] };
    process.stdout.write(
      cleared.length === 0
        ? 'no active fault\n'
        : `${cleared.map((f) => `cleared ${f.kind} ${f.id}`).join('\n')}\n`,
    );
  }
  // A refused injection is bad input (exit 2), as it is when caught here.
  return status === 400 ? 2 : status >= 400 ? 1 : 0;
}

/** The glassbox-faults ConfigMap in the namespace given, else the kubeconfig context's. */
async function kubernetesStore(namespace: string | undefined): Promise<FlagDocumentStore> {
  const [{ KubeConfig }, { configMapStore }] = await Promise.all([
    import('@kubernetes/client-node'),
    import('../faults/configmap-store.js'),
  ]);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const ns = namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  if (!ns) throw new UsageError('say --namespace (the kubeconfig context names none), e.g. glassbox-dev');
  return configMapStore({ kubeConfig, namespace: ns });
}

/** `list`, `inject` and `clear` on a flag document (compose's file, the cluster's ConfigMap). */
async function runOnStore(
  store: FlagDocumentStore,
  action: string | undefined,
  arg: string | undefined,
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  const json = values.json === true;
  const by = typeof values.by === 'string' ? values.by : 'cli';
  const observatory = typeof values.observatory === 'string' ? values.observatory : undefined;
  const record = async (faults: readonly Fault[]) => {
    if (!observatory) return;
    for (const f of faults) {
      await recordInObservatory(observatory, f).catch((err: unknown) => {
        process.stderr.write(
          `glassbox chaos: fault ${f.id} is in effect, but not recorded in the observatory: ${(err as Error).message}\n`,
        );
      });
    }
  };
  if (action === 'list') {
    if (arg !== undefined) throw new UsageError(`list takes no argument (got ${JSON.stringify(arg)})`);
    return printAnswer('list', 200, { faults: await listInStore(store) }, json);
  }
  if (action === 'inject') {
    if (!arg) throw new UsageError(`give the fault kind to inject (one of: ${FAULT_KINDS.join(', ')})`);
    const { fault, problems } = await injectIntoStore(store, faultRequestFrom(arg, values));
    if (!fault) throw usageError(problems);
    await record([fault]);
    process.stderr.write(`glassbox chaos: wrote ${store.where}\n`);
    return printAnswer('inject', 201, { fault }, json);
  }
  if (action === 'clear') {
    const cleared = await clearInStore(store, arg, by);
    if (arg !== undefined && cleared.length === 0) {
      process.stderr.write(`glassbox chaos: no active fault ${arg} in ${store.where}\n`);
      return 1;
    }
    await record(cleared);
    if (cleared.length > 0) process.stderr.write(`glassbox chaos: wrote ${store.where}\n`);
    return printAnswer('clear', 200, { cleared }, json);
  }
  throw new UsageError('give an action: list, inject or clear');
}

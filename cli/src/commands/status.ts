import { parseCommandLine, parsePort, UsageError } from '../args.js';
import { callControl } from '../control-client.js';
import { DEFAULT_PORTS } from '../services.js';
import type { ProcessInfo } from '../supervisor/process.js';

export const STATUS_USAGE = `Usage: glassbox status [--json]
       glassbox service <start|stop|restart> <name> [--wait]

Asks the control API of a running \`glassbox start\` (127.0.0.1:$GLASSBOX_CONTROL_PORT, default ${DEFAULT_PORTS.control}).

Options:
  --control <port>   control API port
  --wait             (start/restart) answer once the process is ready
  --json             print the JSON answer
  -h, --help         show this help
`;

const ACTIONS = new Set(['list', 'start', 'stop', 'restart']);

export function formatTable(services: readonly ProcessInfo[]): string {
  const header = ['NAME', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME'];
  const rows = services.map((s) => [
    s.name,
    s.stopping ? `${s.state} (stopping)` : s.state,
    s.pid === null ? '-' : String(s.pid),
    String(s.port),
    String(s.restarts),
    s.uptime === null ? '-' : `${s.uptime.toFixed(1)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `glassbox status` and `glassbox service <action> <name>`. */
export async function runStatus(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    control: { type: 'string' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help) {
    process.stdout.write(STATUS_USAGE);
    return 0;
  }
  const [action, name] = positionals;
  if (!action || !ACTIONS.has(action)) throw new UsageError('give an action: start, stop or restart');
  if (action !== 'list' && !name) throw new UsageError(`give the process to ${action}`);
  const port = values.control
    ? parsePort(values.control, 'control')
    : process.env.GLASSBOX_CONTROL_PORT
      ? parsePort(process.env.GLASSBOX_CONTROL_PORT, 'GLASSBOX_CONTROL_PORT')
      : DEFAULT_PORTS.control;
  const base = `http://127.0.0.1:${port}`;
  const path =
    action === 'list'
      ? '/services'
      : `/services/${encodeURIComponent(name ?? '')}/${action}${values.wait ? '?wait=ready' : ''}`;
  const reply = await callControl(base, path, {
    method: action === 'list' ? 'GET' : 'POST',
    timeoutMs: 90_000,
  });
  if (!reply) return 1;
  const { status, answer: body } = reply;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else if (status >= 400) {
    const detail = (body as { detail?: string }).detail ?? JSON.stringify(body);
    process.stderr.write(`${status}: ${detail}\n`);
  } else {
    const b = body as { services?: ProcessInfo[]; service?: ProcessInfo };
    const list = b.services ?? (b.service ? [b.service] : []);
    process.stdout.write(`${formatTable(list)}\n`);
  }
  return status >= 400 ? 1 : 0;
}

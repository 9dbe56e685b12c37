/**
 * The supervisor's view of its processes as Prometheus text (`GET /metrics` on the control API): restarts after
 * crashes (the CrashLooping alert) and whether each process is up (ready). Prometheus scrapes it in connected
 * mode; the observatory reads it in embedded mode, where nothing scrapes the services.
 */
import type { ProcessInfo } from './process.js';

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function supervisorMetricsText(processes: readonly ProcessInfo[]): string {
  const lines = [
    '# HELP glassbox_supervisor_restarts_total Automatic restarts of a supervised process after it exited on its own.',
    '# TYPE glassbox_supervisor_restarts_total counter',
    ...processes.map(
      (p) => `glassbox_supervisor_restarts_total{process="${escapeLabel(p.name)}"} ${p.restarts}`,
    ),
    '# HELP glassbox_supervisor_process_up Whether the supervised process runs and answers its readiness probe (1) or not (0).',
    '# TYPE glassbox_supervisor_process_up gauge',
    ...processes.map(
      (p) =>
        `glassbox_supervisor_process_up{process="${escapeLabel(p.name)}"} ${p.state === 'ready' ? 1 : 0}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

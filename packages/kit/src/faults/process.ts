import type { Logger } from '../logger.js';
import { activeFaults, onFaultsChanged, PROCESS_STARTED_MS } from './state.js';

/** How `crash` and `crash-loop` end the process; tests replace it. */
let exitProcess: (code: number) => void = (code) => process.exit(code);

export function setExitForTests(fn: (code: number) => void): () => void {
  const previous = exitProcess;
  exitProcess = fn;
  return () => {
    exitProcess = previous;
  };
}

/**
 * The process-level faults: `crash` (exit now, once: its restart is a new process the fault does not apply
 * to), `crash-loop` (exit `ms` after the process starts or the fault appears, every start, until cleared),
 * `cpu-burn` (a busy loop taking `rate` of every 100 ms slice). Returns the stop.
 */
export function startProcessFaults(logger: Logger): () => void {
  let loopTimer: NodeJS.Timeout | undefined;
  let loopFault: string | undefined;
  let burnTimer: NodeJS.Timeout | undefined;
  let exiting = false;

  const exit = (id: string, kind: string) => {
    if (exiting) return;
    exiting = true;
    logger.fatal({ 'glassbox.fault.id': id, 'glassbox.fault.kind': kind }, `fault ${kind}: exiting (${id})`);
    // A moment for the log line to leave; the crash itself is abrupt (no graceful shutdown).
    setTimeout(() => exitProcess(1), 50);
  };

  const apply = () => {
    const crash = activeFaults('crash')[0];
    if (crash) exit(crash.id, 'crash');

    const loop = activeFaults('crash-loop')[0];
    if (loop && loop.id !== loopFault) {
      clearTimeout(loopTimer);
      loopFault = loop.id;
      const from = Math.max(PROCESS_STARTED_MS, Date.parse(loop.startedAt));
      const after = Math.max(0, from + (loop.params.ms ?? 1000) - Date.now());
      loopTimer = setTimeout(() => exit(loop.id, 'crash-loop'), after);
    } else if (!loop && loopFault) {
      clearTimeout(loopTimer);
      loopFault = undefined;
    }

    const burn = activeFaults('cpu-burn')[0];
    clearInterval(burnTimer);
    burnTimer = undefined;
    if (burn) {
      const busyMs = Math.round(100 * (burn.params.rate ?? 0.5));
      burnTimer = setInterval(() => {
        // CPU time, not wall time: on a busy machine the share is what this process takes when it runs.
        const start = process.cpuUsage();
        const wallLimit = performance.now() + 95;
        for (;;) {
          const used = process.cpuUsage(start);
          if ((used.user + used.system) / 1000 >= busyMs || performance.now() > wallLimit) break;
        }
      }, 100);
      burnTimer.unref();
    }
  };
  const off = onFaultsChanged(apply);
  apply();
  return () => {
    off();
    clearTimeout(loopTimer);
    clearInterval(burnTimer);
  };
}

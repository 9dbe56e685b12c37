import type { LogSink } from '../logs.js';
import type { BackoffPolicy } from './backoff.js';
import { ManagedProcess, type ProcessEvent, type ProcessInfo, type ProcessSpec } from './process.js';

export interface SupervisorOptions {
  readonly backoff?: BackoffPolicy;
  readonly maxRestarts?: number;
  readonly readyPollMs?: number;
  readonly onLog: LogSink;
  readonly onEvent?: (event: ProcessEvent) => void;
}

export class NotReadyError extends Error {
  constructor(
    message: string,
    readonly processes: ReadonlyArray<{ name: string; state: string; recentLogs: string[] }>,
  ) {
    super(message);
    this.name = 'NotReadyError';
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): T[][] {
  const map = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k) ?? [];
    list.push(item);
    map.set(k, list);
  }
  return [...map.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
}

/** A set of managed processes started by stage and stopped in the reverse order of dependency. */
export class Supervisor {
  private readonly processes: ManagedProcess[];
  private shuttingDown: Promise<void> | undefined;

  constructor(specs: readonly ProcessSpec[], options: SupervisorOptions) {
    const names = new Set<string>();
    for (const spec of specs) {
      if (names.has(spec.name)) throw new Error(`duplicate process name ${spec.name}`);
      names.add(spec.name);
    }
    this.processes = specs.map(
      (spec) =>
        new ManagedProcess(spec, {
          backoff: options.backoff,
          maxRestarts: options.maxRestarts,
          readyPollMs: options.readyPollMs,
          onLog: options.onLog,
          onEvent: options.onEvent,
        }),
    );
  }

  get(name: string): ManagedProcess | undefined {
    return this.processes.find((p) => p.name === name);
  }

  all(): readonly ManagedProcess[] {
    return this.processes;
  }

  list(): ProcessInfo[] {
    return this.processes.map((p) => p.info());
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown !== undefined;
  }

  /**
   * Starts every process, stage by stage; each stage must be ready before the next one starts
   * (the observatory before the services, so their first telemetry is not lost).
   */
  async startAll(readyTimeoutMs: number): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    for (const stage of groupBy(this.processes, (p) => p.spec.startStage)) {
      if (this.shuttingDown) return;
      await Promise.all(stage.map((p) => p.start()));
      await this.waitReady(stage, Math.max(1, deadline - Date.now()));
    }
  }

  /** Waits until every given process is ready; the error lists those that are not, with their last logs. */
  async waitReady(processes: readonly ManagedProcess[], timeoutMs: number): Promise<void> {
    const results = await Promise.allSettled(processes.map((p) => p.waitReady(timeoutMs)));
    const failed = processes.filter((_, i) => results[i]?.status === 'rejected');
    if (failed.length === 0) return;
    throw new NotReadyError(
      `not ready: ${failed.map((p) => `${p.name} (${p.currentState})`).join(', ')}`,
      failed.map((p) => ({ name: p.name, state: p.currentState, recentLogs: p.recentLogs() })),
    );
  }

  /** Stops everything by stop stage (gateway first, observatory last). Safe to call more than once. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      for (const stage of groupBy(this.processes, (p) => p.spec.stopStage)) {
        await Promise.all(stage.map((p) => p.shutdown()));
      }
    })();
    return this.shuttingDown;
  }

  /** SIGKILL every process group now. */
  forceKill(): void {
    for (const p of this.processes) p.forceKill();
  }

  /** Process-group leaders currently running. */
  pids(): Array<{ name: string; pid: number }> {
    return this.processes.flatMap((p) => (p.pid === null ? [] : [{ name: p.name, pid: p.pid }]));
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { forEachLine, type LogSink, makeLine } from '../logs.js';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, nextAttempt } from './backoff.js';
import { probeStatus } from './http-probe.js';

export type ProcessState = 'starting' | 'ready' | 'stopped' | 'crashed' | 'backoff';

/** What to run and how to tell that it is ready. */
export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  /** Answers 200 once the process is ready. */
  readonly readyUrl: string;
  /** Processes of a lower start stage are started (and awaited) first. */
  readonly startStage: number;
  /** Processes of a lower stop stage are stopped first. */
  readonly stopStage: number;
  /** Grace period between SIGTERM and SIGKILL. */
  readonly stopTimeoutMs?: number;
}

export interface ManagedProcessOptions {
  readonly backoff?: BackoffPolicy;
  /** Consecutive crashes tolerated; one more and the process stays `crashed` until started by hand. */
  readonly maxRestarts?: number;
  readonly readyPollMs?: number;
  readonly onLog: LogSink;
  readonly onEvent?: (event: ProcessEvent) => void;
}

export type ProcessEvent =
  | { readonly type: 'spawn'; readonly name: string; readonly pid: number; readonly at: number }
  | {
      readonly type: 'ready';
      readonly name: string;
      readonly pid: number;
      readonly at: number;
      readonly afterMs: number;
    }
  | {
      readonly type: 'exit';
      readonly name: string;
      readonly pid: number | null;
      readonly code: number | null;
      readonly signal: string | null;
      readonly expected: boolean;
      readonly uptimeMs: number;
      readonly at: number;
    }
  | {
      readonly type: 'backoff';
      readonly name: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly at: number;
    }
  | { readonly type: 'gave-up'; readonly name: string; readonly attempt: number; readonly at: number };

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  readonly at: string;
}

/** What the control API shows for one process. */
export interface ProcessInfo {
  readonly name: string;
  readonly pid: number | null;
  readonly port: number;
  readonly state: ProcessState;
  /** Automatic restarts after crashes since the supervisor started. */
  readonly restarts: number;
  /** Seconds since the current process was spawned; null when none runs. */
  readonly uptime: number | null;
  readonly startedAt: string | null;
  readonly readyAt: string | null;
  /** Delay of the pending restart while in `backoff`. */
  readonly nextRestartInMs: number | null;
  readonly lastExit: ExitInfo | null;
  /** True while a stop (SIGTERM, grace period) is in progress. */
  readonly stopping: boolean;
}

export class IllegalStateError extends Error {
  constructor(
    readonly processName: string,
    readonly state: ProcessState,
    readonly action: string,
  ) {
    super(`cannot ${action} ${processName}: it is ${state}`);
    this.name = 'IllegalStateError';
  }
}

export class BusyError extends Error {
  constructor(readonly processName: string) {
    super(`${processName} is busy with another operation`);
    this.name = 'BusyError';
  }
}

const RECENT_LINES = 60;

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** True while any process of the group led by `pid` exists. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One supervised child process: spawned in its own process group (so a terminal Ctrl-C reaches only the
 * supervisor, which then stops everything in order), probed for readiness, restarted with exponential
 * backoff when it dies unexpectedly, and stopped with SIGTERM then SIGKILL.
 */
export class ManagedProcess {
  readonly spec: ProcessSpec;
  private readonly options: ManagedProcessOptions;
  private readonly backoff: BackoffPolicy;
  private child: ChildProcess | null = null;
  private state: ProcessState = 'stopped';
  private restarts = 0;
  private attempt = 0;
  private spawnedAt: number | null = null;
  private readyAt: number | null = null;
  private lastExit: ExitInfo | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDueAt: number | null = null;
  private stopping = false;
  private busy = false;
  private closed = false;
  private exitWaiters: Array<() => void> = [];
  private stateWaiters: Array<() => void> = [];
  private readonly recent: string[] = [];

  constructor(spec: ProcessSpec, options: ManagedProcessOptions) {
    this.spec = spec;
    this.options = options;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  get name(): string {
    return this.spec.name;
  }

  get currentState(): ProcessState {
    return this.state;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** The last lines the process wrote, for error reports. */
  recentLogs(): string[] {
    return [...this.recent];
  }

  info(): ProcessInfo {
    const now = Date.now();
    const running = this.child !== null && this.spawnedAt !== null;
    return {
      name: this.spec.name,
      pid: this.pid,
      port: this.spec.port,
      state: this.state,
      restarts: this.restarts,
      uptime: running && this.spawnedAt !== null ? Math.round((now - this.spawnedAt) / 100) / 10 : null,
      startedAt: running && this.spawnedAt !== null ? new Date(this.spawnedAt).toISOString() : null,
      readyAt: running && this.readyAt !== null ? new Date(this.readyAt).toISOString() : null,
      nextRestartInMs: this.restartDueAt !== null ? Math.max(0, this.restartDueAt - now) : null,
      lastExit: this.lastExit,
      stopping: this.stopping,
    };
  }

  /** Spawns the process (from `stopped` or `crashed`). Readiness is probed in the background. */
  async start(): Promise<void> {
    if (this.state !== 'stopped' && this.state !== 'crashed') {
      throw new IllegalStateError(this.name, this.state, 'start');
    }
    await this.exclusive(async () => {
      this.attempt = 0;
      this.spawnChild();
    });
  }

  /** Stops the process (SIGTERM to its group, SIGKILL after the grace period), cancelling a pending restart. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'crashed') {
      throw new IllegalStateError(this.name, this.state, 'stop');
    }
    await this.exclusive(() => this.terminate());
  }

  /** Stop (when running) then start again. Legal in every state but `stopped`. */
  async restart(): Promise<void> {
    if (this.state === 'stopped') throw new IllegalStateError(this.name, this.state, 'restart');
    await this.exclusive(async () => {
      await this.terminate();
      this.attempt = 0;
      this.spawnChild();
    });
  }

  /** Stop whatever the state; used on shutdown. Never throws. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.clearRestartTimer();
    // A concurrent restart may spawn again while we wait; `closed` stops that, the loop catches the race.
    while (this.child !== null) await this.terminate();
    this.setState('stopped');
  }

  /** SIGKILL the whole process group now (second Ctrl-C). */
  forceKill(): void {
    this.clearRestartTimer();
    this.stopping = true;
    const pid = this.child?.pid;
    if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  }

  /** Resolves once the process answered its readiness probe; rejects on timeout or when it gave up/stopped. */
  waitReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} not ready after ${timeoutMs} ms (state ${this.state})`));
      }, timeoutMs);
      const check = (): boolean => {
        if (this.state === 'ready') {
          cleanup();
          resolve();
          return true;
        }
        if ((this.state === 'crashed' || this.state === 'stopped') && !this.busy) {
          cleanup();
          reject(new Error(`${this.name} is ${this.state}`));
          return true;
        }
        return false;
      };
      const waiter = (): void => {
        if (!check()) this.stateWaiters.push(waiter);
      };
      const cleanup = (): void => {
        clearTimeout(deadline);
        this.stateWaiters = this.stateWaiters.filter((w) => w !== waiter);
      };
      waiter();
    });
  }

  private async exclusive(fn: () => Promise<void>): Promise<void> {
    if (this.busy) throw new BusyError(this.name);
    this.busy = true;
    try {
      await fn();
    } finally {
      this.busy = false;
      this.notifyState();
    }
  }

  private setState(state: ProcessState): void {
    this.state = state;
    this.notifyState();
  }

  private notifyState(): void {
    const waiters = this.stateWaiters;
    this.stateWaiters = [];
    for (const w of waiters) w();
  }

  private emit(event: ProcessEvent): void {
    this.options.onEvent?.(event);
  }

  private log(line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.recent.push(line);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    this.options.onLog(makeLine(this.name, stream, line));
  }

  private supervisorLog(
    level: 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown> = {},
  ): void {
    const line = JSON.stringify({
      level,
      time: new Date().toISOString(),
      service: 'glassbox',
      msg,
      process: this.name,
      ...fields,
    });
    this.recent.push(`[glassbox] ${msg}`);
    if (this.recent.length > RECENT_LINES) this.recent.shift();
    this.options.onLog(makeLine('glassbox', 'stdout', line));
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.restartDueAt = null;
  }

  private spawnChild(): void {
    this.clearRestartTimer();
    if (this.closed) {
      this.setState('stopped');
      return;
    }
    this.stopping = false;
    this.readyAt = null;
    const spawnedAt = Date.now();
    this.spawnedAt = spawnedAt;
    this.setState('starting');
    const child = spawn(this.spec.command, [...this.spec.args], {
      cwd: this.spec.cwd,
      env: this.spec.env,
      // The IPC channel is how the child learns that this supervisor is gone (killed with SIGKILL, crashed):
      // it closes, and a service stops instead of living on as an orphan (onSupervisorGone). Nothing is sent.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    this.child = child;
    if (child.stdout) forEachLine(child.stdout, (line) => this.log(line, 'stdout'));
    if (child.stderr) forEachLine(child.stderr, (line) => this.log(line, 'stderr'));
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exited) return;
      exited = true;
      this.handleExit(child, spawnedAt, code, signal);
    };
    child.once('exit', onExit);
    child.once('error', (err) => {
      this.supervisorLog('error', `failed to run ${this.name}: ${err.message}`);
      // 'exit' may never come when the spawn itself failed.
      if (child.pid === undefined) onExit(null, null);
    });
    if (child.pid !== undefined) {
      this.emit({ type: 'spawn', name: this.name, pid: child.pid, at: spawnedAt });
      void this.pollReady(child, spawnedAt);
    }
  }

  private async pollReady(child: ChildProcess, spawnedAt: number): Promise<void> {
    const interval = this.options.readyPollMs ?? 200;
    while (this.child === child && this.state === 'starting' && !this.stopping) {
      const status = await probeStatus(this.spec.readyUrl, 1000);
      if (this.child !== child || this.state !== 'starting' || this.stopping) return;
      if (status === 200) {
        const now = Date.now();
        this.readyAt = now;
        this.setState('ready');
        this.supervisorLog('info', `${this.name} is ready (${((now - spawnedAt) / 1000).toFixed(1)} s)`, {
          pid: child.pid,
          restarts: this.restarts,
        });
        this.emit({ type: 'ready', name: this.name, pid: child.pid ?? 0, at: now, afterMs: now - spawnedAt });
        return;
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  private handleExit(
    child: ChildProcess,
    spawnedAt: number,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (this.child !== child) return;
    const now = Date.now();
    const expected = this.stopping;
    this.child = null;
    this.lastExit = { code, signal, at: new Date(now).toISOString() };
    const uptimeMs = now - spawnedAt;
    this.emit({
      type: 'exit',
      name: this.name,
      pid: child.pid ?? null,
      code,
      signal,
      expected,
      uptimeMs,
      at: now,
    });
    // Reap anything the process left behind in its group.
    if (child.pid !== undefined && groupAlive(child.pid)) signalGroup(child.pid, 'SIGKILL');
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (expected) {
      this.setState('stopped');
      return;
    }
    this.attempt = nextAttempt(this.attempt, uptimeMs, this.backoff);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const maxRestarts = this.options.maxRestarts ?? Number.POSITIVE_INFINITY;
    if (this.attempt > maxRestarts) {
      this.supervisorLog('error', `${this.name} exited (${how}); giving up after ${maxRestarts} restarts`);
      this.emit({ type: 'gave-up', name: this.name, attempt: this.attempt, at: now });
      this.setState('crashed');
      return;
    }
    const delayMs = backoffDelay(this.attempt, this.backoff);
    this.supervisorLog(
      'warn',
      `${this.name} exited (${how}) after ${(uptimeMs / 1000).toFixed(1)} s; restarting in ${delayMs} ms`,
      {
        attempt: this.attempt,
        delayMs,
      },
    );
    this.emit({ type: 'backoff', name: this.name, attempt: this.attempt, delayMs, at: now });
    this.restartDueAt = now + delayMs;
    this.setState('backoff');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restartDueAt = null;
      if (this.state !== 'backoff' || this.busy) return;
      this.restarts += 1;
      this.spawnChild();
    }, delayMs);
  }

  /** SIGTERM the group, wait for the exit, SIGKILL after the grace period. Resolves once the process is gone. */
  private async terminate(): Promise<void> {
    this.clearRestartTimer();
    const child = this.child;
    if (child === null || child.pid === undefined) {
      this.child = null;
      this.setState('stopped');
      return;
    }
    const pid = child.pid;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    signalGroup(pid, 'SIGTERM');
    const grace = this.spec.stopTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), grace);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.supervisorLog('warn', `${this.name} did not stop within ${grace} ms; killing it`);
      signalGroup(pid, 'SIGKILL');
      await exited;
    }
    this.stopping = false;
  }
}

/**
 * Plays the part of `glassbox start` for one process: starts it as the supervisor does (its own process group, an
 * IPC channel, its output to the supervisor's), so a test can kill the supervisor with SIGKILL and watch what the
 * process does. The process's output reaches the test even after the supervisor is gone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../../cli/src/test-support.js';

const SUPERVISOR = `import { spawn } from 'node:child_process';
const [script, env, ipc] = process.argv.slice(2);
const child = spawn(process.execPath, ['--import', 'tsx', script], {
  stdio: ['ignore', 'inherit', 'inherit', ...(ipc === 'ipc' ? ['ipc'] : [])],
  detached: true,
  env: { ...process.env, ...JSON.parse(env) },
});
process.stderr.write('child ' + child.pid + '\\n');
setInterval(() => {}, 1000);
`;

export interface StandInSupervisor {
  /** The supervised process. */
  readonly pid: number;
  /** What the supervised process wrote to stdout and stderr so far. */
  output(): string;
  /** Kills the stand-in supervisor with SIGKILL (the supervised process is left alone). */
  killSupervisor(): void;
  /** True while the stand-in supervisor runs. */
  supervisorAlive(): boolean;
  /** True while the supervised process exists. */
  alive(): boolean;
  /** SIGKILLs whatever is left and removes the scratch files. */
  cleanup(): void;
}

export { until };

/**
 * Runs the entry point `script` (with tsx) under a stand-in supervisor, with `env` added; `ipc: false` starts it
 * without the channel, as anything but the supervisor would.
 */
export async function startUnderStandInSupervisor(
  script: string,
  env: Record<string, string>,
  options: { ipc?: boolean } = {},
): Promise<StandInSupervisor> {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-stand-in-'));
  writeFileSync(join(dir, 'supervisor.mjs'), SUPERVISOR);
  const supervisor: ChildProcess = spawn(
    process.execPath,
    [join(dir, 'supervisor.mjs'), script, JSON.stringify(env), options.ipc === false ? 'none' : 'ipc'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const append = (b: Buffer) => {
    out += b.toString();
  };
  supervisor.stdout?.on('data', append);
  supervisor.stderr?.on('data', append);
  await until(
    () => /^child \d+$/m.test(out) || supervisor.exitCode !== null,
    10_000,
    'the process was started',
  );
  const pid = Number(/^child (\d+)$/m.exec(out)?.[1]);
  if (!pid) throw new Error(`the stand-in supervisor did not start ${script}:\n${out}`);
  const alive = () => existsSync(`/proc/${pid}`);
  const kill = (p: number | undefined) => {
    try {
      if (p) process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  };
  return {
    pid,
    output: () => out,
    killSupervisor: () => kill(supervisor.pid),
    supervisorAlive: () => supervisor.exitCode === null && supervisor.signalCode === null,
    alive,
    cleanup() {
      kill(supervisor.pid);
      if (alive()) kill(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

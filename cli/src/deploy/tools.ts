/**
 * The outside tools the deployment tests and the container run use (docker-compose, kubectl, podman,
 * promtool), found on PATH; a missing one is a reason to skip, said in a sentence.
 */
import { spawnSync } from 'node:child_process';
import { findExecutable } from '../prometheus.js';

export interface ToolRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): ToolRun {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 120_000,
  });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? String(result.error ?? ''),
  };
}

/** The path of `name` on PATH, or why it is missing (install hint included). */
export function tool(name: string, debianPackage: string): { path: string | null; missing: string } {
  const path = findExecutable([name]);
  return { path, missing: `${name} is not installed (apt-get install ${debianPackage}): skipped` };
}

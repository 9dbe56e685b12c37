import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StandInSupervisor,
  startUnderStandInSupervisor,
  until,
} from '../../../test/support/stand-in-supervisor.js';

const LINK = fileURLToPath(new URL('./supervisor-link.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'glassbox-supervisor-link-'));
const runs: StandInSupervisor[] = [];

// The service's part: say what onSupervisorGone answered; when called, write that it stopped, and exit.
const service = (keepAlive: boolean) => `import { writeFileSync } from 'node:fs';
import { onSupervisorGone } from ${JSON.stringify(LINK)};
const linked = onSupervisorGone(() => {
  writeFileSync(${JSON.stringify(dir)} + '/stopped-' + process.pid, 'supervisor gone');
  process.exit(0);
});
console.log('linked ' + linked);
${keepAlive ? 'setInterval(() => {}, 1000);' : ''}
`;
writeFileSync(join(dir, 'service.mjs'), service(true));
writeFileSync(join(dir, 'idle-service.mjs'), service(false));

afterAll(() => {
  for (const run of runs) run.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function start(script: string, ipc: boolean) {
  const run = await startUnderStandInSupervisor(join(dir, script), {}, { ipc });
  runs.push(run);
  await until(() => /linked (true|false)/.test(run.output()), 20_000, 'the service answered');
  return { run, linked: /linked (true|false)/.exec(run.output())?.[1] };
}
const stopped = (pid: number) => join(dir, `stopped-${pid}`);

describe('onSupervisorGone', () => {
  it('stops a process started with the channel when its supervisor is killed with SIGKILL', async () => {
    const { run, linked } = await start('service.mjs', true);
    expect(linked).toBe('true');
    await new Promise((r) => setTimeout(r, 300));
    expect(run.alive(), 'alive while its supervisor lives').toBe(true);
    run.killSupervisor();
    await until(() => !run.alive(), 10_000, 'the process exited');
    expect(readFileSync(stopped(run.pid), 'utf8')).toBe('supervisor gone');
  }, 30_000);

  it('leaves a process started without the channel alone (by hand, in a container)', async () => {
    const { run, linked } = await start('service.mjs', false);
    expect(linked).toBe('false');
    run.killSupervisor();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(run.alive()).toBe(true);
    expect(existsSync(stopped(run.pid))).toBe(false);
  }, 30_000);

  it('does not keep a process alive by itself: one with nothing left to do exits while its supervisor lives', async () => {
    const { run, linked } = await start('idle-service.mjs', true);
    expect(linked).toBe('true');
    await until(() => !run.alive(), 10_000, 'the process exited on its own');
    expect(run.supervisorAlive()).toBe(true);
    expect(existsSync(stopped(run.pid))).toBe(false);
  }, 30_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type StandInSupervisor,
  startUnderStandInSupervisor,
  until,
} from '../../../test/support/stand-in-supervisor.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'glassbox-observatory-main-'));
let run: StandInSupervisor | undefined;
afterAll(() => {
  run?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the observatory under a supervisor that dies', () => {
  it('shuts down (writes what is queued, closes its store) when its supervisor is killed with SIGKILL', async () => {
    run = await startUnderStandInSupervisor(MAIN, {
      OBSERVATORY_PORT: '0',
      OTLP_HTTP_PORT: '0',
      OTLP_GRPC_PORT: '0',
      OBSERVATORY_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    const started = run;
    await until(() => started.output().includes('observatory ready'), 60_000, 'the observatory is ready');

    started.killSupervisor();
    await until(() => !started.alive(), 20_000, 'the observatory exited');
    expect(started.output()).toContain('observatory shutting down');
  }, 120_000);
});

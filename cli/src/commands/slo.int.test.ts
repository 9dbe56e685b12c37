/** `glassbox slo build|check` as a user runs it: the real CLI in a child process, on a copy of the repository's SLOs. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'glassbox-slo-'));
cpSync(path.join(ROOT, 'slo'), path.join(work, 'slo'), { recursive: true });
cpSync(path.join(ROOT, 'docs', 'runbooks'), path.join(work, 'docs', 'runbooks'), { recursive: true });

afterAll(() => rmSync(work, { recursive: true, force: true }));

function glassbox(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, 'slo', ...args], {
    cwd: work,
    env: { ...process.env, GLASSBOX_ROOT: work, GLASSBOX_SLO_TIME_SCALE: '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rulesDir = path.join(work, 'deploy', 'prometheus', 'rules');

describe('glassbox slo', () => {
  it('builds both rule files, then check finds them up to date', () => {
    const build = glassbox(['build']);
    expect(build.code, build.stderr).toBe(0);
    expect(readdirSync(rulesDir).sort()).toEqual(['glassbox.rules.yaml', 'slo.rules.yaml']);
    expect(build.stdout).toMatch(/^\d+ rules$/m);
    expect(glassbox(['check']).code).toBe(0);
  });

  it('check exits 1 when an SLO changed after the build', () => {
    const file = path.join(work, 'slo', 'checkout.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('objective: 99.5', 'objective: 99.7'));
    try {
      const check = glassbox(['check']);
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(/stale: deploy\/prometheus\/rules\/slo\.rules\.yaml/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('names the file, the field and the reason of a bad SLO, exits 2 and writes nothing', () => {
    const before = readFileSync(path.join(rulesDir, 'slo.rules.yaml'), 'utf8');
    const file = path.join(work, 'slo', 'observatory.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('objective: 99.9', 'objective: 199.9'));
    rmSync(path.join(rulesDir, 'glassbox.rules.yaml'));
    try {
      const build = glassbox(['build']);
      expect(build.code).toBe(2);
      expect(build.stderr).toContain('slo/observatory.yaml: slos[0].objective: must be < 100');
      expect(build.stderr).toContain('nothing written');
      expect(readFileSync(path.join(rulesDir, 'slo.rules.yaml'), 'utf8')).toBe(before);
      expect(existsSync(path.join(rulesDir, 'glassbox.rules.yaml'))).toBe(false);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('writes scaled rules elsewhere on request, leaving the committed ones unscaled', () => {
    expect(glassbox(['build']).code).toBe(0);
    const unscaled = readFileSync(path.join(rulesDir, 'slo.rules.yaml'), 'utf8');
    const viaEnv = glassbox(['build'], { GLASSBOX_SLO_TIME_SCALE: '60' });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const scaled = readFileSync(path.join(work, '.glassbox', 'slo', 'x60', 'slo.rules.yaml'), 'utf8');
    expect(scaled).toContain('Time scale 60');
    expect(scaled).toContain('[5s]');
    expect(readFileSync(path.join(rulesDir, 'slo.rules.yaml'), 'utf8')).toBe(unscaled);
    const viaFlag = glassbox(['build', '--time-scale', '60', '--out', path.join(work, 'x')]);
    expect(viaFlag.code).toBe(0);
    expect(readFileSync(path.join(work, 'x', 'slo.rules.yaml'), 'utf8')).toBe(scaled);
  });

  it('refuses a bad time scale as a usage error', () => {
    const r = glassbox(['build', '--time-scale', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--time-scale: expected a number/);
  });
});

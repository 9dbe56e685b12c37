/**
 * `docker-compose config` accepts deploy/compose/compose.yaml (the Debian docker-compose; skipped with a reason
 * where it is missing), and refuses it without the secrets it requires from the environment.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultFlagDocument, SERVICE_MANIFEST } from '@glassbox/contracts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run, tool } from './tools.js';
import { FLAGD } from './topology.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const COMPOSE_DIR = path.join(ROOT, 'deploy', 'compose');
const compose = tool('docker-compose', 'docker-compose');
const SECRETS = {
  POSTGRES_PASSWORD: 'pw-test',
  RABBITMQ_PASSWORD: 'mq-test',
  INTERNAL_TOKEN: 'token-test-0123456789abcdef',
  PAYMENT_WEBHOOK_SECRET: 'webhook-test-0123456789',
  GRAFANA_ADMIN_PASSWORD: 'grafana-test',
};
// docker-compose reads .env and the variables of the calling environment: give it only PATH and the secrets.
const env = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  ...extra,
});

describe.skipIf(!compose.path)(`docker-compose config${compose.path ? '' : ` (${compose.missing})`}`, () => {
  it('accepts compose.yaml and resolves every service, volume and health check', () => {
    const result = run(compose.path!, ['-f', 'compose.yaml', 'config'], {
      cwd: COMPOSE_DIR,
      env: env(SECRETS),
    });
    expect(result.stderr).not.toMatch(/invalid|error/i);
    expect(result.status, result.stderr).toBe(0);
    const resolved = parse(result.stdout) as {
      services: Record<
        string,
        { environment?: Record<string, string>; healthcheck?: unknown; image: string }
      >;
    };
    expect(resolved.services.payment?.environment?.PAYMENT_WEBHOOK_SECRET).toBe(
      SECRETS.PAYMENT_WEBHOOK_SECRET,
    );
    expect(resolved.services.order?.environment?.DATABASE_URL).toBe(
      'postgres://glassbox:pw-test@postgres:5432/glassbox_order',
    );
    expect(resolved.services.gateway?.image).toBe('localhost/glassbox:dev');
    expect(resolved.services.gateway?.healthcheck).toBeDefined();
    // Fault flags: flagd serves faults.flagd.json (no fault active), every service streams from its sync port.
    const flagd = resolved.services[FLAGD.name] as unknown as {
      image: string;
      volumes: Array<string | { source: string; target: string }>;
    };
    expect(flagd.image).toBe(FLAGD.image);
    // docker-compose v1 prints a volume as `source:target:mode`, v2 as an object.
    const mounts = flagd.volumes.map((v) =>
      typeof v === 'string' ? v.split(':').slice(0, 2) : [v.source, v.target],
    );
    expect(mounts.map(([source, target]) => [path.basename(source ?? ''), target])).toEqual([
      [FLAGD.file, `/etc/flagd/${FLAGD.file}`],
    ]);
    expect(JSON.parse(readFileSync(path.join(COMPOSE_DIR, FLAGD.file), 'utf8'))).toEqual(
      faultFlagDocument([]),
    );
    for (const s of SERVICE_MANIFEST) {
      expect(resolved.services[s.name]?.environment, s.name).toMatchObject({
        FLAGD_HOST: FLAGD.name,
        FLAGD_SYNC_PORT: String(FLAGD.syncPort),
      });
    }
  });

  it('refuses to render without a required secret, naming it', () => {
    const { INTERNAL_TOKEN: _omitted, ...rest } = SECRETS;
    const result = run(compose.path!, ['-f', 'compose.yaml', 'config', '-q'], {
      cwd: COMPOSE_DIR,
      env: env(rest),
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set INTERNAL_TOKEN');
  });
});

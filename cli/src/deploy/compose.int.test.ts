/**
 * `docker-compose config` accepts deploy/compose/compose.yaml (the Debian docker-compose; skipped with a reason
 * where it is missing), and refuses it without the secrets it requires from the environment.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run, tool } from './tools.js';

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

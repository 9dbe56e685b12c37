/**
 * The service manifest is the one list of services: these tests hold it consistent with itself, with the
 * folders under services/, with each service's own defaults, and with docs/services.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CONTROL_PORT,
  gatewayRoutes,
  OBSERVATORY_PORTS,
  PLATFORM_URL_ENV,
  SERVICE_MANIFEST,
  type ServiceManifestEntry,
  serviceUrlEnv,
} from '@glassbox/contracts';
import { loadConfig } from '@glassbox/kit';
import type { TObject } from 'typebox';
import { describe, expect, it } from 'vitest';
import { withManifestTable } from './manifest-doc.js';
import { portsFromBase, REPO_ROOT } from './stack.js';

describe('the service manifest', () => {
  it('names each service, port and database once, clear of the other processes’ ports', () => {
    const names = SERVICE_MANIFEST.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const ports = SERVICE_MANIFEST.map((s) => s.port);
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(8080);
      expect(port).toBeLessThanOrEqual(8099);
      expect([CONTROL_PORT, ...Object.values(OBSERVATORY_PORTS)]).not.toContain(port);
    }
    const dbs = SERVICE_MANIFEST.flatMap((s) => (s.database ? [s.database] : []));
    expect(new Set(dbs).size).toBe(dbs.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z-]*$/);
  });

  it('depends only on services it lists, never on itself', () => {
    const names = new Set<string>(SERVICE_MANIFEST.map((s) => s.name));
    for (const s of SERVICE_MANIFEST) {
      for (const dep of s.dependsOn) {
        expect(names.has(dep), `${s.name} → ${dep}`).toBe(true);
        expect(dep).not.toBe(s.name);
      }
    }
  });

  it('gives every public prefix one owner, under /api/v1, matched longest first', () => {
    const routes = gatewayRoutes();
    const prefixes = routes.map((r) => r.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    for (const p of prefixes) expect(p).toMatch(/^\/api\/v1\/[a-z]/);
    for (let i = 1; i < routes.length; i++) {
      expect(routes[i - 1]?.prefix.length).toBeGreaterThanOrEqual(routes[i]?.prefix.length ?? 0);
    }
  });

  it('lists exactly the services that have a folder with a main.ts', () => {
    const dirs = readdirSync(path.join(REPO_ROOT, 'services')).filter((d) =>
      existsSync(path.join(REPO_ROOT, 'services', d, 'src', 'main.ts')),
    );
    expect([...dirs].sort()).toEqual(SERVICE_MANIFEST.map((s) => s.name).sort());
  });

  it('is where each service takes its default port and the addresses of what it calls', async () => {
    for (const s of SERVICE_MANIFEST) {
      const configFile = path.join(REPO_ROOT, 'services', s.name, 'src', 'config.ts');
      const mod = (await import(configFile)) as Record<string, unknown>;
      const schema = Object.values(mod).find(
        (v): v is TObject =>
          typeof v === 'object' && v !== null && 'properties' in v && 'PORT' in (v as TObject).properties,
      );
      expect(schema, `${s.name} exports its config schema`).toBeDefined();
      if (!schema) continue;
      const config = loadConfig(schema, {
        DATABASE_URL: 'postgres://x@127.0.0.1/x',
        BUS_URL: 'postgres://x@127.0.0.1/bus',
      }) as Record<string, unknown>;
      expect(config.PORT, s.name).toBe(s.port);
      // Every address it is configured with names a dependency the manifest lists (none slips in unlisted).
      const names = SERVICE_MANIFEST.map((d) => d.name as string);
      const called = Object.keys(schema.properties)
        .filter((k) => k.endsWith('_URL') && k !== 'DATABASE_URL' && k !== 'BUS_URL' && k !== 'REDIS_URL')
        // The platform's endpoints it is given (the healer's control API, …) and an external Prometheus.
        .filter((k) => !platformEnv(s).includes(k) && k !== 'PROMETHEUS_URL')
        .map((k) => names.find((n) => serviceUrlEnv(n) === k) ?? k);
      expect([...new Set(called)].sort(), `${s.name} calls`).toEqual([...s.dependsOn].sort());
      for (const dep of s.dependsOn) {
        const variable = serviceUrlEnv(dep);
        const target = SERVICE_MANIFEST.find((d) => d.name === dep);
        expect(config[variable], `${s.name}.${variable}`).toBe(`http://127.0.0.1:${target?.port}`);
      }
    }
  });

  it('moves the whole block with --port-base, services first', () => {
    const ports = portsFromBase(30_000);
    SERVICE_MANIFEST.forEach((s, i) => {
      expect(ports[s.name]).toBe(30_000 + i);
    });
    expect(SERVICE_MANIFEST.length).toBeLessThanOrEqual(10); // the observatory starts at +10
  });

  it('is what docs/services.md shows', () => {
    const page = readFileSync(path.join(REPO_ROOT, 'docs', 'services.md'), 'utf8');
    expect(page, 'run `npm run glassbox -- services --write-docs`').toBe(withManifestTable(page));
  });
});

function platformEnv(entry: ServiceManifestEntry): string[] {
  return (entry.platform ?? []).map((p) => PLATFORM_URL_ENV[p]);
}

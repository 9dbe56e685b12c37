/**
 * How a request flows inside every service (docs/architecture.md): routes (`src/http/`) call use cases
 * (`src/app/`), and only use cases call the stores and repositories (`src/adapters/`). A route that reaches a
 * store directly skips the rules the use case holds (not found, tenancy, metrics): this fails on it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_MANIFEST } from '@glassbox/contracts';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../build/build.js';

/** What a name imported from an adapter must not be in a route: the data access itself. */
const DATA_ACCESS = /(Store|Repo|Repository)$|^create\w*(Store|Repo|Repository)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** The names a module imports from its service's adapters. */
export function adapterImports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(
    /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(\.\.\/)+adapters\/[^']+'/g,
  )) {
    for (const part of (match[1] ?? '').split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)[0];
      if (name) names.push(name);
    }
  }
  return names;
}

describe('service layers', () => {
  it('finds a store or repository imported into a route (the check itself)', () => {
    expect(adapterImports("import type { PaymentRepo } from '../adapters/payment-repo.js';")).toEqual([
      'PaymentRepo',
    ]);
    expect(
      adapterImports("import { type Upstreams, createFooStore as make } from '../../adapters/x.js';").filter(
        (n) => DATA_ACCESS.test(n),
      ),
    ).toEqual(['createFooStore']);
  });

  it('every service has use cases, and its routes never call a store or repository directly', () => {
    for (const service of SERVICE_MANIFEST) {
      const src = path.join(REPO_ROOT, 'services', service.name, 'src');
      const http = path.join(src, 'http');
      // The gateway owns no data: it forwards, so it has no use cases of its own.
      if (service.name !== 'gateway') {
        expect(readdirSync(src), `${service.name} has src/app/`).toContain('app');
      }
      for (const file of filesUnder(http)) {
        const offending = adapterImports(readFileSync(file, 'utf8')).filter((n) => DATA_ACCESS.test(n));
        expect(offending, path.relative(REPO_ROOT, file)).toEqual([]);
      }
    }
  });
});

// Build fixture: what a bundled entry sees of its source location and its packages (see cli/build/build.int.test.ts).
import { createRequire } from 'node:module';
import { migrationsDir } from './paths.js';

const require = createRequire(import.meta.url);
const pgPath = require.resolve('pg');
const { default: equal } = await import('fast-deep-equal');
function label(): string {
  // Non-ASCII in a string: the bundle must still be ASCII (a one-byte string in V8).
  return 'café — ✓';
}
const text = label();
process.stdout.write(
  `${JSON.stringify({ migrations: migrationsDir.href, pgPath, equal: equal({ a: 1 }, { a: 1 }), text, marker: 'v1' })}\n`,
);

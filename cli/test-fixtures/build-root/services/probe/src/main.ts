// Build fixture: what a bundled entry sees of its source location and its packages (see cli/build/build.int.test.ts).
import { createRequire } from 'node:module';
import { migrationsDir } from './paths.js';

const require = createRequire(import.meta.url);
const pgPath = require.resolve('pg');
const { default: equal } = await import('fast-deep-equal');
process.stdout.write(
  `${JSON.stringify({ migrations: migrationsDir.href, pgPath, equal: equal({ a: 1 }, { a: 1 }), marker: 'v1' })}\n`,
);

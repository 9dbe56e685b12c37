/**
 * Test support for the browser tests: builds the console (`web/dist`) unless it is newer than every source
 * file, exactly as `npm run build -w @glassbox/observatory` does, in production mode (under Vitest NODE_ENV is
 * "test", which would give React's development build).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIST = join(WEB_DIR, 'dist');

export async function ensureConsoleBuilt(): Promise<void> {
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  let builtAt = 0;
  try {
    builtAt = statSync(join(WEB_DIST, 'index.html')).mtimeMs;
  } catch {
    builtAt = 0;
  }
  const sourcesAt = Math.max(newest(join(WEB_DIR, 'src')), statSync(join(WEB_DIR, 'index.html')).mtimeMs);
  if (builtAt > sourcesAt) return;
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(process.execPath, [vite, 'build', WEB_DIR, '--logLevel', 'warn'], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: 'inherit',
  });
}

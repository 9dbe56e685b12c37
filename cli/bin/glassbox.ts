#!/usr/bin/env node
/**
 * The `glassbox` command (`npm start`, `npm run glassbox -- …`): brings `dist/` and the console up to date
 * (a few ms when nothing changed, a few seconds after a change), then runs the compiled CLI. Plain Node runs
 * this file (type stripping); everything it starts runs compiled JavaScript.
 */
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../build/build.ts';

const quiet = process.argv.includes('--json');
try {
  const { dist } = await ensureBuilt({
    log: (line) => {
      if (!quiet) process.stderr.write(`glassbox: ${line}\n`);
    },
  });
  await import(pathToFileURL(`${dist}/cli/main.js`).href);
} catch (err) {
  process.stderr.write(`glassbox: could not build what it runs: ${(err as Error).message}\n`);
  process.exit(1);
}

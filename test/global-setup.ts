/**
 * Vitest global setup: the tests that start services as processes run their compiled bundles, exactly as the
 * supervisor does, so `dist/` (and the console, which the browser tests load) must be up to date first.
 */
import { ensureBuilt } from '../cli/build/build.js';

export default async function setup(): Promise<void> {
  await ensureBuilt({ log: (line) => process.stderr.write(`[global-setup] ${line}\n`) });
}

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkRunbookSet, parseRunbook, type Runbook, RunbookError } from '../domain/runbook.js';

/** Reads every `*.yaml` / `*.yml` of a folder, in name order; the first bad file throws its RunbookError. */
export async function loadRunbooks(dir: string): Promise<Runbook[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (err) {
    throw new RunbookError(dir, '(folder)', `cannot read the runbooks folder: ${(err as Error).message}`);
  }
  const runbooks: Runbook[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    runbooks.push(parseRunbook(file, await readFile(file, 'utf8')));
  }
  checkRunbookSet(runbooks);
  return runbooks;
}

/** `name (file)` per runbook, for the start-up log line. */
export function runbookSummary(runbooks: readonly Runbook[]): string[] {
  return runbooks.map((r) => `${r.name} (${path.basename(r.file)})`);
}

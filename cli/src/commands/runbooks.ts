import path from 'node:path';
import { loadRunbooks } from '../../../services/healer/src/adapters/runbook-files.js';
import { RunbookError } from '../../../services/healer/src/domain/runbook.js';
import { UsageError } from '../args.js';
import { REPO_ROOT } from '../stack.js';

export const RUNBOOKS_USAGE = `Usage: glassbox runbooks [check] [--dir DIR]

Checks the healer's runbooks (runbooks/*.yaml) as the healer reads them at start, and lists them: what each
matches and its actions in order. A bad file is named with its field and the reason (exit 2).

Options:
  --dir DIR     the runbooks folder (default: runbooks/ of the repository)
  -h, --help    show this help
`;

/** The listing of a folder of runbooks, or the first mistake as `file: field: reason`. */
export async function checkRunbooks(
  dir: string,
): Promise<{ ok: true; lines: string[] } | { ok: false; error: string }> {
  try {
    const runbooks = await loadRunbooks(dir);
    return {
      ok: true,
      lines: runbooks.map(
        (r) =>
          `${r.name} (${path.basename(r.file)}): ${r.matchText.join(', ')} → ${r.actions.map((a) => a.action).join(' → ')} → page`,
      ),
    };
  } catch (err) {
    if (err instanceof RunbookError) return { ok: false, error: err.message };
    throw err;
  }
}

export async function runRunbooks(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(RUNBOOKS_USAGE);
    return 0;
  }
  if (args[0] === 'check') args.shift();
  let dir = path.join(REPO_ROOT, 'runbooks');
  while (args.length > 0) {
    const a = args.shift();
    if (a === '--dir') {
      const value = args.shift();
      if (!value) throw new UsageError('--dir needs a folder');
      dir = path.resolve(value);
    } else {
      throw new UsageError(`unknown argument ${a}`);
    }
  }
  const result = await checkRunbooks(dir);
  if (!result.ok) {
    process.stderr.write(`glassbox runbooks: ${result.error}\n`);
    return 2;
  }
  process.stdout.write(`${result.lines.join('\n')}\n`);
  return 0;
}

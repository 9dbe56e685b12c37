import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../args.js';
import { manifestTable, withManifestTable } from '../manifest-doc.js';
import { REPO_ROOT } from '../stack.js';

export const SERVICES_USAGE = `Usage: glassbox services [--write-docs]

Prints the service manifest (packages/contracts/src/manifest.ts) as a Markdown table: each service's port,
database, public routes, the services it calls and the variable through which the others find it.

Options:
  --write-docs   update the table in docs/services.md
  -h, --help     show this help
`;

export async function runServices(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== '--write-docs' && a !== '--help' && a !== '-h');
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}`);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(SERVICES_USAGE);
    return 0;
  }
  if (argv.includes('--write-docs')) {
    const file = path.join(REPO_ROOT, 'docs', 'services.md');
    await writeFile(file, withManifestTable(await readFile(file, 'utf8')));
    process.stdout.write(`updated ${path.relative(process.cwd(), file)}\n`);
    return 0;
  }
  process.stdout.write(`${manifestTable()}\n`);
  return 0;
}

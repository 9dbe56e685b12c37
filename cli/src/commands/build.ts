import { parseArgs } from 'node:util';
import { ensureBuilt } from '../../build/build.js';
import { UsageError } from '../args.js';

export const BUILD_USAGE = `Usage: glassbox build [--force]

Bundles every process (the services, the observatory, this CLI) into dist/ and builds the observatory's
console into observatory/web/dist/ — each only when one of its sources changed since the last build.
Every glassbox command does this first; run it on its own to build ahead (a container image, CI).

Options:
  --force      build even when nothing changed
  -h, --help   show this help
`;

export async function runBuild(argv: readonly string[]): Promise<number> {
  let values: { force?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(BUILD_USAGE);
    return 0;
  }
  const result = await ensureBuilt({
    force: values.force === true,
    log: (line) => process.stderr.write(`glassbox: ${line}\n`),
  });
  const what = [result.built.services ? 'dist/' : '', result.built.console ? 'the console' : '']
    .filter(Boolean)
    .join(' and ');
  process.stdout.write(what ? `built ${what}\n` : 'everything is up to date\n');
  return 0;
}

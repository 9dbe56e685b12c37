/**
 * `glassbox deploy build|check`: renders deploy/compose/, deploy/k8s/ and deploy/grafana/dashboards/ from the
 * service manifest (adding a service needs no hand edit there), or checks the committed files are current.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../args.js';
import { deployFiles, staleFiles, writeDeployFiles } from '../deploy/files.js';
import { REPO_ROOT } from '../stack.js';

export const DEPLOY_USAGE = `Usage: glassbox deploy <build|check>

  build   write deploy/compose/ (compose.yaml and the standard tools' configuration),
          deploy/k8s/ (Kustomize base and the dev, staging and prod overlays) and
          deploy/grafana/dashboards/ from packages/contracts/src/manifest.ts
  check   exit 1 when a committed file differs from what build would write

Options:
  -h, --help   show this help
`;

export async function runDeploy(argv: readonly string[]): Promise<number> {
  let values: { help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: { help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(DEPLOY_USAGE);
    return 0;
  }
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'build' && action !== 'check')) {
    throw new UsageError('say build or check');
  }
  const root = process.env.GLASSBOX_ROOT || REPO_ROOT;
  const files = deployFiles(root);
  if (action === 'check') {
    const stale = staleFiles(root, files);
    for (const file of stale) process.stderr.write(`glassbox deploy: stale ${file}\n`);
    if (stale.length > 0) {
      process.stderr.write('glassbox deploy: run `npm run glassbox -- deploy build`\n');
      return 1;
    }
    process.stderr.write(`glassbox deploy: ${files.length} files up to date\n`);
    return 0;
  }
  const written = writeDeployFiles(root, files);
  for (const file of written) process.stderr.write(`glassbox deploy: wrote ${file}\n`);
  process.stderr.write(`glassbox deploy: ${written.length} of ${files.length} files changed\n`);
  return 0;
}

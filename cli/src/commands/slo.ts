/**
 * `glassbox slo build|check`: compiles the SLOs of slo/*.yaml (Sloth prometheus/v1) and the classic alerts into
 * deploy/prometheus/rules/, or checks that the committed files are what the sources compile to.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseTimeScale } from '@glassbox/contracts/slo-policy';
import { UsageError } from '../args.js';
import { generateRuleFiles, loadSlos, RULES_DIR } from '../slo/rule-files.js';
import { SloSpecError } from '../slo/sloth-spec.js';
import { REPO_ROOT } from '../stack.js';

export const SLO_USAGE = `Usage: glassbox slo <build|check> [options]

  build   compile slo/*.yaml (Sloth prometheus/v1) and the classic alerts into
          deploy/prometheus/rules/slo.rules.yaml and glassbox.rules.yaml
  check   exit 1 when the committed rule files differ from what slo/ compiles to

Options:
  --time-scale <n>   divide every window and \`for\` duration by n (a demo drill; default
                     GLASSBOX_SLO_TIME_SCALE, else 1). Scaled files go to .glassbox/slo/x<n>/ unless --out
                     is given: the committed files stay unscaled.
  --out <dir>        write the rule files into <dir>
  -h, --help         show this help

A bad SLO file is reported with the file, the field and the reason; nothing is written (exit 2).
`;

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

export async function runSlo(argv: readonly string[]): Promise<number> {
  let values: { 'time-scale'?: string; out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        'time-scale': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(SLO_USAGE);
    return 0;
  }
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'build' && action !== 'check')) {
    throw new UsageError('say build or check');
  }
  let timeScale: number;
  try {
    timeScale =
      values['time-scale'] !== undefined
        ? parseTimeScale(values['time-scale'], '--time-scale')
        : parseTimeScale(process.env.GLASSBOX_SLO_TIME_SCALE);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const root = process.env.GLASSBOX_ROOT || REPO_ROOT;

  let files: ReturnType<typeof generateRuleFiles>;
  try {
    files = generateRuleFiles(loadSlos(root), action === 'check' ? 1 : timeScale);
  } catch (err) {
    if (err instanceof SloSpecError) {
      say(`glassbox slo: ${err.file}: ${err.field}: ${err.reason}`);
      say('glassbox slo: nothing written');
      return 2;
    }
    throw err;
  }

  if (action === 'check') {
    const stale = files.filter((f) => {
      try {
        return readFileSync(path.join(root, RULES_DIR, f.name), 'utf8') !== f.text;
      } catch {
        return true;
      }
    });
    if (stale.length === 0) {
      process.stdout.write(`${RULES_DIR} is up to date with slo/\n`);
      return 0;
    }
    say(
      `glassbox slo: stale: ${stale.map((f) => path.join(RULES_DIR, f.name)).join(', ')} — run \`npm run glassbox -- slo build\``,
    );
    return 1;
  }

  const outDir = values.out
    ? path.resolve(values.out)
    : timeScale === 1
      ? path.join(root, RULES_DIR)
      : path.join(root, '.glassbox', 'slo', `x${timeScale}`);
  mkdirSync(outDir, { recursive: true });
  // All or nothing: every file is written next to its target first, then renamed into place.
  for (const f of files) writeFileSync(path.join(outDir, `.${f.name}.tmp`), f.text);
  for (const f of files) renameSync(path.join(outDir, `.${f.name}.tmp`), path.join(outDir, f.name));
  const rules = files.reduce((n, f) => n + f.content.groups.reduce((m, g) => m + g.rules.length, 0), 0);
  for (const f of files)
    process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(outDir, f.name))}\n`);
  process.stdout.write(`${rules} rules${timeScale === 1 ? '' : ` at time scale ${timeScale}`}\n`);
  return 0;
}

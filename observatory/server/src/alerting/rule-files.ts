/**
 * Loads Prometheus rule files (the committed `deploy/prometheus/rules/*.yaml`, compiled from `slo/`) for the
 * embedded evaluator. A file that is not a rule file, or a rule the evaluator cannot evaluate, is refused when
 * the observatory starts, naming the file, group and rule: a rule that silently never fires is worse.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { PromqlError, parseDurationMs, parsePromql } from './promql/parse.js';
import type { RuleGroupSpec } from './rule-engine.js';

export class RuleFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'RuleFileError';
  }
}

const stringMap = z.record(z.string(), z.string());
const ruleSchema = z
  .object({
    record: z.string().min(1).optional(),
    alert: z.string().min(1).optional(),
    expr: z.union([z.string().min(1), z.number()]).transform(String),
    for: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  })
  .refine((r) => (r.record === undefined) !== (r.alert === undefined), {
    message: 'a rule has exactly one of record and alert',
  });
const fileSchema = z.object({
  groups: z.array(
    z.object({ name: z.string().min(1), interval: z.string().optional(), rules: z.array(ruleSchema) }),
  ),
});

/** Parses one rule file's text; `file` names it in errors. */
export function parseRuleFile(file: string, text: string): RuleGroupSpec[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RuleFileError(file, `not YAML: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RuleFileError(file, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  for (const g of parsed.data.groups) {
    for (const [i, r] of g.rules.entries()) {
      const where = `group ${g.name}, rule ${i + 1} (${r.record ?? r.alert})`;
      try {
        parsePromql(r.expr);
        if (r.for !== undefined) parseDurationMs(r.for);
      } catch (err) {
        if (err instanceof PromqlError) throw new RuleFileError(file, `${where}: ${err.message}`);
        throw err;
      }
    }
  }
  return parsed.data.groups.map((g) => ({ name: g.name, file, rules: g.rules }));
}

/** Every `*.yaml`/`*.yml` of a folder, by name. */
export function loadRuleDir(dir: string): RuleGroupSpec[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  } catch (err) {
    throw new RuleFileError(dir, `cannot read the rules folder: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new RuleFileError(dir, 'no rule files (*.yaml) in the folder');
  return names.flatMap((n) => {
    const file = path.join(dir, n);
    return parseRuleFile(file, readFileSync(file, 'utf8'));
  });
}

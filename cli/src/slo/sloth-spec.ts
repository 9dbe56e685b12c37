/**
 * SLO files are Sloth's `prometheus/v1` format (https://sloth.dev/specs/prometheus-v1/): a published format
 * users know, whose alerting policy (page and ticket alerts over multiple windows) is exactly the one Glassbox
 * runs, and which the real `sloth` tool can compile too. This module reads and validates one file; every
 * mistake is reported with the file, the field and the reason.
 *
 * Glassbox asks a little more of each SLO than Sloth does: an owner (`labels.owner`, on the service or the
 * SLO), a runbook (`alerting.annotations.runbook_url`, a page under docs/runbooks/ that must exist), the
 * Glassbox service the alerts are about (`alerting.labels.service`, which Alertmanager groups and inhibits
 * by), and an alerting name.
 */
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';

const Labels = Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String());
const Annotations = Type.Record(Type.String({ minLength: 1 }), Type.String());
const Query = Type.String({ minLength: 1 });

const AlertOverride = Type.Object(
  {
    disable: Type.Optional(Type.Boolean()),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Annotations),
  },
  { additionalProperties: false },
);

const Sli = Type.Object(
  {
    events: Type.Optional(
      Type.Object({ error_query: Query, total_query: Query }, { additionalProperties: false }),
    ),
    raw: Type.Optional(Type.Object({ error_ratio_query: Query }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

const Slo = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    objective: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 100 }),
    description: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    sli: Sli,
    alerting: Type.Object(
      {
        name: Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }),
        labels: Type.Optional(Labels),
        annotations: Type.Optional(Annotations),
        page_alert: Type.Optional(AlertOverride),
        ticket_alert: Type.Optional(AlertOverride),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const SlothSpec = Type.Object(
  {
    version: Type.Literal('prometheus/v1'),
    service: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    labels: Type.Optional(Labels),
    slos: Type.Array(Slo, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type SlothSpec = Static<typeof SlothSpec>;
export type SlothSlo = SlothSpec['slos'][number];

/** A mistake in an SLO file: which file, which field, why. */
export class SloSpecError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'SloSpecError';
  }
}

/** `/slos/0/objective` → `slos[0].objective` (document index first when the file holds several). */
function fieldOf(instancePath: string, doc: number, docs: number): string {
  const parts = instancePath.split('/').filter(Boolean);
  let out = docs > 1 ? `document ${doc + 1}` : '';
  for (const part of parts) {
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? (docs > 1 ? `document ${doc + 1}` : '(top level)') : out;
}

const WINDOW_TEMPLATE = /\{\{\s*\.window\s*\}\}/;

/** Checks one parsed document; returns the first problem as [instancePath, reason], or null. */
function problemOf(value: unknown): [string, string] | null {
  for (const error of Value.Errors(SlothSpec, value)) {
    if (error.keyword === 'additionalProperties') continue;
    if (error.keyword === 'boolean') return [error.instancePath, 'unknown field'];
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      return [`${error.instancePath}/${missing[0] ?? ''}`, 'is required'];
    }
    if (error.keyword === 'const') {
      return [
        error.instancePath,
        `must be ${JSON.stringify((error.params as { allowedValue?: unknown }).allowedValue)}`,
      ];
    }
    return [error.instancePath, error.message];
  }
  const spec = value as SlothSpec;
  const names = new Set<string>();
  const alertNames = new Set<string>();
  for (const [i, slo] of spec.slos.entries()) {
    const at = `/slos/${i}`;
    if (names.has(slo.name)) return [`${at}/name`, `SLO ${slo.name} is defined twice`];
    names.add(slo.name);
    if (alertNames.has(slo.alerting.name))
      return [`${at}/alerting/name`, `alert ${slo.alerting.name} is used by two SLOs`];
    alertNames.add(slo.alerting.name);
    const kinds = [slo.sli.events, slo.sli.raw].filter((k) => k !== undefined).length;
    if (kinds !== 1) return [`${at}/sli`, 'give exactly one of events or raw'];
    const queries: Array<[string, string]> = slo.sli.events
      ? [
          ['events/error_query', slo.sli.events.error_query],
          ['events/total_query', slo.sli.events.total_query],
        ]
      : [['raw/error_ratio_query', slo.sli.raw?.error_ratio_query ?? '']];
    for (const [field, query] of queries) {
      if (!WINDOW_TEMPLATE.test(query)) return [`${at}/sli/${field}`, 'must use {{.window}} as its range'];
      const unknown = /\{\{(?!\s*\.window\s*\}\})[^}]*\}\}/.exec(query);
      if (unknown) return [`${at}/sli/${field}`, `unknown template ${unknown[0]} (only {{.window}} exists)`];
    }
    const owner = slo.labels?.owner ?? spec.labels?.owner;
    if (!owner) return [`${at}/labels/owner`, 'every SLO names an owner (here or in the top-level labels)'];
    if (!slo.alerting.labels?.service)
      return [`${at}/alerting/labels/service`, 'name the Glassbox service the alerts are about'];
    const runbook = slo.alerting.annotations?.runbook_url;
    if (!runbook) return [`${at}/alerting/annotations/runbook_url`, 'every SLO links a runbook'];
    if (!/^docs\/runbooks\/[a-z0-9-]+\.md$/.test(runbook))
      return [`${at}/alerting/annotations/runbook_url`, 'must be a page docs/runbooks/<name>.md'];
    if (slo.alerting.page_alert?.disable && slo.alerting.ticket_alert?.disable)
      return [`${at}/alerting`, 'both alerts are disabled: an SLO nobody is told about is not an SLO'];
  }
  return null;
}

/**
 * Parses an SLO file (one or more YAML documents) into specs. Throws SloSpecError naming the file, the field
 * and the reason. `runbookExists` checks that each runbook page is there.
 */
export function parseSloFile(
  file: string,
  text: string,
  runbookExists: (path: string) => boolean,
): SlothSpec[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new SloSpecError(file, '(top level)', 'not a YAML stream');
  const specs: SlothSpec[] = [];
  for (const [i, doc] of docs.entries()) {
    const yamlError = doc.errors[0];
    if (yamlError) {
      const line = yamlError.linePos?.[0];
      const where = line ? `line ${line.line}, column ${line.col}` : fieldOf('', i, docs.length);
      throw new SloSpecError(file, where, `invalid YAML: ${yamlError.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const problem = problemOf(value);
    if (problem) throw new SloSpecError(file, fieldOf(problem[0], i, docs.length), problem[1]);
    const spec = value as SlothSpec;
    for (const [j, slo] of spec.slos.entries()) {
      const runbook = slo.alerting.annotations?.runbook_url ?? '';
      if (!runbookExists(runbook)) {
        throw new SloSpecError(
          file,
          fieldOf(`/slos/${j}/alerting/annotations/runbook_url`, i, docs.length),
          `${runbook} does not exist`,
        );
      }
    }
    specs.push(spec);
  }
  if (specs.length === 0) throw new SloSpecError(file, '(top level)', 'holds no SLO document');
  return specs;
}

/**
 * Drill scenarios (`drills/*.yaml`, issue 9 §5): the load to drive, the fault to inject through the control API
 * and what must follow — which alert fires, whether the healer heals it, and in how long. A file that does not
 * hold to this is refused with its name, the field and the reason.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isFaultKind, validateFaultRequest } from '@glassbox/contracts';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from '../args.js';
import { SERVICE_NAMES } from '../services.js';

const Duration = Type.String({ minLength: 2, description: 'a duration: 500ms, 30s, 2m' });

const ScenarioSpec = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    description: Type.String({ minLength: 1 }),
    load: Type.Object(
      {
        rate: Type.Number({ exclusiveMinimum: 0, maximum: 50 }),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        warmup: Duration,
      },
      { additionalProperties: false },
    ),
    fault: Type.Object(
      {
        kind: Type.String({ minLength: 1 }),
        service: Type.String({ minLength: 1 }),
        route: Type.Optional(Type.String({ minLength: 1 })),
        dependency: Type.Optional(Type.String({ minLength: 1 })),
        rate: Type.Optional(Type.Number()),
        ms: Type.Optional(Type.Number()),
        status: Type.Optional(Type.Number()),
        kb: Type.Optional(Type.Number()),
        for: Duration,
      },
      { additionalProperties: false },
    ),
    expect: Type.Object(
      {
        /**
         * The alert that detects the fault, or several: whichever fires first (a crash loop may be seen as
         * CrashLooping or as TargetDown, and the healer may heal it on either before the other fires).
         */
        alert: Type.Union([
          Type.String({ minLength: 1 }),
          Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true }),
        ]),
        /** Only the alert of this severity (an SLO's burn alert has a page and a ticket variant of one name). */
        severity: Type.Optional(Type.Union([Type.Literal('page'), Type.Literal('ticket')])),
        service: Type.String({ minLength: 1 }),
        slo: Type.String({ minLength: 1 }),
        healed: Type.Boolean(),
        detectWithin: Duration,
        recoverWithin: Duration,
      },
      { additionalProperties: false },
    ),
    /** Not healable by the healer: what a person does after the page (the drill does it to measure MTTR). */
    manualRemediation: Type.Optional(
      Type.Object(
        {
          action: Type.Literal('clear-fault'),
          why: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type ScenarioSpec = Static<typeof ScenarioSpec>;

export interface DrillScenario {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly load: { readonly rate: number; readonly concurrency: number; readonly warmupMs: number };
  /** The body POSTed to the control API's /faults (its `by` is "drill"). */
  readonly fault: Readonly<Record<string, unknown>> & { kind: string; service: string; forMs: number };
  readonly expect: {
    /** The names of the alerts any of which detects the fault (`alertLabel` says them to people). */
    readonly alerts: readonly string[];
    readonly severity?: 'page' | 'ticket';
    readonly service: string;
    readonly slo: string;
    readonly healed: boolean;
    readonly detectWithinMs: number;
    readonly recoverWithinMs: number;
  };
  readonly manualRemediation?: { readonly action: 'clear-fault'; readonly why: string };
}

/** A mistake in a scenario file: which file, which field, why. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'ScenarioError';
  }
}

/** `/fault/kind` → `fault.kind`. */
function fieldOf(instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  return parts.length === 0 ? '(top level)' : parts.join('.');
}

function schemaProblem(value: unknown): [string, string] | null {
  const errors = [...Value.Errors(ScenarioSpec, value)];
  for (const error of errors) {
    if (error.keyword === 'additionalProperties') continue;
    const alternatives = errors.filter((e) => e.instancePath === error.instancePath);
    if (alternatives.some((e) => e.keyword === 'anyOf')) {
      // A field of several shapes (`expect.alert`: a name or a list): the shape it has broke a rule, or it has
      // none of them.
      const broken = alternatives.find((e) => e.keyword !== 'type' && e.keyword !== 'anyOf');
      if (broken) return [broken.instancePath, broken.message];
      const types = alternatives
        .filter((e) => e.keyword === 'type')
        .map((e) => e.message.replace(/^must be /, ''));
      return [error.instancePath, `must be ${types.join(' or ')}`];
    }
    if (error.keyword === 'boolean') return [error.instancePath, 'unknown field'];
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      return [`${error.instancePath}/${missing[0] ?? ''}`, 'is required'];
    }
    return [error.instancePath, error.message];
  }
  return null;
}

function duration(file: string, field: string, text: string): number {
  try {
    const ms = parseDuration(text, field);
    if (ms > 0) return ms;
  } catch {
    // named below
  }
  throw new ScenarioError(file, field, `${JSON.stringify(text)} is not a positive duration (30s, 2m)`);
}

/** Parses one scenario file (one YAML document). Throws ScenarioError naming the file, the field and the reason. */
export function parseScenario(file: string, text: string): DrillScenario {
  const docs = parseAllDocuments(text);
  const doc = Array.isArray(docs) && docs.length === 1 ? docs[0] : undefined;
  if (!doc) throw new ScenarioError(file, '(file)', 'expected exactly one YAML document');
  const yamlError = doc.errors[0];
  if (yamlError) {
    throw new ScenarioError(file, '(file)', `not valid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS();
  const problem = schemaProblem(value);
  if (problem) throw new ScenarioError(file, fieldOf(problem[0]), problem[1]);
  const spec = value as ScenarioSpec;

  const { for: forText, ms, kb, ...rest } = spec.fault;
  if (!isFaultKind(rest.kind)) throw new ScenarioError(file, 'fault.kind', `unknown fault kind ${rest.kind}`);
  const fault = {
    ...rest,
    ...(ms !== undefined ? { ms } : {}),
    ...(kb !== undefined ? { kb } : {}),
    forMs: duration(file, 'fault.for', forText),
    by: 'drill',
  };
  // The catalogue's own validation (kind, service, dependency, ranges), named as fields of this file.
  const { problems } = validateFaultRequest(fault, SERVICE_NAMES);
  const first = problems[0];
  if (first) {
    const field = first.field === 'forMs' ? 'for' : first.field;
    throw new ScenarioError(file, `fault.${field}`, first.message);
  }
  if (!(SERVICE_NAMES as readonly string[]).includes(spec.expect.service)) {
    throw new ScenarioError(file, 'expect.service', `unknown service ${spec.expect.service}`);
  }
  if (!spec.expect.healed && !spec.manualRemediation) {
    throw new ScenarioError(
      file,
      'manualRemediation',
      'is required when expect.healed is false (say what a person does to recover)',
    );
  }
  return {
    file,
    name: spec.name,
    description: spec.description,
    load: {
      rate: spec.load.rate,
      concurrency: spec.load.concurrency ?? 60,
      warmupMs: duration(file, 'load.warmup', spec.load.warmup),
    },
    fault,
    expect: {
      alerts: typeof spec.expect.alert === 'string' ? [spec.expect.alert] : [...spec.expect.alert],
      ...(spec.expect.severity ? { severity: spec.expect.severity } : {}),
      service: spec.expect.service,
      slo: spec.expect.slo,
      healed: spec.expect.healed,
      detectWithinMs: duration(file, 'expect.detectWithin', spec.expect.detectWithin),
      recoverWithinMs: duration(file, 'expect.recoverWithin', spec.expect.recoverWithin),
    },
    ...(spec.manualRemediation ? { manualRemediation: spec.manualRemediation } : {}),
  };
}

/** The expected alert, or the alerts joined by "or", for logs and reports. */
export const alertLabel = (expect: { readonly alerts: readonly string[] }): string =>
  expect.alerts.join(' or ');

/** Every `*.yaml` of the folder, in name order; the first bad file throws its ScenarioError. */
export async function loadScenarios(dir: string): Promise<DrillScenario[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  const out: DrillScenario[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    out.push(parseScenario(file, await readFile(file, 'utf8')));
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.name)) throw new ScenarioError(s.file, 'name', `${s.name} is used by another scenario`);
    seen.add(s.name);
  }
  return out;
}

/** A scenario by name (drills/NAME.yaml) or by path. */
export async function loadScenario(dir: string, nameOrPath: string): Promise<DrillScenario> {
  const file = /[/\\]|\.ya?ml$/.test(nameOrPath) ? nameOrPath : path.join(dir, `${nameOrPath}.yaml`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ScenarioError(file, '(file)', 'no such scenario file');
  }
  return parseScenario(file, text);
}

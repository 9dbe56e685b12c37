/**
 * Runbooks as code (`runbooks/*.yaml`): which alerts a runbook takes (Alertmanager matchers on the alert's
 * labels), which service it acts on (a label of the alert), and its remediation, an ordered list of actions.
 * Each action names how its success is verified (the alert resolves, or an SLO's SLI is back within its
 * objective, within a time); when it is not, the next action is tried, and after the last one a person is
 * paged. A file that does not hold to this is refused with its name, the field and the reason.
 */
import { SLI_WINDOWS } from '@glassbox/contracts/slo-policy';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { parseAllDocuments } from 'yaml';
import { parseDuration } from './durations.js';
import { type Matcher, matches, parseMatcher } from './matchers.js';

/** What the healer can do. Disruptive actions change what serves traffic; they may require approval. */
export const ACTIONS = {
  'restart-service': { disruptive: true, description: 'restart (or start) the target service' },
  'rollback-release': {
    disruptive: true,
    description:
      'roll the target back to its last good release, when it runs one marked bad (a crash loop after a release); otherwise nothing is done and the next action runs',
  },
  'scale-out': {
    disruptive: false,
    description:
      "add a replica of the target (cluster mode: its HorizontalPodAutoscaler's minReplicas + 1, within maxReplicas); not applicable in embedded mode (one process per service) or at the maximum: the next action runs",
  },
  'open-circuit': {
    disruptive: true,
    description: "hold the gateway's circuit to the target open for forSeconds: GETs get degraded answers",
  },
  'shed-load': {
    disruptive: true,
    description:
      'make the gateway refuse a fraction of the API requests for forSeconds (target: the gateway)',
  },
} as const;
export type ActionKind = keyof typeof ACTIONS;

const Duration = Type.String({ minLength: 2, description: 'a duration: 500ms, 30s, 2m, 1h' });

const Verify = Type.Object(
  {
    within: Duration,
    alertResolved: Type.Optional(Type.Literal(true)),
    sliRecovered: Type.Optional(
      Type.Object(
        {
          slo: Type.String({ minLength: 1 }),
          window: Type.Union(SLI_WINDOWS.map((w) => Type.Literal(w))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Action = Type.Object(
  {
    action: Type.Union(Object.keys(ACTIONS).map((a) => Type.Literal(a))),
    /** open-circuit, shed-load: how long the lever stays pulled. Default 300. */
    forSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    /** shed-load: the share of requests refused. Default 0.5. */
    fraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    verify: Verify,
  },
  { additionalProperties: false },
);

export const RunbookSpec = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$' }),
    description: Type.String({ minLength: 1 }),
    match: Type.Array(Type.String(), { minItems: 1 }),
    /** The alert label that names the service to act on. Default `service`. */
    target: Type.Optional(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' })),
    actions: Type.Array(Action, { minItems: 1 }),
  },
  { additionalProperties: false },
);
type RunbookSpec = Static<typeof RunbookSpec>;

export type Verification =
  | { readonly kind: 'alert-resolved'; readonly withinMs: number }
  | {
      readonly kind: 'sli-recovered';
      readonly withinMs: number;
      readonly slo: string;
      readonly window: string;
    };

export interface RunbookAction {
  readonly action: ActionKind;
  readonly disruptive: boolean;
  readonly verify: Verification;
  /** open-circuit and shed-load: for how long. */
  readonly forSeconds?: number;
  /** shed-load: the share refused. */
  readonly fraction?: number;
}

export interface Runbook {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly match: readonly Matcher[];
  readonly matchText: readonly string[];
  readonly targetLabel: string;
  readonly actions: readonly RunbookAction[];
}

/** A mistake in a runbook file: which file, which field, why. */
export class RunbookError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'RunbookError';
  }
}

/** `/actions/0/verify/within` → `actions[0].verify.within`. */
function fieldOf(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').filter(Boolean)) {
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

function schemaProblem(value: unknown): [string, string] | null {
  for (const error of Value.Errors(RunbookSpec, value)) {
    if (error.keyword === 'additionalProperties') continue;
    if (error.keyword === 'boolean') return [error.instancePath, 'unknown field'];
    if (error.keyword === 'required') {
      const missing = (error.params as { requiredProperties?: string[] }).requiredProperties ?? [];
      return [`${error.instancePath}/${missing[0] ?? ''}`, 'is required'];
    }
    if (/^\/actions\/\d+\/action$/.test(error.instancePath)) {
      return [error.instancePath, `unknown action (known: ${Object.keys(ACTIONS).join(', ')})`];
    }
    return [error.instancePath, error.message];
  }
  return null;
}

/** Parses one runbook file (one YAML document). Throws RunbookError naming the file, the field and the reason. */
export function parseRunbook(file: string, text: string): Runbook {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.length !== 1) {
    throw new RunbookError(file, '(file)', 'expected exactly one YAML document');
  }
  const doc = docs[0];
  if (!doc) throw new RunbookError(file, '(file)', 'expected exactly one YAML document');
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new RunbookError(file, '(file)', `not valid YAML: ${yamlError.message.split('\n')[0]}`);
  const value: unknown = doc.toJS();
  const problem = schemaProblem(value);
  if (problem) throw new RunbookError(file, fieldOf(problem[0]), problem[1]);
  const spec = value as RunbookSpec;
  const match = spec.match.map((text, i) => {
    try {
      return parseMatcher(text);
    } catch (err) {
      throw new RunbookError(file, `match[${i}]`, (err as Error).message);
    }
  });
  if (!match.some((m) => m.op === '=' || m.op === '=~')) {
    throw new RunbookError(
      file,
      'match',
      'needs at least one positive matcher (= or =~), or it takes every alert',
    );
  }
  const actions = spec.actions.map((a, i): RunbookAction => {
    const at = `actions[${i}].verify`;
    const withinMs = parseDuration(a.verify.within);
    if (withinMs === null || withinMs <= 0) {
      throw new RunbookError(
        file,
        `${at}.within`,
        `${JSON.stringify(a.verify.within)} is not a positive duration`,
      );
    }
    const kinds = [a.verify.alertResolved, a.verify.sliRecovered].filter((k) => k !== undefined).length;
    if (kinds !== 1) throw new RunbookError(file, at, 'give exactly one of alertResolved or sliRecovered');
    const verify: Verification = a.verify.sliRecovered
      ? {
          kind: 'sli-recovered',
          withinMs,
          slo: a.verify.sliRecovered.slo,
          window: a.verify.sliRecovered.window,
        }
      : { kind: 'alert-resolved', withinMs };
    const kind = a.action as ActionKind;
    if (a.fraction !== undefined && kind !== 'shed-load') {
      throw new RunbookError(file, `actions[${i}].fraction`, 'only shed-load takes a fraction');
    }
    const untimed = kind === 'restart-service' || kind === 'rollback-release' || kind === 'scale-out';
    if (a.forSeconds !== undefined && untimed) {
      throw new RunbookError(file, `actions[${i}].forSeconds`, `${kind} takes no forSeconds`);
    }
    const timed = untimed ? {} : { forSeconds: a.forSeconds ?? 300 };
    const share = kind === 'shed-load' ? { fraction: a.fraction ?? 0.5 } : {};
    return { action: kind, disruptive: ACTIONS[kind].disruptive, verify, ...timed, ...share };
  });
  return {
    name: spec.name,
    file,
    description: spec.description,
    match,
    matchText: spec.match,
    targetLabel: spec.target ?? 'service',
    actions,
  };
}

/** Checks a set of runbooks together: names are unique. */
export function checkRunbookSet(runbooks: readonly Runbook[]): void {
  const seen = new Map<string, string>();
  for (const r of runbooks) {
    const other = seen.get(r.name);
    if (other) throw new RunbookError(r.file, 'name', `runbook ${r.name} is also defined in ${other}`);
    seen.set(r.name, r.file);
  }
}

/** The first runbook (in file-name order) whose every matcher holds for the alert's labels. */
export function matchRunbook(
  runbooks: readonly Runbook[],
  labels: Readonly<Record<string, string>>,
): Runbook | undefined {
  return runbooks.find((r) => r.match.every((m) => matches(m, labels)));
}

/**
 * Alert label matchers in Alertmanager's syntax (`alertname="TargetDown"`, `service=~"order|inventory"`,
 * `severity!="ticket"`), the form its routes and inhibitions already use: a runbook matches the alerts an
 * operator would route to it.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
  readonly re?: RegExp;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** Parses one matcher; throws a sentence saying what is wrong. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m)
    throw new Error(`not a matcher (expected label="value", label!="value", label=~"re" or label!~"re")`);
  const [, label = '', op = '=', raw = ''] = m;
  const value = raw.replace(/\\(.)/g, '$1');
  if (op === '=~' || op === '!~') {
    try {
      // Anchored, as Alertmanager and Prometheus anchor theirs.
      return { label, op, value, re: new RegExp(`^(?:${value})$`) };
    } catch (err) {
      throw new Error(`invalid regular expression: ${(err as Error).message}`);
    }
  }
  return { label, op: op as MatchOp, value };
}

/** Whether the labels satisfy the matcher; a missing label reads as the empty string (as in Alertmanager). */
export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[matcher.label] ?? '';
  switch (matcher.op) {
    case '=':
      return v === matcher.value;
    case '!=':
      return v !== matcher.value;
    case '=~':
      return matcher.re?.test(v) ?? false;
    case '!~':
      return !(matcher.re?.test(v) ?? false);
  }
}

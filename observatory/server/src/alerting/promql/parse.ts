/**
 * PromQL text → the AST of ast.ts, with the Prometheus project's own grammar (@prometheus-io/lezer-promql).
 * Anything outside the subset the evaluator implements is refused here, by name, so a rule the observatory
 * cannot evaluate is reported when the rules load rather than silently never firing. Ranges are divided by
 * the demo time scale as they are read.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import type { Expr, Matcher, MatchOp } from './ast.js';

export class PromqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromqlError';
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };

export function parseDurationMs(text: string): number {
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+)(ms|s|m|h|d|w|y)/.exec(rest);
    if (!m) throw new PromqlError(`bad duration ${text}`);
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

const FUNCTIONS = new Set([
  'rate',
  'increase',
  'deriv',
  'avg_over_time',
  'max_over_time',
  'histogram_quantile',
  'vector',
  'abs',
]);
const AGGREGATES = new Set(['sum', 'max', 'min', 'avg', 'count']);
const BINARY = new Set(['+', '-', '*', '/', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless']);

function unquote(text: string): string {
  return JSON.parse(text.startsWith("'") ? `"${text.slice(1, -1).replace(/"/g, '\\"')}"` : text) as string;
}

export function parsePromql(source: string, timeScale = 1): Expr {
  const tree = parser.parse(source);
  const errors: string[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}`);
    },
  });
  if (errors.length > 0) throw new PromqlError(`${errors[0]} in ${source}`);
  const text = (n: SyntaxNode) => source.slice(n.from, n.to);
  const children = (n: SyntaxNode): SyntaxNode[] => {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  };

  const matchers = (sel: SyntaxNode): Matcher[] => {
    const out: Matcher[] = [];
    for (const c of children(sel)) {
      if (c.name === 'Identifier') out.push({ name: '__name__', op: '=', value: text(c) });
      if (c.name === 'LabelMatchers') {
        for (const m of children(c)) {
          if (m.name !== 'UnquotedLabelMatcher') continue;
          const parts = children(m);
          out.push({
            name: text(parts[0] as SyntaxNode),
            op: text(parts[1] as SyntaxNode) as MatchOp,
            value: unquote(text(parts[2] as SyntaxNode)),
          });
        }
      }
    }
    return out;
  };

  const grouping = (n: SyntaxNode): string[] =>
    children(n)
      .filter((c) => c.name === 'LabelName')
      .map(text);

  const expr = (n: SyntaxNode): Expr => {
    switch (n.name) {
      case 'PromQL':
      case 'ParenExpr':
        return expr(children(n).find((c) => c.name !== '(' && c.name !== ')') as SyntaxNode);
      case 'NumberDurationLiteral':
        return { kind: 'number', value: Number(text(n)) };
      case 'StringLiteral':
        return { kind: 'string', value: unquote(text(n)) };
      case 'VectorSelector':
        return { kind: 'vector', matchers: matchers(n) };
      case 'MatrixSelector': {
        const [sel, dur] = children(n);
        const rangeMs = Math.max(1, Math.round(parseDurationMs(text(dur as SyntaxNode)) / timeScale));
        return { kind: 'matrix', matchers: matchers(sel as SyntaxNode), rangeMs };
      }
      case 'UnaryExpr': {
        const [op, inner] = children(n);
        const e = expr(inner as SyntaxNode);
        return text(op as SyntaxNode) === '-' ? { kind: 'neg', expr: e } : e;
      }
      case 'FunctionCall': {
        const [id, body] = children(n);
        const fn = text(id as SyntaxNode);
        if (!FUNCTIONS.has(fn)) throw new PromqlError(`function ${fn} is not supported`);
        const args = children(body as SyntaxNode)
          .filter((c) => c.name !== '(' && c.name !== ')' && c.name !== ',')
          .map(expr);
        return { kind: 'call', fn, args };
      }
      case 'AggregateExpr': {
        const parts = children(n);
        const op = text(parts[0] as SyntaxNode);
        if (!AGGREGATES.has(op)) throw new PromqlError(`aggregation ${op} is not supported`);
        const modifier = parts.find((c) => c.name === 'AggregateModifier');
        const body = parts.find((c) => c.name === 'FunctionCallBody') as SyntaxNode;
        const args = children(body)
          .filter((c) => c.name !== '(' && c.name !== ')' && c.name !== ',')
          .map(expr);
        const without = modifier ? children(modifier).some((c) => c.name === 'Without') : false;
        const labels = modifier
          ? grouping(children(modifier).find((c) => c.name === 'GroupingLabels') as SyntaxNode)
          : [];
        return { kind: 'aggregate', op, grouping: labels, without, expr: args[args.length - 1] as Expr };
      }
      case 'BinaryExpr': {
        const parts = children(n);
        const lhs = parts[0] as SyntaxNode;
        const rhs = parts[parts.length - 1] as SyntaxNode;
        const op = text(parts[1] as SyntaxNode);
        if (!BINARY.has(op)) throw new PromqlError(`operator ${op} is not supported`);
        const bool = parts.some((c) => c.name === 'BoolModifier');
        const clause = parts.find((c) => c.name === 'MatchingModifierClause');
        if (clause && children(clause).some((c) => c.name === 'GroupLeft' || c.name === 'GroupRight')) {
          throw new PromqlError('group_left/group_right are not supported');
        }
        const matching = clause
          ? {
              on: children(clause).some((c) => c.name === 'On'),
              labels: grouping(children(clause).find((c) => c.name === 'GroupingLabels') as SyntaxNode),
            }
          : undefined;
        return {
          kind: 'binary',
          op,
          lhs: expr(lhs),
          rhs: expr(rhs),
          bool,
          ...(matching ? { matching } : {}),
        };
      }
      default:
        throw new PromqlError(`${n.name} (${text(n)}) is not supported`);
    }
  };
  return expr(tree.topNode);
}

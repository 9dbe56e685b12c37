/** The PromQL subset the observatory evaluates (what the generated rule files use), as a small AST. */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'vector'; readonly matchers: readonly Matcher[] }
  | { readonly kind: 'matrix'; readonly matchers: readonly Matcher[]; readonly rangeMs: number }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | {
      readonly kind: 'aggregate';
      readonly op: string;
      readonly grouping: readonly string[];
      readonly without: boolean;
      readonly param?: Expr;
      readonly expr: Expr;
    }
  | {
      readonly kind: 'binary';
      readonly op: string;
      readonly lhs: Expr;
      readonly rhs: Expr;
      readonly bool: boolean;
      /** `on(…)` (true) or `ignoring(…)` (false) with its labels; undefined: match on all labels. */
      readonly matching?: { readonly on: boolean; readonly labels: readonly string[] };
    }
  | { readonly kind: 'neg'; readonly expr: Expr };

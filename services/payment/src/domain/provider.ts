/**
 * The simulated card provider's rules, free of HTTP and SQL: what a test card token does, and what of it may
 * be kept. The token itself never leaves this module except as its kind and last 4 characters.
 */

export type CardKind = 'test-approve' | 'test-decline' | 'test-slow' | 'unknown';

export interface CardSummary {
  kind: CardKind;
  last4: string;
}

export type ProviderDecision =
  | { outcome: 'approve'; delayMs: number }
  | { outcome: 'decline'; delayMs: number; reason: string };

const KINDS: Record<string, CardKind> = {
  tok_ok: 'test-approve',
  tok_declined: 'test-decline',
  tok_slow: 'test-slow',
};

export function summarizeCard(token: string): CardSummary {
  return { kind: KINDS[token] ?? 'unknown', last4: token.slice(-4) };
}

/** What the provider answers for a token: tok_ok approves, tok_slow approves after `slowMs`, the rest decline. */
export function decide(token: string, slowMs: number): ProviderDecision {
  switch (KINDS[token]) {
    case 'test-approve':
      return { outcome: 'approve', delayMs: 0 };
    case 'test-slow':
      return { outcome: 'approve', delayMs: slowMs };
    case 'test-decline':
      return { outcome: 'decline', delayMs: 0, reason: 'card declined by the issuer' };
    default:
      return { outcome: 'decline', delayMs: 0, reason: 'unknown card token' };
  }
}

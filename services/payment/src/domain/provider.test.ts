import { describe, expect, it } from 'vitest';
import { decide, summarizeCard } from './provider.js';

describe('simulated provider', () => {
  it('approves tok_ok at once and tok_slow after the configured delay', () => {
    expect(decide('tok_ok', 3000)).toEqual({ outcome: 'approve', delayMs: 0 });
    expect(decide('tok_slow', 3000)).toEqual({ outcome: 'approve', delayMs: 3000 });
  });

  it('declines tok_declined and any unknown token, saying why', () => {
    expect(decide('tok_declined', 3000)).toMatchObject({
      outcome: 'decline',
      reason: 'card declined by the issuer',
    });
    expect(decide('tok_visa_4242', 3000)).toMatchObject({ outcome: 'decline', reason: 'unknown card token' });
    expect(decide('', 3000)).toMatchObject({ outcome: 'decline', reason: 'unknown card token' });
  });

  it('keeps only the kind and the last 4 characters of a token', () => {
    expect(summarizeCard('tok_ok')).toEqual({ kind: 'test-approve', last4: 'k_ok' });
    expect(summarizeCard('tok_slow')).toEqual({ kind: 'test-slow', last4: 'slow' });
    expect(summarizeCard('tok_4000000000000002')).toEqual({ kind: 'unknown', last4: '0002' });
    expect(summarizeCard('ab')).toEqual({ kind: 'unknown', last4: 'ab' });
  });
});

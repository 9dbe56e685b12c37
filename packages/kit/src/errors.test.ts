import { describe, expect, it } from 'vitest';
import { AppError, appError, defineErrorCodes, errorCodeDefinition, toProblem } from './errors.js';

describe('error codes', () => {
  it('knows the kit codes without any declaration, and no domain code', () => {
    expect(appError('NOT_FOUND').status).toBe(404);
    // Domain codes belong to the services that raise them, not to the kit's catalogue.
    for (const code of ['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'INVALID_CREDENTIALS', 'ILLEGAL_TRANSITION']) {
      expect(errorCodeDefinition(code), code).toBeUndefined();
    }
  });

  it("answers a service's declared code with its status, title and type", () => {
    const { appError: raise } = defineErrorCodes({
      GIFT_CARD_SPENT: { status: 409, title: 'The gift card has no balance left' },
    });
    const error = raise('GIFT_CARD_SPENT', 'card g-1 is spent', { cardId: 'g-1' });
    expect(toProblem(error)).toMatchObject({
      status: 409,
      code: 'GIFT_CARD_SPENT',
      title: 'The gift card has no balance left',
      detail: 'card g-1 is spent',
      type: 'https://glassbox.dev/problems/gift-card-spent',
      cardId: 'g-1',
    });
    // Its factory takes the kit's codes too.
    expect(raise('RATE_LIMITED').status).toBe(429);
  });

  it('refuses a code nobody declared instead of guessing a status', () => {
    expect(() => new AppError('NEVER_DECLARED')).toThrow(/unknown error code NEVER_DECLARED/);
  });

  it('lets two services declare a shared contract code only with the same meaning', () => {
    defineErrorCodes({ SHARED_STATE: { status: 409, title: 'Not now' } });
    expect(() => defineErrorCodes({ SHARED_STATE: { status: 409, title: 'Not now' } })).not.toThrow();
    expect(() => defineErrorCodes({ SHARED_STATE: { status: 422, title: 'Not now' } })).toThrow(
      /already declared as 409/,
    );
    expect(() => defineErrorCodes({ NOT_FOUND: { status: 410, title: 'Gone' } })).toThrow(/already declared/);
  });

  it('refuses malformed declarations', () => {
    expect(() => defineErrorCodes({ 'bad-name': { status: 400, title: 'x' } })).toThrow(/UPPER_SNAKE_CASE/);
    expect(() => defineErrorCodes({ FINE: { status: 200, title: 'x' } })).toThrow(/not a 4xx or 5xx/);
  });
});

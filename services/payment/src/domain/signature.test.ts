import { describe, expect, it } from 'vitest';
import { sign, signatureHeader, verifySignature } from './signature.js';

const SECRET = 'whsec_test_0123456789abcdef';
const body = '{"id":"evt_1","type":"payment.captured"}';
const now = 1_800_000_000;
const opts = { nowSeconds: now, toleranceSeconds: 300 };

describe('provider signatures', () => {
  it('computes HMAC-SHA256 over "<t>.<body>" (vector from openssl dgst -sha256 -hmac key)', () => {
    expect(sign('key', 1, 'x')).toBe('fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec');
  });

  it('accepts a valid signature within the tolerance', () => {
    expect(verifySignature(signatureHeader(SECRET, now - 299, body), body, SECRET, opts)).toEqual({
      ok: true,
      timestamp: now - 299,
    });
  });

  it('accepts when any of several v1 entries matches (secret rotation)', () => {
    const header = `t=${now},v1=${sign('old-secret-000000', now, body)},v1=${sign(SECRET, now, body)}`;
    expect(verifySignature(header, body, SECRET, opts).ok).toBe(true);
  });

  it('refuses a missing or malformed header', () => {
    expect(verifySignature(undefined, body, SECRET, opts)).toMatchObject({ ok: false, reason: /missing/ });
    for (const header of [
      '',
      'garbage',
      `t=${now}`,
      'v1=abcd',
      `t=abc,v1=${sign(SECRET, now, body)}`,
      `t=${now},v1=xyz`,
    ]) {
      expect(verifySignature(header, body, SECRET, opts).ok).toBe(false);
    }
  });

  it('refuses another secret, a changed body and a changed timestamp', () => {
    expect(verifySignature(signatureHeader('another-secret-0000', now, body), body, SECRET, opts).ok).toBe(
      false,
    );
    expect(verifySignature(signatureHeader(SECRET, now, body), `${body} `, SECRET, opts).ok).toBe(false);
    const v1 = sign(SECRET, now, body);
    expect(verifySignature(`t=${now + 1},v1=${v1}`, body, SECRET, opts).ok).toBe(false);
  });

  it('refuses timestamps outside the tolerance, in the past and in the future', () => {
    expect(verifySignature(signatureHeader(SECRET, now - 301, body), body, SECRET, opts)).toMatchObject({
      ok: false,
      reason: /tolerance/,
    });
    expect(verifySignature(signatureHeader(SECRET, now + 301, body), body, SECRET, opts).ok).toBe(false);
  });
});

/**
 * Provider callback signatures: `x-provider-signature: t=<unix seconds>,v1=<hex>` where v1 is
 * HMAC-SHA256(secret, `<t>.<raw body>`). Several v1 entries may be sent (secret rotation); one match is enough.
 * Timestamps outside the tolerance are refused, so a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

export function sign(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The header value a provider would send for `rawBody` at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, rawBody: string): string {
  return `t=${timestamp},v1=${sign(secret, timestamp, rawBody)}`;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function verifySignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  options: { nowSeconds: number; toleranceSeconds: number },
): SignatureCheck {
  if (!header) return { ok: false, reason: 'the x-provider-signature header is missing' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && HEX64.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) {
    return { ok: false, reason: 'the signature header is malformed (expected t=<unix>,v1=<hex>)' };
  }
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) {
    return { ok: false, reason: 'the signature timestamp is outside the tolerance' };
  }
  const expected = Buffer.from(sign(secret, timestamp, rawBody), 'hex');
  // Compare every candidate (no early exit) in constant time.
  let match = false;
  for (const candidate of candidates) {
    const given = Buffer.from(candidate, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  return match ? { ok: true, timestamp } : { ok: false, reason: 'the signature does not match' };
}

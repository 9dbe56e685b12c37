import { describe, expect, it } from 'vitest';
import {
  FAULT_CATALOGUE,
  FAULT_DEFAULT_DURATION_MS,
  FAULT_KINDS,
  type Fault,
  faultFlagDocument,
  faultFlagKey,
  modelsBadRelease,
  validateFaultRequest,
} from './faults.js';

const SERVICES = ['gateway', 'order', 'inventory'];
const deps = (s: string) => (s === 'order' ? ['inventory'] : []);
const fields = (input: unknown) => validateFaultRequest(input, SERVICES, deps).problems.map((p) => p.field);

describe('validateFaultRequest', () => {
  it('accepts a valid request and fills every default', () => {
    const { fault, problems } = validateFaultRequest({ kind: 'latency', service: 'order' }, SERVICES, deps);
    expect(problems).toEqual([]);
    expect(fault).toEqual({
      kind: 'latency',
      service: 'order',
      params: { ms: 500, jitterMs: 0, rate: 1 },
      by: 'unknown',
      forMs: FAULT_DEFAULT_DURATION_MS,
    });
  });

  it('names the unknown kind and the unknown service with their values', () => {
    const { problems, fault } = validateFaultRequest({ kind: 'meteor', service: 'billing' }, SERVICES);
    expect(fault).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual(['kind', 'service']);
    expect(problems[0]?.message).toContain('"meteor"');
    expect(problems[1]?.message).toContain('"billing"');
  });

  it('refuses out-of-range, non-numeric and fractional intensities, naming the value and the range', () => {
    const { problems } = validateFaultRequest(
      { kind: 'error', service: 'order', rate: 1.5, status: 404 },
      SERVICES,
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['rate', '1.5 is out of range (0.01–1)'],
      ['status', '404 is out of range (500–599)'],
    ]);
    expect(fields({ kind: 'latency', service: 'order', ms: 'fast' })).toEqual(['ms']);
    expect(fields({ kind: 'latency', service: 'order', ms: 10.5 })).toEqual(['ms']);
    expect(fields({ kind: 'latency', service: 'order', forMs: 10 })).toEqual(['for']);
  });

  it('refuses a parameter, a route or a dependency the kind does not take, and unknown fields', () => {
    expect(fields({ kind: 'crash', service: 'order', ms: 10 })).toEqual(['ms']);
    expect(fields({ kind: 'crash', service: 'order', route: '/x' })).toEqual(['route']);
    expect(fields({ kind: 'latency', service: 'order', dependency: 'inventory' })).toEqual(['dependency']);
    expect(fields({ kind: 'latency', service: 'order', speed: 1 })).toEqual(['speed']);
    expect(fields({ kind: 'latency', service: 'order', route: 'no-slash' })).toEqual(['route']);
  });

  it('requires a dependency of the service for dependency faults', () => {
    expect(fields({ kind: 'dependency-error', service: 'order' })).toEqual(['dependency']);
    expect(fields({ kind: 'dependency-error', service: 'order', dependency: 'gateway' })).toEqual([
      'dependency',
    ]);
    expect(fields({ kind: 'dependency-error', service: 'order', dependency: 'inventory' })).toEqual([]);
  });

  it('every kind has sane parameter ranges', () => {
    for (const kind of FAULT_KINDS) {
      for (const p of Object.values(FAULT_CATALOGUE[kind].params)) {
        expect(p.min).toBeLessThanOrEqual(p.default);
        expect(p.default).toBeLessThanOrEqual(p.max);
      }
    }
  });
});

describe('modelsBadRelease', () => {
  it('marks crash-loop (a bad release) and no fault that lives in a process or around it', () => {
    expect(FAULT_KINDS.filter(modelsBadRelease)).toEqual(['crash-loop']);
    // A restart heals these, or nothing in the service's release causes them: a rollback must not end them.
    for (const kind of ['crash', 'memory-leak', 'hang', 'dependency-error', 'db-down', 'error'] as const) {
      expect(modelsBadRelease(kind)).toBe(false);
    }
  });
});

describe('faultFlagDocument', () => {
  it('one flag per kind, a variant per targeted service chosen by targeting on service', () => {
    const f: Fault = {
      id: 'a',
      kind: 'error',
      service: 'order',
      params: { rate: 1, status: 500 },
      startedAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2026-01-01T00:05:00.000Z',
      endedAt: null,
      by: 't',
    };
    const doc = faultFlagDocument([f]) as { flags: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.flags)).toHaveLength(FAULT_KINDS.length);
    expect(doc.flags[faultFlagKey('error')]).toEqual({
      state: 'ENABLED',
      variants: { none: { faults: [] }, order: { faults: [f] } },
      defaultVariant: 'none',
      targeting: { if: [{ '==': [{ var: 'service' }, 'order'] }, 'order', 'none'] },
    });
    expect(doc.flags[faultFlagKey('latency')]).toEqual({
      state: 'ENABLED',
      variants: { none: { faults: [] } },
      defaultVariant: 'none',
    });
  });
});

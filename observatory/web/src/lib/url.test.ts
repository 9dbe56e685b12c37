import { describe, expect, it } from 'vitest';
import {
  carryGlobals,
  href,
  matchPath,
  TRACE_HINT_MARGIN_MS,
  traceHintWindow,
  traceHref,
  updateSearch,
} from './url.js';

describe('matchPath', () => {
  it('matches static and parameter segments', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/traces', '/traces/')).toEqual({});
    expect(matchPath('/traces/:traceId', '/traces/abc123')).toEqual({ traceId: 'abc123' });
    expect(matchPath('/services/:service', '/services/order%20svc')).toEqual({ service: 'order svc' });
  });

  it('rejects other shapes', () => {
    expect(matchPath('/traces/:traceId', '/traces')).toBeNull();
    expect(matchPath('/traces/:traceId', '/traces/a/b')).toBeNull();
    expect(matchPath('/logs', '/metrics')).toBeNull();
    expect(matchPath('/services/:service', '/services/%E0%A4%A')).toBeNull();
  });
});

describe('carryGlobals', () => {
  const current = new URLSearchParams('range=6h&refresh=10s&service=order');

  it('adds the time range and refresh to a link, never page-specific parameters', () => {
    expect(carryGlobals('/logs?traceId=abc', current)).toBe('/logs?traceId=abc&range=6h&refresh=10s');
    expect(carryGlobals('/', current)).toBe('/?range=6h&refresh=10s');
  });

  it('lets a link with its own window replace the current one', () => {
    expect(carryGlobals('/traces?from=1&to=2', current)).toBe('/traces?from=1&to=2&refresh=10s');
    const fixed = new URLSearchParams('from=1&to=2');
    expect(carryGlobals('/traces?range=15m', fixed)).toBe('/traces?range=15m');
    expect(carryGlobals('/traces', fixed)).toBe('/traces?from=1&to=2');
  });

  it('keeps a hash', () => {
    expect(carryGlobals('/traces/abc#span-1', current)).toBe('/traces/abc?range=6h&refresh=10s#span-1');
  });
});

describe('updateSearch and href', () => {
  it('sets, repeats and removes keys', () => {
    const next = updateSearch(new URLSearchParams('a=1&attr=x%3D1&b=2'), {
      a: '3',
      attr: ['k=v', 'n=2'],
      b: undefined,
    });
    expect(next.toString()).toBe('a=3&attr=k%3Dv&attr=n%3D2');
  });

  it('builds links leaving out empty values', () => {
    expect(href('/traces', { service: 'order', operation: '', limit: 20, attr: ['a=b'] })).toBe(
      '/traces?service=order&limit=20&attr=a%3Db',
    );
    expect(href('/logs')).toBe('/logs');
  });
});

describe('trace links carry a moment that narrows the lookup', () => {
  it('puts the moment in the URL as whole milliseconds, next to other parameters', () => {
    expect(traceHref('abc')).toBe('/traces/abc');
    expect(traceHref('abc', 1_700_000_000_123.6)).toBe('/traces/abc?at=1700000000124');
    expect(traceHref('abc', 1_700_000_000_000, { span: 'def' })).toBe(
      '/traces/abc?span=def&at=1700000000000',
    );
    expect(traceHref('abc', undefined, { span: '' })).toBe('/traces/abc');
  });

  it('turns the moment into a window of the margin on both sides, and ignores nonsense', () => {
    expect(traceHintWindow(1_700_000_000_000)).toEqual({
      startMs: 1_700_000_000_000 - TRACE_HINT_MARGIN_MS,
      endMs: 1_700_000_000_000 + TRACE_HINT_MARGIN_MS,
    });
    expect(TRACE_HINT_MARGIN_MS).toBeGreaterThanOrEqual(10 * 60_000);
    for (const bad of [undefined, Number.NaN, 0, -5, Number.POSITIVE_INFINITY]) {
      expect(traceHintWindow(bad)).toBeUndefined();
    }
  });
});

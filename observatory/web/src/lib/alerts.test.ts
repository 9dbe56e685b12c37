import { describe, expect, it } from 'vitest';
import {
  alertCounts,
  budgetTone,
  burnAxis,
  contextLinks,
  contextWindow,
  displayLabels,
  runbookHref,
  worstState,
} from './alerts.js';

describe('alert helpers', () => {
  it('context: the service around the moment the alert became active, not past now', () => {
    const at = 1_700_000_000_000;
    expect(contextWindow(at, at + 3_600_000)).toEqual({ startMs: at - 300_000, endMs: at + 300_000 });
    expect(contextWindow(at, at + 10_000)).toEqual({ startMs: at - 300_000, endMs: at + 10_000 });
    const links = contextLinks('order', at, at + 3_600_000);
    expect(links.traces).toBe(`/traces?service=order&from=${at - 300_000}&to=${at + 300_000}`);
    expect(links.logs).toBe(`/logs?service=order&from=${at - 300_000}&to=${at + 300_000}`);
  });

  it('runbook links: repository pages are served by the observatory, URLs kept, anything else not linked', () => {
    expect(runbookHref('docs/runbooks/checkout-success.md')).toBe('/docs/runbooks/checkout-success.md');
    expect(runbookHref('https://wiki.example/runbook')).toBe('https://wiki.example/runbook');
    expect(runbookHref('javascript:alert(1)')).toBeNull();
    expect(runbookHref('docs/runbooks/../../secret.md')).toBeNull();
  });

  it('budget and burn', () => {
    expect([budgetTone(null), budgetTone(0.9), budgetTone(0.1), budgetTone(-0.2)]).toEqual([
      'none',
      'ok',
      'warn',
      'bad',
    ]);
    expect(burnAxis(0)).toBe(0);
    expect(burnAxis(9)).toBe(1);
    expect(burnAxis(-1)).toBe(0);
    expect(burnAxis(14.4)).toBeLessThan(burnAxis(100));
  });

  it('states and labels', () => {
    expect(worstState(['inactive', 'pending'])).toBe('pending');
    expect(worstState(['pending', 'firing'])).toBe('firing');
    expect(worstState([])).toBe('inactive');
    expect(alertCounts([{ state: 'firing' }, { state: 'pending' }, { state: 'firing' }])).toEqual({
      firing: 2,
      pending: 1,
    });
    expect(displayLabels({ severity: 'page', alertname: 'X', job: 'order' })).toEqual([
      ['job', 'order'],
      ['severity', 'page'],
    ]);
  });
});

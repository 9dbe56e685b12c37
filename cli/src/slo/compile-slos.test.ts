import { describe, expect, it } from 'vitest';
import { compileClassicAlerts } from './classic-alerts.js';
import { compileSlo, errorBudget, promNumber } from './compile-slos.js';
import { type AlertingRule, isAlertingRule, type RecordingRule } from './rules.js';
import type { SlothSpec } from './sloth-spec.js';

const spec: SlothSpec = {
  version: 'prometheus/v1',
  service: 'shop',
  labels: { owner: 'team-a' },
  slos: [
    {
      name: 'requests',
      objective: 99.5,
      description: 'Requests succeed.',
      sli: {
        events: {
          error_query: 'sum(rate(x_total{code=~"5.."}[{{.window}}]))',
          total_query: 'sum(rate(x_total[{{ .window }}]))',
        },
      },
      alerting: {
        name: 'ShopBurn',
        labels: { service: 'shop' },
        annotations: { runbook_url: 'docs/runbooks/shop.md', summary: 'Shop burns.' },
        ticket_alert: { labels: { team: 'night' } },
      },
    },
  ],
};
const slo = spec.slos[0]!;

function alerts(timeScale = 1): AlertingRule[] {
  return compileSlo(spec, slo, { timeScale }).flatMap((g) => g.rules.filter(isAlertingRule));
}
function recordings(timeScale = 1): RecordingRule[] {
  return compileSlo(spec, slo, { timeScale }).flatMap((g) =>
    g.rules.filter((r): r is RecordingRule => !isAlertingRule(r)),
  );
}

describe('compileSlo', () => {
  it('records the SLI error ratio over 5m, 30m, 1h, 2h, 6h, 1d and 3d', () => {
    const sli = recordings().filter((r) => r.record.startsWith('slo:sli_error:'));
    expect(sli.map((r) => r.record)).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d'].map((w) => `slo:sli_error:ratio_rate${w}`),
    );
    const oneHour = sli[2]!;
    expect(oneHour.expr).toContain('sum(rate(x_total{code=~"5.."}[1h]))');
    expect(oneHour.expr).toContain('sum(rate(x_total[1h]))');
    expect(oneHour.labels).toMatchObject({ owner: 'team-a', sloth_id: 'shop-requests', sloth_window: '1h' });
  });

  it('pages on 14.4× over 1h and 5m or 6× over 6h and 30m, for 2m', () => {
    const page = alerts().find((a) => a.labels.severity === 'page')!;
    expect(page.for).toBe('2m');
    const budget = '0.005';
    for (const [factor, window] of [
      ['14.4', '5m'],
      ['14.4', '1h'],
      ['6', '30m'],
      ['6', '6h'],
    ]) {
      expect(page.expr).toContain(
        `max(slo:sli_error:ratio_rate${window}{sloth_id="shop-requests"} > (${factor} * ${budget})) without (sloth_window)`,
      );
    }
    expect(page.expr).not.toContain('ratio_rate1d');
  });

  it('tickets on 3× over 1d and 2h or 1× over 3d and 6h, for 15m, with its own labels', () => {
    const ticket = alerts().find((a) => a.labels.severity === 'ticket')!;
    expect(ticket.for).toBe('15m');
    expect(ticket.expr).toContain('ratio_rate1d{sloth_id="shop-requests"} > (3 * 0.005)');
    expect(ticket.expr).toContain('ratio_rate2h{sloth_id="shop-requests"} > (3 * 0.005)');
    expect(ticket.expr).toContain('ratio_rate3d{sloth_id="shop-requests"} > (1 * 0.005)');
    expect(ticket.expr).toContain('ratio_rate6h{sloth_id="shop-requests"} > (1 * 0.005)');
    expect(ticket.labels).toMatchObject({ service: 'shop', severity: 'ticket', team: 'night' });
  });

  it('gives every alert its summary, a description and the runbook', () => {
    for (const a of alerts()) {
      expect(a.annotations.summary).toBe('Shop burns.');
      expect(a.annotations.description).toMatch(/^Requests succeed\. Error budget burning at/);
      expect(a.annotations.runbook_url).toBe('docs/runbooks/shop.md');
    }
  });

  it('divides every window and for duration by the time scale, keeping the rule names', () => {
    const sli = recordings(60).filter((r) => r.record.startsWith('slo:sli_error:'));
    expect(sli.map((r) => /x_total\[(\w+)\]/.exec(r.expr)?.[1])).toEqual([
      '5s',
      '30s',
      '1m',
      '2m',
      '6m',
      '24m',
      '72m',
    ]);
    expect(sli[0]!.record).toBe('slo:sli_error:ratio_rate5m');
    expect(alerts(60).map((a) => a.for)).toEqual(['2s', '15s']);
    expect(compileSlo(spec, slo, { timeScale: 60 })[0]!.interval).toBe('1s');
    expect(compileSlo(spec, slo, { timeScale: 1 })[0]!.interval).toBeUndefined();
  });

  it('leaves out a disabled alert', () => {
    const quiet = { ...slo, alerting: { ...slo.alerting, ticket_alert: { disable: true } } };
    const rules = compileSlo(spec, quiet, { timeScale: 1 }).flatMap((g) => g.rules.filter(isAlertingRule));
    expect(rules.map((r) => r.labels.severity)).toEqual(['page']);
  });

  it('prints budgets without float noise', () => {
    expect(errorBudget(99.9)).toBe(0.001);
    expect(promNumber(14.4)).toBe('14.4');
    expect(promNumber(1 - 0.999)).toBe('0.001');
  });
});

describe('compileClassicAlerts', () => {
  it('scales ranges and for durations', () => {
    const groups = compileClassicAlerts(60);
    const crash = groups
      .flatMap((g) => g.rules)
      .find((r) => isAlertingRule(r) && r.alert === 'HighErrorRatio');
    expect(crash?.expr).toContain('[5s]');
    expect((crash as AlertingRule).for).toBe('5s');
  });
});

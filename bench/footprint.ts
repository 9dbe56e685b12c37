/**
 * What running Glassbox costs a laptop: boot-to-ready per process and memory per process after a fixed load.
 * Runs `glassbox start` as a user does (the real CLI, embedded PostgreSQL unless DATABASE_URL is set, in a
 * state directory of its own, on a free port block), twice: a cold start (initdb, first build of nothing) and
 * a warm one (the same state directory). After the warm start it drives `glassbox load` and then reads every
 * process's memory from /proc: RSS (what `ps` shows; counts shared pages — the Node binary, PostgreSQL's shared
 * buffers — once per process), split into its anonymous part (the process's own: V8's heap, malloc) and its
 * file-backed part (mapped files: for a Node process about 52 MB of the Node binary's own code and read-only
 * data, the same pages in every process), and PSS (shared pages divided among their sharers, so the sum is what
 * the machine really spends).
 *
 *   node --import tsx bench/footprint.ts [--rate 5] [--duration 40s]
 *
 * Prints a table and writes bench/results/footprint.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { portInUse } from '../cli/src/ports.js';
import { throwawayStateDir } from '../cli/src/postgres.js';
import { dropDatabasesWithPrefix } from '../test/support/databases.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: { rate: { type: 'string', default: '5' }, duration: { type: 'string', default: '40s' } },
});

interface ProcMemory {
  pid: number;
  name: string;
  rssMb: number;
  /** RssAnon: memory of the process's own. */
  anonMb: number;
  /** RssFile + RssShmem: mapped files and shared memory (PostgreSQL's shared buffers), shared with others. */
  sharedMb: number;
  pssMb: number;
}

function readKb(file: string, key: string): number {
  const text = readFileSync(file, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function memoryOf(pid: number, name: string): ProcMemory | undefined {
  try {
    return {
      pid,
      name,
      rssMb: readKb(`/proc/${pid}/status`, 'VmRSS') / 1024,
      anonMb: readKb(`/proc/${pid}/status`, 'RssAnon') / 1024,
      sharedMb: (readKb(`/proc/${pid}/status`, 'RssFile') + readKb(`/proc/${pid}/status`, 'RssShmem')) / 1024,
      pssMb: readKb(`/proc/${pid}/smaps_rollup`, 'Pss') / 1024,
    };
  } catch {
    return undefined;
  }
}

/** Every descendant of `pid` (PostgreSQL's backends are children of its postmaster). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

async function freeBase(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    // Below Linux's ephemeral range (32768–60999), where other processes' outgoing sockets land.
    const base = 23_000 + Math.floor(Math.random() * 9_000);
    const offsets = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 20, 30];
    const busy = await Promise.all(offsets.map((o) => portInUse(base + o)));
    if (!busy.some(Boolean)) return base;
  }
  throw new Error('no free port block');
}

interface Started {
  child: ChildProcess;
  readyMs: number;
  output: () => string;
}

async function startGlassbox(base: number, stateDir: string, dbPrefix: string): Promise<Started> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GLASSBOX_STATE_DIR: stateDir,
    GLASSBOX_DB_PREFIX: dbPrefix,
    NO_COLOR: '1',
    LOG_LEVEL: 'warn',
  };
  const child = spawn(process.execPath, ['cli/bin/glassbox.ts', 'start', '--port-base', String(base)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Glassbox is running')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null || Date.now() - started > 180_000) {
        clearInterval(timer);
        reject(new Error(`glassbox start did not come up:\n${out.slice(-4000)}`));
      }
    }, 50);
  });
  return { child, readyMs: Date.now() - started, output: () => out };
}

async function stopGlassbox(g: Started): Promise<void> {
  g.child.kill('SIGINT');
  await new Promise<void>((r) => (g.child.exitCode !== null ? r() : g.child.once('exit', () => r())));
}

interface ProcessReady {
  name: string;
  bootToReadyMs: number;
}

async function processes(base: number): Promise<{ name: string; pid: number; readyMs: number | null }[]> {
  const res = await fetch(`http://127.0.0.1:${base + 20}/services`);
  const body = (await res.json()) as {
    services: { name: string; pid: number; startedAt: string | null; readyAt: string | null }[];
  };
  return body.services.map((s) => ({
    name: s.name,
    pid: s.pid,
    readyMs:
      s.startedAt && s.readyAt ? new Date(s.readyAt).getTime() - new Date(s.startedAt).getTime() : null,
  }));
}

async function runLoad(base: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'cli/bin/glassbox.ts',
        'load',
        '--gateway',
        `http://127.0.0.1:${base}`,
        '--rate',
        String(values.rate),
        '--duration',
        String(values.duration),
        '--json',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', () => undefined);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`load exited ${code}`))));
  });
}

async function main(): Promise<void> {
  // Enterable by PostgreSQL's user when root runs the bench, so the cluster is made and removed inside it.
  const stateDir = await throwawayStateDir('glassbox-footprint-');
  const dbPrefix = `gbfoot_${randomBytes(3).toString('hex')}_`;
  let base = await freeBase();
  try {
    // Cold: a new state directory (initdb when embedded).
    const cold = await startGlassbox(base, stateDir, dbPrefix);
    const coldReady = await processes(base);
    await stopGlassbox(cold);
    // Warm: the same state directory, as on a second `npm start`.
    base = await freeBase();
    const warm = await startGlassbox(base, stateDir, dbPrefix);
    const warmReady: ProcessReady[] = (await processes(base)).map((p) => ({
      name: p.name,
      bootToReadyMs: p.readyMs ?? -1,
    }));
    const loadReport = JSON.parse(await runLoad(base)) as { journeys?: { total?: number } };
    // Memory is read 5 s after the last journey: what the processes keep, not what is in flight.
    await new Promise((r) => setTimeout(r, 5000));

    const procs = await processes(base);
    const memory: ProcMemory[] = [];
    const supervisorPid = warm.child.pid ?? 0;
    const sup = memoryOf(supervisorPid, 'supervisor (glassbox start)');
    if (sup) memory.push(sup);
    for (const p of procs) {
      const m = memoryOf(p.pid, p.name);
      if (m) memory.push(m);
    }
    const known = new Set(memory.map((m) => m.pid));
    const pg: ProcMemory[] = [];
    for (const pid of descendants(supervisorPid)) {
      if (known.has(pid)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        continue;
      }
      if (!cmd.includes('postgres')) continue;
      const m = memoryOf(pid, 'postgres');
      if (m) pg.push(m);
    }
    if (pg.length > 0) {
      memory.push({
        pid: 0,
        name: `PostgreSQL (${pg.length} processes)`,
        rssMb: pg.reduce((a, m) => a + m.rssMb, 0),
        anonMb: pg.reduce((a, m) => a + m.anonMb, 0),
        sharedMb: pg.reduce((a, m) => a + m.sharedMb, 0),
        pssMb: pg.reduce((a, m) => a + m.pssMb, 0),
      });
    }
    await stopGlassbox(warm);

    const totalRss = memory.reduce((a, m) => a + m.rssMb, 0);
    const totalPss = memory.reduce((a, m) => a + m.pssMb, 0);
    const totalAnon = memory.reduce((a, m) => a + m.anonMb, 0);
    const services = memory.filter((m) => procs.some((p) => p.name === m.name) && m.name !== 'observatory');
    const result = {
      bench: 'footprint',
      when: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      mode: process.env.DATABASE_URL ? 'connected' : 'embedded',
      load: { rate: Number(values.rate), duration: values.duration, journeys: loadReport.journeys?.total },
      ready: {
        coldMs: cold.readyMs,
        warmMs: warm.readyMs,
        coldPerProcessMs: Object.fromEntries(coldReady.map((p) => [p.name, p.readyMs])),
        warmPerProcessMs: Object.fromEntries(warmReady.map((p) => [p.name, p.bootToReadyMs])),
      },
      memory,
      totals: {
        rssMb: totalRss,
        pssMb: totalPss,
        anonMb: totalAnon,
        maxServiceAnonMb: Math.max(...services.map((s) => s.anonMb)),
        maxServiceRssMb: Math.max(...services.map((s) => s.rssMb)),
        maxServicePssMb: Math.max(...services.map((s) => s.pssMb)),
      },
    };

    console.log(
      `\nGlassbox footprint — ${result.mode} mode, ${result.machine.cpus} cores, Node ${process.version}`,
    );
    console.log(
      `ready: cold ${(cold.readyMs / 1000).toFixed(1)} s, warm ${(warm.readyMs / 1000).toFixed(1)} s (npm start → banner)\n`,
    );
    console.log(
      '| process | boot → ready (warm) | RSS after load | of it anonymous | of it shared (files, shm) | PSS after load |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const m of memory) {
      const ready = warmReady.find((r) => r.name === m.name);
      console.log(
        `| ${m.name} | ${ready ? `${(ready.bootToReadyMs / 1000).toFixed(1)} s` : '—'} | ${m.rssMb.toFixed(0)} MB | ${m.anonMb.toFixed(0)} MB | ${m.sharedMb.toFixed(0)} MB | ${m.pssMb.toFixed(0)} MB |`,
      );
    }
    console.log(
      `| **total** | | **${totalRss.toFixed(0)} MB** | **${totalAnon.toFixed(0)} MB** | | **${totalPss.toFixed(0)} MB** |`,
    );
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(join(ROOT, 'bench', 'results', 'footprint.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log('\nwrote bench/results/footprint.json');
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    if (process.env.DATABASE_URL) await dropDatabasesWithPrefix(process.env.DATABASE_URL, dbPrefix);
  }
}

await main();

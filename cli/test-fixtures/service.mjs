// A stand-in for a Glassbox service (or the observatory) used by the supervisor tests. It follows the service
// contract (PORT/HOST, /readyz, graceful SIGTERM, pino-style JSON logs) and can be told to misbehave.
//
//   FIXTURE_READY_DELAY_MS   /readyz answers 503 until this long after start
//   FIXTURE_EXIT_ON_START    exit at once with this code (a crash loop)
//   FIXTURE_CRASH_FIRST_N    with FIXTURE_COUNTER_FILE: exit(1) on the first N starts, then run normally
//   FIXTURE_IGNORE_SIGTERM   ignore SIGTERM (the supervisor must SIGKILL)
//   GLASSBOX_FAULTS_FILE     exit(1) at once on start while the fault flag file holds a crash-loop fault for
//                            this service (a bad release: a crash loop until it is rolled back)
//   FIXTURE_GRANDCHILD       spawn a long-sleeping grandchild (the supervisor must reap the process group)
//
// Like a real service it exits when the supervisor that started it is gone (onSupervisorGone), even while told to
// ignore SIGTERM.
//
//   GET  /readyz /healthz /api/services   readiness
//   GET  /env                             the environment the supervisor passed
//   GET  /db                              SELECT current_database() through DATABASE_URL
//   POST /crash                           answer, then exit(3)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { onSupervisorGone } from '../../packages/contracts/src/supervisor-link.ts';

const name = process.env.OTEL_SERVICE_NAME ?? process.env.FIXTURE_NAME ?? 'fixture';
const port = Number(process.env.PORT ?? process.env.OBSERVATORY_PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const startedAt = Date.now();

function log(level, msg, fields = {}) {
  process.stdout.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), service: name, pid: process.pid, msg, ...fields })}\n`,
  );
}

if (process.env.FIXTURE_EXIT_ON_START) {
  process.stderr.write(`${name}: exiting on start as told\n`);
  process.exit(Number(process.env.FIXTURE_EXIT_ON_START));
}

if (process.env.GLASSBOX_FAULTS_FILE) {
  let loops = [];
  try {
    const doc = JSON.parse(fs.readFileSync(process.env.GLASSBOX_FAULTS_FILE, 'utf8'));
    loops = doc.flags?.['glassbox-fault-crash-loop']?.variants?.[name]?.faults ?? [];
  } catch {}
  if (loops.length > 0) {
    log('error', 'crash-loop fault: exiting on start', { 'glassbox.fault.id': loops[0].id });
    process.exit(1);
  }
}

if (process.env.FIXTURE_CRASH_FIRST_N && process.env.FIXTURE_COUNTER_FILE) {
  const file = process.env.FIXTURE_COUNTER_FILE;
  let count = 0;
  try {
    count = Number(fs.readFileSync(file, 'utf8')) || 0;
  } catch {}
  fs.writeFileSync(file, String(count + 1));
  if (count < Number(process.env.FIXTURE_CRASH_FIRST_N)) {
    log('error', 'crashing on start as told', { start: count + 1 });
    process.exit(1);
  }
}

let grandchild;
if (process.env.FIXTURE_GRANDCHILD) {
  grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

const readyDelay = Number(process.env.FIXTURE_READY_DELAY_MS ?? 0);

const server = http.createServer(async (req, res) => {
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/readyz' || url.pathname === '/api/services' || url.pathname === '/healthz') {
    const ready = Date.now() - startedAt >= readyDelay;
    return json(ready ? 200 : 503, ready ? { status: 'ok', services: [] } : { status: 'starting' });
  }
  if (url.pathname === '/env')
    return json(200, { pid: process.pid, grandchild: grandchild?.pid ?? null, env: process.env });
  if (url.pathname === '/db') {
    try {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      const { rows } = await client.query('SELECT current_database() AS db');
      await client.end();
      return json(200, rows[0]);
    } catch (err) {
      return json(500, { error: String(err) });
    }
  }
  if (url.pathname === '/crash' && req.method === 'POST') {
    log('fatal', 'crashing as told');
    res.on('finish', () => process.exit(3));
    return json(200, { crashing: true });
  }
  return json(404, { error: 'not found' });
});

server.listen(port, host, () => log('info', 'listening', { port: server.address().port }));

process.on('SIGTERM', () => {
  if (process.env.FIXTURE_IGNORE_SIGTERM) {
    log('warn', 'ignoring SIGTERM as told');
    return;
  }
  log('info', 'SIGTERM: shutting down');
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

onSupervisorGone(() => {
  log('warn', 'the supervisor is gone: exiting');
  process.exit(0);
});

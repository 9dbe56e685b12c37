import http from 'node:http';
import { FAULT_ACTOR, FAULT_CATALOGUE } from '@glassbox/contracts';
import type { FaultManager } from './faults/manager.js';
import { supervisorMetricsText } from './supervisor/metrics-text.js';
import { BusyError, IllegalStateError, type ManagedProcess } from './supervisor/process.js';
import type { Supervisor } from './supervisor/supervisor.js';

/** Extra read-only facts the control API shows at `GET /` (mode, URLs). */
export type ControlInfo = Record<string, unknown>;

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

/**
 * Only local, non-browser-forged requests: the Host header must name loopback (defeats DNS rebinding), and a
 * browser Origin, when present, must be a loopback origin too (defeats cross-site form posts).
 */
export function isLocalRequest(headers: http.IncomingHttpHeaders): boolean {
  const host = headers.host;
  if (typeof host !== 'string' || !LOOPBACK_HOSTS.has(hostnameOf(host).toLowerCase())) return false;
  const origin = headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname.toLowerCase());
  } catch {
    return false;
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function problem(res: http.ServerResponse, status: number, title: string, detail: string, extra = {}): void {
  send(res, status, { type: 'about:blank', title, status, detail, ...extra }, 'application/problem+json');
}

const ACTIONS = new Set(['start', 'stop', 'restart', 'rollback']);

/**
 * The supervisor's control API, loopback only:
 *   GET  /healthz
 *   GET  /metrics                    → Prometheus text: restarts and up per process
 *   GET  /services                   → { services: [ProcessInfo] }
 *   GET  /services/:name             → { service: ProcessInfo }
 *   POST /services/:name/stop|start|restart[?wait=ready] → { service: ProcessInfo }
 *   POST /services/:name/rollback[?by=NAME][&wait=ready] → { service, rolledBack: [Fault] }: rolls back a bad
 *                                    release (ends the service's active faults that model one, as ended by
 *                                    NAME, and starts the good release now); 409 NOTHING_TO_ROLL_BACK when
 *                                    the service runs no release marked bad
 *   GET  /faults                     → { faults: [Fault], catalogue }   (active first, then ended)
 *   POST /faults  {kind, service, route?, dependency?, rate?, ms?, jitterMs?, status?, kb?, forMs?, by?}
 *                                    → 201 { fault }; 400 problem+json naming each bad field, nothing injected
 *   DELETE /faults[?by=NAME]         → { cleared: [Fault] } every active fault (ended by NAME)
 *   DELETE /faults/:id[?by=NAME]     → { cleared: [Fault] }; 404 unknown id
 * 404 unknown service, 409 action illegal in the current state (or another action in progress),
 * 503 while the supervisor shuts down.
 */
export function startControlServer(
  supervisor: Supervisor,
  options: {
    port: number;
    host?: string;
    info?: () => ControlInfo;
    readyTimeoutMs?: number;
    /** The stack's faults; without it /faults is a 404. */
    faults?: FaultManager;
  },
): Promise<ControlServer> {
  const host = options.host ?? '127.0.0.1';
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!isLocalRequest(req.headers)) {
      problem(res, 403, 'Forbidden', 'the control API only answers local requests');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';

    if (parts.length === 0) {
      if (method !== 'GET') return problem(res, 405, 'Method Not Allowed', `${method} / is not supported`);
      return send(res, 200, { ...(options.info?.() ?? {}), services: supervisor.list() });
    }
    if (parts.length === 1 && parts[0] === 'metrics') {
      if (method !== 'GET')
        return problem(res, 405, 'Method Not Allowed', `${method} /metrics is not supported`);
      const text = supervisorMetricsText(supervisor.list());
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(text);
      return;
    }
    if (parts.length === 1 && parts[0] === 'healthz') {
      return send(res, 200, { status: supervisor.isShuttingDown ? 'stopping' : 'ok' });
    }
    if (parts[0] === 'faults' && options.faults)
      return handleFaults(options.faults, req, res, method, parts, url);
    if (parts[0] !== 'services') return problem(res, 404, 'Not Found', `no route ${url.pathname}`);
    if (parts.length === 1) {
      if (method !== 'GET')
        return problem(res, 405, 'Method Not Allowed', `${method} /services is not supported`);
      return send(res, 200, { services: supervisor.list() });
    }
    const name = parts[1] ?? '';
    const proc = supervisor.get(name);
    if (!proc) return problem(res, 404, 'Not Found', `unknown service ${name}`);
    if (parts.length === 2) {
      if (method !== 'GET') return problem(res, 405, 'Method Not Allowed', `${method} is not supported here`);
      return send(res, 200, { service: proc.info() });
    }
    const action = parts[2] ?? '';
    if (parts.length !== 3 || !ACTIONS.has(action)) {
      return problem(res, 404, 'Not Found', `no route ${url.pathname}`);
    }
    if (method !== 'POST') return problem(res, 405, 'Method Not Allowed', `use POST to ${action} a service`);
    if (supervisor.isShuttingDown)
      return problem(res, 503, 'Service Unavailable', 'the supervisor is shutting down');
    if (action === 'rollback') return rollback(proc, url, res, options.faults, readyTimeoutMs);
    try {
      if (action === 'stop') await proc.stop();
      else if (action === 'start') await proc.start();
      else await proc.restart();
      if (action !== 'stop' && url.searchParams.get('wait') === 'ready') {
        try {
          await proc.waitReady(readyTimeoutMs);
        } catch (err) {
          return problem(res, 504, 'Gateway Timeout', (err as Error).message, { service: proc.info() });
        }
      }
      return send(res, 200, { service: proc.info() });
    } catch (err) {
      if (err instanceof IllegalStateError || err instanceof BusyError) {
        return problem(res, 409, 'Conflict', err.message, { service: proc.info() });
      }
      throw err;
    }
  };

  const server = http.createServer((req, res) => {
    // Drain any request body; only POST /faults reads one.
    if (!(req.method === 'POST' && (req.url ?? '').split('?')[0] === '/faults')) req.resume();
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', (err as Error).message ?? String(err));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 2000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : options.port;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

const MAX_BODY = 16 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error(`the body is larger than ${MAX_BODY} bytes`), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `?by=NAME`: who acts (recorded as who ended a fault); `unknown` when absent, undefined when not a name. */
function actorOf(url: URL): string | undefined {
  const by = url.searchParams.get('by') ?? 'unknown';
  return FAULT_ACTOR.test(by) ? by : undefined;
}

function badActor(res: http.ServerResponse, url: URL): void {
  problem(res, 400, 'Bad Request', `by: ${JSON.stringify(url.searchParams.get('by'))} is not a name`, {
    errors: [{ path: 'querystring/by', message: 'must be a name (letters, digits, .@_-)' }],
  });
}

/**
 * Rolls back the bad release of a service: the faults on it that model one end (as ended by `?by`), and the
 * process is started (or restarted) at once on the good release instead of waiting out its crash backoff.
 * Nothing else is touched: a service that runs no release marked bad has nothing to roll back (409).
 */
async function rollback(
  proc: ManagedProcess,
  url: URL,
  res: http.ServerResponse,
  faults: FaultManager | undefined,
  readyTimeoutMs: number,
): Promise<void> {
  const by = actorOf(url);
  if (by === undefined) return badActor(res, url);
  const rolledBack = faults ? await faults.rollback(proc.name, by) : [];
  if (rolledBack.length === 0) {
    return problem(
      res,
      409,
      'Conflict',
      `${proc.name} runs no release marked bad (no active fault that models a bad release): nothing to roll back`,
      { code: 'NOTHING_TO_ROLL_BACK', service: proc.info() },
    );
  }
  try {
    const state = proc.info().state;
    if (state === 'stopped' || state === 'crashed') await proc.start();
    else await proc.restart();
  } catch (err) {
    // Another action is starting it already: it starts the rolled-back release too.
    if (!(err instanceof BusyError) && !(err instanceof IllegalStateError)) throw err;
  }
  if (url.searchParams.get('wait') === 'ready') {
    try {
      await proc.waitReady(readyTimeoutMs);
    } catch (err) {
      return problem(res, 504, 'Gateway Timeout', (err as Error).message, {
        service: proc.info(),
        rolledBack,
      });
    }
  }
  return send(res, 200, { service: proc.info(), rolledBack });
}

async function handleFaults(
  faults: FaultManager,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  parts: string[],
  url: URL,
): Promise<void> {
  if (parts.length === 1) {
    if (method === 'GET') return send(res, 200, { faults: faults.list(), catalogue: FAULT_CATALOGUE });
    if (method === 'DELETE') {
      const by = actorOf(url);
      if (by === undefined) return badActor(res, url);
      return send(res, 200, { cleared: await faults.clear(undefined, by) });
    }
    if (method !== 'POST') {
      return problem(res, 405, 'Method Not Allowed', `${method} /faults is not supported`);
    }
    let input: unknown;
    try {
      input = JSON.parse(await readBody(req));
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      return problem(
        res,
        status,
        status === 413 ? 'Content Too Large' : 'Bad Request',
        status === 413 ? (err as Error).message : 'the body is not JSON',
        { errors: [{ path: 'body', message: 'must be a JSON fault request' }] },
      );
    }
    const { fault, problems } = await faults.inject(input);
    if (!fault) {
      return problem(res, 400, 'Bad Request', problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
        errors: problems.map((p) => ({ path: p.field, message: p.message })),
      });
    }
    return send(res, 201, { fault });
  }
  const id = parts[1] ?? '';
  if (parts.length !== 2)
    return problem(res, 404, 'Not Found', `no route /faults/${parts.slice(1).join('/')}`);
  if (method === 'GET') {
    const fault = faults.get(id);
    return fault ? send(res, 200, { fault }) : problem(res, 404, 'Not Found', `unknown fault ${id}`);
  }
  if (method !== 'DELETE')
    return problem(res, 405, 'Method Not Allowed', `${method} /faults/${id} is not supported`);
  if (!faults.get(id)) return problem(res, 404, 'Not Found', `unknown fault ${id}`);
  const by = actorOf(url);
  if (by === undefined) return badActor(res, url);
  return send(res, 200, { cleared: await faults.clear(id, by) });
}

/**
 * Restarts a service through the supervisor's control API (cli/src/control.ts) in embedded mode: a stopped
 * process is started, any other one restarted, and the answer waits until it is ready again. A process in its
 * first start (never restarted) is not killed: it is waited for, and restarted only if it does not become ready
 * in time. At a demo time scale a target-down alert fires within seconds, while the stack is still starting;
 * restarting services that are starting only starts them again (what a Kubernetes startup probe prevents).
 * Rolls back a bad release the same way (`POST /services/:name/rollback?by=healer`): the supervisor ends what
 * models the bad release (a crash-loop fault; recorded as ended by the healer) and starts the good one.
 */
import { withClientRoute } from '@glassbox/kit';

/** A call of the control API; its client span is named by the route's template (`POST /services/:name/restart`). */
function control(route: string, url: string, init: RequestInit): Promise<Response> {
  return withClientRoute(route, () => fetch(url, init));
}

export interface Platform {
  /** Resolves with what was done; throws an Error saying why it could not be done. */
  restartService(name: string, signal?: AbortSignal): Promise<string>;
  /**
   * Rolls the service back to its last good release. Throws NothingToRollBackError when it runs no release
   * marked bad (nothing is changed then), an Error when it could not be done.
   */
  rollbackRelease(name: string, signal?: AbortSignal): Promise<string>;
  /**
   * Adds a replica of the service. Throws NotApplicableError where that cannot be (one process per service in
   * embedded mode, or already at its maximum), an Error when it could not be done.
   */
  scaleOut(name: string, signal?: AbortSignal): Promise<string>;
}

/** The action does not apply here and changed nothing: the runbook's next step runs. */
export class NotApplicableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotApplicableError';
  }
}

/** The service runs no release marked bad: a rollback has nothing to undo (and did nothing). */
export class NothingToRollBackError extends NotApplicableError {
  constructor(message: string) {
    super(message);
    this.name = 'NothingToRollBackError';
  }
}

async function problemText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: string; title?: string };
    return body.detail ?? body.title ?? text;
  } catch {
    return text || res.statusText;
  }
}

/** Polls the process until it is ready (true), or it leaves `starting` otherwise or `withinMs` passes (false). */
async function waitUntilReady(
  base: string,
  name: string,
  signal: AbortSignal,
  withinMs: number,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const res = await control('/services/:name', `${base}/services/${encodeURIComponent(name)}`, { signal });
    if (!res.ok) return false;
    const { service } = (await res.json()) as { service: { state: string } };
    if (service.state === 'ready') return true;
    if (service.state !== 'starting') return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export function supervisorPlatform(
  controlUrl: string,
  options: { readyTimeoutMs?: number; firstStartWaitMs?: number } = {},
): Platform {
  const base = controlUrl.replace(/\/$/, '');
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  const firstStartWaitMs = options.firstStartWaitMs ?? 45_000;
  return {
    async restartService(name, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const info = await control('/services/:name', `${base}/services/${encodeURIComponent(name)}`, {
        signal: sig,
      });
      if (info.status === 404) throw new Error(`the supervisor knows no service ${name}`);
      if (!info.ok) throw new Error(`control API ${info.status}: ${await problemText(info)}`);
      const { service } = (await info.json()) as { service: { state: string; restarts: number } };
      if (service.state === 'starting' && service.restarts === 0) {
        const waited = await waitUntilReady(base, name, sig, firstStartWaitMs);
        if (waited) return `waited for ${name} (it was in its first start); it is ready`;
      }
      const verb = service.state === 'stopped' ? 'start' : 'restart';
      const res = await control(
        `/services/:name/${verb}`,
        `${base}/services/${encodeURIComponent(name)}/${verb}?wait=ready`,
        {
          method: 'POST',
          signal: sig,
        },
      );
      if (!res.ok) throw new Error(`control API ${verb} ${name}: ${res.status} ${await problemText(res)}`);
      await res.arrayBuffer();
      return `${verb === 'start' ? 'started' : 'restarted'} ${name} (it was ${service.state}); it is ready`;
    },

    async rollbackRelease(name, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const res = await control(
        '/services/:name/rollback',
        `${base}/services/${encodeURIComponent(name)}/rollback?by=healer&wait=ready`,
        {
          method: 'POST',
          signal: sig,
        },
      );
      if (res.status === 409) throw new NothingToRollBackError(await problemText(res));
      if (res.status === 404) throw new Error(`the supervisor knows no service ${name}`);
      if (!res.ok) throw new Error(`control API rollback ${name}: ${res.status} ${await problemText(res)}`);
      const { rolledBack } = (await res.json()) as { rolledBack: Array<{ id: string; kind: string }> };
      const what = rolledBack.map((f) => `${f.kind} ${f.id}`).join(', ');
      return `rolled back the bad release of ${name} (ended ${what}); it is ready`;
    },

    async scaleOut(name) {
      throw new NotApplicableError(
        `embedded mode runs one process per service: ${name} cannot be scaled out (cluster mode raises its HorizontalPodAutoscaler)`,
      );
    },
  };
}

/**
 * Restarts a service through the supervisor's control API (cli/src/control.ts) in embedded mode: a stopped
 * process is started, any other one restarted, and the answer waits until it is ready again.
 */

export interface Platform {
  /** Resolves with what was done; throws an Error saying why it could not be done. */
  restartService(name: string, signal?: AbortSignal): Promise<string>;
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

export function supervisorPlatform(controlUrl: string, options: { readyTimeoutMs?: number } = {}): Platform {
  const base = controlUrl.replace(/\/$/, '');
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  return {
    async restartService(name, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const info = await fetch(`${base}/services/${encodeURIComponent(name)}`, { signal: sig });
      if (info.status === 404) throw new Error(`the supervisor knows no service ${name}`);
      if (!info.ok) throw new Error(`control API ${info.status}: ${await problemText(info)}`);
      const { service } = (await info.json()) as { service: { state: string } };
      const verb = service.state === 'stopped' ? 'start' : 'restart';
      const res = await fetch(`${base}/services/${encodeURIComponent(name)}/${verb}?wait=ready`, {
        method: 'POST',
        signal: sig,
      });
      if (!res.ok) throw new Error(`control API ${verb} ${name}: ${res.status} ${await problemText(res)}`);
      await res.arrayBuffer();
      return `${verb === 'start' ? 'started' : 'restarted'} ${name} (it was ${service.state}); it is ready`;
    },
  };
}

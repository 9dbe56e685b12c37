/** The gateway's admin endpoints on its operational listener (services/gateway/src/http/admin-routes.ts). */
import { withClientRoute } from '@glassbox/kit';

export interface GatewayLevers {
  openCircuit(upstream: string, forSeconds: number, signal?: AbortSignal): Promise<string>;
  shedLoad(fraction: number, forSeconds: number, signal?: AbortSignal): Promise<string>;
}

/** POSTs to an admin endpoint; `route` is its template, which names the call's client span. */
async function post(route: string, url: string, body: unknown, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(5000);
  const res = await withClientRoute(route, () =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }),
  );
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // not JSON
    }
    throw new Error(`gateway admin ${res.status}: ${detail}`);
  }
}

export function gatewayLevers(opsUrl: string): GatewayLevers {
  const base = opsUrl.replace(/\/$/, '');
  return {
    async openCircuit(upstream, forSeconds, signal) {
      await post(
        '/admin/circuits/:upstream/open',
        `${base}/admin/circuits/${encodeURIComponent(upstream)}/open`,
        { forSeconds },
        signal,
      );
      return `the gateway's circuit to ${upstream} is held open for ${forSeconds} s (GETs answered degraded)`;
    },
    async shedLoad(fraction, forSeconds, signal) {
      await post('/admin/shed', `${base}/admin/shed`, { fraction, forSeconds }, signal);
      return `the gateway sheds ${Math.round(fraction * 100)} % of API requests for ${forSeconds} s`;
    },
  };
}

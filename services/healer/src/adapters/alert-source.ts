/**
 * Where a verification reads the truth: Prometheus's `GET /api/v1/alerts` — of a real Prometheus in connected
 * mode, or of the observatory's Prometheus-shaped API (`/prometheus/api/v1/alerts`) in embedded mode — and the
 * observatory's `GET /api/slos` for an SLI.
 */
import { withClientRoute } from '@glassbox/kit';

export interface AlertSource {
  /** Whether an alert with these labels is pending or firing; throws when the source cannot be read. */
  isActive(labels: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<boolean>;
  /** Whether the SLO's SLI over the window is within its objective (null: no data yet). */
  sliWithinObjective(slo: string, window: string, signal?: AbortSignal): Promise<boolean | null>;
}

interface PromAlerts {
  data?: { alerts?: Array<{ labels?: Record<string, string>; state?: string }> };
}
interface Slos {
  slos?: Array<{ id?: string; objective?: number; sli?: Record<string, number | null> }>;
}

/** GETs a JSON document; its path has no parameters, so it names the call's client span as it is. */
async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const timeout = AbortSignal.timeout(5000);
  const res = await withClientRoute(new URL(url).pathname, () =>
    fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout }),
  );
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

/** The alert's own labels (what a Prometheus shows, without external labels) are all in the notified ones. */
function sameAlert(
  shown: Readonly<Record<string, string>>,
  notified: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(shown);
  return entries.length > 0 && entries.every(([k, v]) => notified[k] === v);
}

export function alertSource(options: { observatoryUrl: string; prometheusUrl?: string }): AlertSource {
  const observatory = options.observatoryUrl.replace(/\/$/, '');
  const alertsUrl = options.prometheusUrl
    ? `${options.prometheusUrl.replace(/\/$/, '')}/api/v1/alerts`
    : `${observatory}/prometheus/api/v1/alerts`;
  return {
    async isActive(labels, signal) {
      const body = await getJson<PromAlerts>(alertsUrl, signal);
      return (body.data?.alerts ?? []).some(
        (a) => (a.state === 'firing' || a.state === 'pending') && sameAlert(a.labels ?? {}, labels),
      );
    },
    async sliWithinObjective(slo, window, signal) {
      const body = await getJson<Slos>(`${observatory}/api/slos`, signal);
      const found = (body.slos ?? []).find((s) => s.id === slo);
      if (!found) throw new Error(`the observatory knows no SLO ${slo}`);
      const sli = found.sli?.[window];
      if (sli === null || sli === undefined || typeof found.objective !== 'number') return null;
      return sli >= found.objective;
    },
  };
}

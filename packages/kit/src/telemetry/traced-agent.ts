/**
 * Which outbound `node:http` requests are a service's own calls. The kit's HTTP client sends through agents
 * marked here; the HTTP instrumentation traces and measures (`http.client.request.duration`) only requests on
 * such an agent (telemetry/index.ts). Everything else on `node:http` — the OTLP exporters' own requests above
 * all — is neither traced nor counted, or every export would make telemetry about itself.
 *
 * Kept apart from the client: the telemetry set-up reads it before any module that records metrics is loaded.
 */
const TRACED = Symbol.for('glassbox.traced-agent');

/** Marks `agent` as one whose requests are traced; returns it. */
export function markTraced<A extends object>(agent: A): A {
  Object.defineProperty(agent, TRACED, { value: true });
  return agent;
}

export function isTracedAgent(agent: unknown): boolean {
  return typeof agent === 'object' && agent !== null && (agent as Record<symbol, unknown>)[TRACED] === true;
}

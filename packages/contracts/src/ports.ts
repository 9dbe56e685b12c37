/** Ports of the processes that are not services (DESIGN §3); the services' ports are in manifest.ts. */

/**
 * The gateway's operational endpoints (/metrics, /openapi.json): its own port is public, so they listen apart,
 * on loopback by default (the port of OpenTelemetry's Prometheus exporter).
 */
export const GATEWAY_OPS_PORT = 9464;

export const OBSERVATORY_PORTS = { console: 3000, otlpGrpc: 4317, otlpHttp: 4318 } as const;
export const CONTROL_PORT = 7070;

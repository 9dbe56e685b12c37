/** Ports of the processes that are not services (DESIGN §3); the services' ports are in manifest.ts. */
export const OBSERVATORY_PORTS = { console: 3000, otlpGrpc: 4317, otlpHttp: 4318 } as const;
export const CONTROL_PORT = 7070;

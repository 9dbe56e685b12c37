/**
 * The one list of services. The supervisor starts what is here (port, database, how each finds the others),
 * the gateway routes the public prefixes listed here, the services take their default ports and dependency
 * URLs from here, and docs/services.md is generated from it (a test fails when it is stale). Adding a service
 * is its folder under services/ plus one entry below.
 */

/** A public path prefix the gateway forwards to the service that owns it. */
export interface PublicRoute {
  readonly prefix: string;
  /** Reachable without an access token (login, register, signed provider callbacks). Default false. */
  readonly public?: boolean;
  /** Only the prefix itself, not the paths below it. Default false. */
  readonly exact?: boolean;
  /**
   * Its GETs answer every signed-in user of a tenant alike: no per-user data, no role check (the public catalog).
   * While the healer holds the gateway's circuit to the service open, any caller of the tenant may get the
   * tenant's last good answer to the same URL. Default false: a degraded answer only ever goes to the caller
   * (Authorization header) it was made for.
   */
  readonly sharedReads?: boolean;
  /**
   * The service's route templates below the prefix ('' is the prefix itself; `:name` matches one segment):
   * the gateway names its spans and the `http.route` of its metrics after them, never after a raw id.
   */
  readonly templates: readonly string[];
}

/** Endpoints of the platform (not services) that a service may be given. */
export type PlatformEndpoint = 'control' | 'observatory' | 'gatewayOps';

/** The variable through which a service finds a platform endpoint. */
export const PLATFORM_URL_ENV = {
  control: 'CONTROL_URL',
  observatory: 'OBSERVATORY_URL',
  gatewayOps: 'GATEWAY_OPS_URL',
} as const satisfies Record<PlatformEndpoint, string>;

export interface ServiceManifestEntry {
  /** The folder `services/<name>`, the OTEL service.name, and `<NAME>_URL` for the others to find it. */
  readonly name: string;
  /** Default listen port (the supervisor moves the whole block with --port-base). */
  readonly port: number;
  /** The service's own database (`glassbox_<database>`), or null when it keeps no state. */
  readonly database: string | null;
  /** Public prefixes the gateway routes to this service. */
  readonly routes: readonly PublicRoute[];
  /** Services this one calls synchronously (it gets their `<NAME>_URL`). */
  readonly dependsOn: readonly string[];
  /**
   * Shutdown stage: lower stops first. The gateway stops first so no new work enters, the orchestrators (order)
   * next while the services they call are still up, then the rest.
   */
  readonly stopStage: number;
  readonly description: string;
  /**
   * The platform endpoints the service is given besides the services it calls: `control` → CONTROL_URL (the
   * supervisor's control API), `observatory` → OBSERVATORY_URL, `gatewayOps` → GATEWAY_OPS_URL (the gateway's
   * internal listener). Default none: only the healer acts on the platform.
   */
  readonly platform?: readonly PlatformEndpoint[];
  /** The path on which it receives Alertmanager webhook v4 notifications: the observatory sends its alerts there. */
  readonly alertWebhookPath?: string;
}

export const SERVICE_MANIFEST = [
  {
    name: 'gateway',
    port: 8080,
    database: null,
    routes: [],
    dependsOn: ['auth', 'user', 'catalog', 'inventory', 'order', 'payment', 'notification', 'flash-sale'],
    stopStage: 0,
    description: 'the only public entry: routing, access-token checks, rate limits, request ids, CORS',
  },
  {
    name: 'auth',
    port: 8081,
    database: 'auth',
    routes: [
      { prefix: '/api/v1/auth', public: true, templates: ['/register', '/login', '/refresh', '/logout'] },
    ],
    dependsOn: [],
    stopStage: 2,
    description:
      'tenants, credentials, roles, access and refresh tokens, the JWKS; announces new users on the bus',
  },
  {
    name: 'user',
    port: 8082,
    database: 'user',
    routes: [{ prefix: '/api/v1/me', templates: ['', '/addresses', '/addresses/:id'] }],
    dependsOn: ['auth'],
    stopStage: 2,
    description: 'profiles and addresses',
  },
  {
    name: 'catalog',
    port: 8083,
    database: 'catalog',
    routes: [
      { prefix: '/api/v1/products', sharedReads: true, templates: ['', '/:id'] },
      { prefix: '/api/v1/admin/products', templates: ['', '/:id'] },
    ],
    dependsOn: ['auth'],
    stopStage: 2,
    description: 'products, categories, prices',
  },
  {
    name: 'inventory',
    port: 8084,
    database: 'inventory',
    routes: [{ prefix: '/api/v1/admin/stock', templates: ['/:productId'] }],
    dependsOn: ['auth', 'catalog'],
    stopStage: 2,
    description: 'stock and reservations with expiry',
  },
  {
    name: 'order',
    port: 8085,
    database: 'order',
    routes: [{ prefix: '/api/v1/orders', templates: ['', '/:id', '/:id/cancel'] }],
    dependsOn: ['auth', 'catalog', 'inventory', 'payment'],
    stopStage: 1,
    description: 'orders and the checkout saga',
  },
  {
    name: 'payment',
    port: 8086,
    database: 'payment',
    routes: [
      { prefix: '/api/v1/payments/provider-callbacks', public: true, exact: true, templates: [''] },
      { prefix: '/api/v1/payments', templates: [] },
      { prefix: '/api/v1/admin/payments', templates: ['', '/reconciliation-flags', '/:id', '/:id/refunds'] },
      { prefix: '/api/v1/admin/reconciliation', templates: ['/reports'] },
    ],
    dependsOn: ['auth'],
    stopStage: 2,
    description:
      'payments against a simulated provider, signed callbacks, refunds, reconciliation with orders',
  },
  {
    name: 'notification',
    port: 8087,
    database: 'notification',
    routes: [{ prefix: '/api/v1/me/notifications', templates: [''] }],
    dependsOn: ['auth'],
    stopStage: 2,
    description:
      'e-mails for order and payment events (consumed from the bus, simulated sender) and GET /api/v1/me/notifications',
  },
  {
    name: 'flash-sale',
    port: 8088,
    database: 'flash_sale',
    routes: [
      { prefix: '/api/v1/flash-sales', templates: ['/:id', '/:id/purchases', '/:id/purchases/:purchaseId'] },
      { prefix: '/api/v1/admin/flash-sales', templates: ['', '/:id'] },
    ],
    dependsOn: ['auth', 'inventory'],
    stopStage: 1,
    description:
      'flash sales: atomic admission (Redis Lua or in-process group commit), purchases become orders',
  },
  {
    name: 'healer',
    port: 8089,
    database: 'healer',
    routes: [],
    dependsOn: [],
    // First to stop: nothing may be "healed" while the stack shuts down.
    stopStage: 0,
    description:
      'auto-heal: receives Alertmanager webhooks, runs the runbooks (roll back, restart, circuit, shed load), audits every action',
    platform: ['control', 'observatory', 'gatewayOps'],
    alertWebhookPath: '/webhooks/alertmanager/observatory',
  },
] as const satisfies readonly ServiceManifestEntry[];

export type ServiceName = (typeof SERVICE_MANIFEST)[number]['name'];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICE_MANIFEST.map((s) => s.name);

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

export function manifestEntry(name: ServiceName): ServiceManifestEntry {
  const entry = SERVICE_MANIFEST.find((s) => s.name === name);
  if (!entry) throw new Error(`unknown service ${name}`);
  return entry;
}

/** The variable through which the others find a service: `order` → ORDER_URL, `flash-sale` → FLASH_SALE_URL. */
export function serviceUrlEnv(name: string): `${string}_URL` {
  return `${name.toUpperCase().replaceAll('-', '_')}_URL`;
}

/** A service's address on this machine at its default port (the default of every `<NAME>_URL`). */
export function defaultServiceUrl(name: ServiceName): string {
  return `http://127.0.0.1:${manifestEntry(name).port}`;
}

/** Default ports by service name. */
export const SERVICE_PORTS = Object.fromEntries(SERVICE_MANIFEST.map((s) => [s.name, s.port])) as Record<
  ServiceName,
  number
>;

export interface GatewayRoute {
  prefix: string;
  upstream: ServiceName;
  public: boolean;
  exact: boolean;
  /** See PublicRoute.sharedReads. */
  sharedReads: boolean;
  templates: readonly string[];
}

/** Every public route of every service, as the gateway matches them: the longest prefix wins. */
export function gatewayRoutes(): GatewayRoute[] {
  return SERVICE_MANIFEST.flatMap((s) =>
    s.routes.map((r: PublicRoute) => ({
      prefix: r.prefix,
      upstream: s.name,
      public: r.public === true,
      exact: r.exact === true,
      sharedReads: r.sharedReads === true,
      templates: r.templates,
    })),
  ).sort((a, b) => b.prefix.length - a.prefix.length);
}

export type { CatalogProductSummary, CatalogProductsResponse } from './catalog.js';
export { DEMO_PASSWORD, DEMO_PRODUCTS, DEMO_TENANT, DEMO_USERS, type DemoProduct } from './demo.js';
export {
  type CloudEvent,
  CloudEventEnvelope,
  EVENT_TYPES,
  type EventData,
  EventSchemas,
  type EventType,
  type GlassboxEvent,
  OrderCancelled,
  OrderConfirmed,
  OrderFailed,
  PaymentCaptured,
  PaymentRefunded,
  UserRegistered,
} from './events.js';
export {
  FAULT_CATALOGUE,
  FAULT_DEFAULT_DURATION_MS,
  FAULT_KINDS,
  FAULT_MAX_DURATION_MS,
  FAULTS_FILE_ENV,
  type Fault,
  type FaultFlagValue,
  type FaultKind,
  type FaultKindSpec,
  type FaultParamName,
  type FaultParamSpec,
  type FaultProblem,
  type FaultRequest,
  type FaultScope,
  type FaultSeam,
  faultFlagDocument,
  faultFlagKey,
  isFaultKind,
  type ValidatedFault,
  validateFaultRequest,
} from './faults.js';
export type {
  AddressInput,
  AddressView,
  Jwks,
  LoginRequest,
  MeView,
  ProfileInput,
  RefreshRequest,
  RegisterRequest,
  RegisterResponse,
  Role as IdentityRole,
  TokenPair,
} from './identity.js';
export type {
  ReservationItemInput,
  ReservationStatus,
  ReservationStatusView,
  ReservationView,
  ReserveRequest,
  StockLevel,
} from './inventory.js';
export {
  defaultServiceUrl,
  type GatewayRoute,
  gatewayRoutes,
  isServiceName,
  manifestEntry,
  PLATFORM_URL_ENV,
  type PlatformEndpoint,
  type PublicRoute,
  SERVICE_MANIFEST,
  SERVICE_NAMES,
  SERVICE_PORTS,
  type ServiceManifestEntry,
  type ServiceName,
  serviceUrlEnv,
} from './manifest.js';
export type { CreateOrderRequest, OrderLineView, OrderPage, OrderStatus, OrderView } from './order.js';
export type {
  AuthorizationView,
  AuthorizeRequest,
  PaymentStatus,
  PaymentView,
  ProviderEvent,
  ProviderEventType,
  RefundView,
} from './payment.js';
export { MAX_AMOUNT_CENTS } from './payment.js';
export { CONTROL_PORT, GATEWAY_OPS_PORT, OBSERVATORY_PORTS } from './ports.js';

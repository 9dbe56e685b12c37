/**
 * Which headers cross the gateway. Requests: an allowlist, so anything a client must not choose (the internal
 * token, the tenant header of service-to-service calls, hop-by-hop headers) never reaches a service; the request
 * id is the gateway's own. Responses: the upstream's content headers; the gateway adds its own request id and
 * traceresponse.
 */
const FORWARDED_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'accept-language',
  'idempotency-key',
  'if-match',
  'if-none-match',
  'user-agent',
  'x-provider-signature',
] as const;

const RETURNED_RESPONSE_HEADERS = [
  'content-type',
  'content-language',
  'cache-control',
  'etag',
  'last-modified',
  'location',
  'link',
  'retry-after',
  'www-authenticate',
  'idempotency-replayed',
] as const;

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function upstreamRequestHeaders(
  incoming: Record<string, HeaderValue>,
  context: { requestId: string; clientIp: string; host?: string; protocol: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = first(incoming[name]);
    if (value !== undefined) out[name] = value;
  }
  out['x-request-id'] = context.requestId;
  out['x-forwarded-for'] = context.clientIp;
  out['x-forwarded-proto'] = context.protocol;
  if (context.host) out['x-forwarded-host'] = context.host;
  return out;
}

export function clientResponseHeaders(upstream: Record<string, HeaderValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = upstream[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

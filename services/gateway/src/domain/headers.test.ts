import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

describe('upstreamRequestHeaders', () => {
  const context = { requestId: 'req-1', clientIp: '203.0.113.7', host: 'shop.test', protocol: 'https' };

  it('forwards the allowed headers and sets the request id and forwarding headers', () => {
    const out = upstreamRequestHeaders(
      {
        authorization: 'Bearer t',
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': 'k1',
        'x-provider-signature': 't=1,v1=ab',
        'x-request-id': 'client-chosen',
      },
      context,
    );
    expect(out).toEqual({
      authorization: 'Bearer t',
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': 'k1',
      'x-provider-signature': 't=1,v1=ab',
      'x-request-id': 'req-1',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.test',
    });
  });

  it('never forwards the internal token, the tenant header, hop-by-hop or unknown headers', () => {
    const out = upstreamRequestHeaders(
      {
        'x-internal-token': 'secret',
        'x-tenant-id': 'other-tenant',
        connection: 'keep-alive, x-internal-token',
        'transfer-encoding': 'chunked',
        'content-length': '10',
        host: 'shop.test',
        cookie: 'a=b',
        traceparent: '00-abc-def-01',
      },
      context,
    );
    expect(Object.keys(out).sort()).toEqual([
      'x-forwarded-for',
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-request-id',
    ]);
  });
});

describe('clientResponseHeaders', () => {
  it('relays content headers but not the upstream trace, request id, connection or cookies', () => {
    expect(
      clientResponseHeaders({
        'content-type': 'application/problem+json',
        'retry-after': '3',
        location: '/api/v1/orders/1',
        traceresponse: '00-x-y-01',
        'x-request-id': 'upstream',
        connection: 'close',
        'set-cookie': ['a=b'],
        link: ['<a>; rel=next', '<b>; rel=prev'],
      }),
    ).toEqual({
      'content-type': 'application/problem+json',
      'retry-after': '3',
      location: '/api/v1/orders/1',
      link: '<a>; rel=next, <b>; rel=prev',
    });
  });
});

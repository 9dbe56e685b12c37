import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { Encoding, IngestOutcome, IngestPipeline } from './pipeline.js';
import {
  encodeExportResponse,
  encodeStatus,
  exportResponseJson,
  type SignalPath,
  type StatusDetail,
  statusJson,
} from './proto.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface OtlpHttpOptions {
  pipeline: IngestPipeline;
  /** Largest request body accepted on the wire (compressed or not). */
  maxBodyBytes: number;
  /** Largest body after decompression (guards against gzip bombs). */
  maxDecompressedBytes: number;
  /** Requests being received/decoded at once; beyond it new ones get 429 before their body is read. */
  maxInFlight: number;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** google.rpc.Code values used in Status bodies. */
const CODE = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 };

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly detail?: StatusDetail,
  ) {
    super(message);
  }
}

function encodingOf(req: FastifyRequest): Encoding | null {
  const raw = req.headers['content-type'];
  if (!raw) return null;
  const media = raw.split(';', 1)[0]!.trim().toLowerCase();
  if (media === PROTOBUF) return 'protobuf';
  if (media === JSON_TYPE) return 'json';
  return null;
}

async function decompress(req: FastifyRequest, body: Buffer, maxBytes: number): Promise<Buffer> {
  const header = req.headers['content-encoding'];
  const enc = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (enc === '' || enc === 'identity') {
    if (body.length > maxBytes) {
      throw new HttpFailure(413, CODE.RESOURCE_EXHAUSTED, `request body exceeds ${maxBytes} bytes`);
    }
    return body;
  }
  if (enc !== 'gzip' && enc !== 'deflate') {
    throw new HttpFailure(
      415,
      CODE.INVALID_ARGUMENT,
      `unsupported Content-Encoding "${enc}" (use gzip or none)`,
    );
  }
  try {
    const opts = { maxOutputLength: maxBytes };
    return enc === 'gzip' ? await gunzipAsync(body, opts) : await inflateAsync(body, opts);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new HttpFailure(
        413,
        CODE.RESOURCE_EXHAUSTED,
        `decompressed request body exceeds ${maxBytes} bytes`,
      );
    }
    throw new HttpFailure(400, CODE.INVALID_ARGUMENT, `request body is not valid ${enc} data (${e.message})`);
  }
}

function sendStatus(
  reply: FastifyReply,
  encoding: Encoding | null,
  httpStatus: number,
  code: number,
  message: string,
  detail?: StatusDetail,
): FastifyReply {
  reply.code(httpStatus);
  if (detail?.kind === 'retry') reply.header('retry-after', String(detail.delaySeconds));
  if (encoding === 'protobuf') {
    return reply.type(PROTOBUF).send(Buffer.from(encodeStatus(code, message, detail)));
  }
  return reply.type(JSON_TYPE).send(JSON.stringify(statusJson(code, message, detail)));
}

function sendOutcome(
  reply: FastifyReply,
  signal: SignalPath,
  encoding: Encoding,
  outcome: IngestOutcome,
): FastifyReply {
  switch (outcome.kind) {
    case 'ok':
      if (encoding === 'protobuf') {
        return reply
          .code(200)
          .type(PROTOBUF)
          .send(Buffer.from(encodeExportResponse(signal, outcome.partial)));
      }
      return reply
        .code(200)
        .type(JSON_TYPE)
        .send(JSON.stringify(exportResponseJson(signal, outcome.partial)));
    case 'invalid':
      return sendStatus(reply, encoding, 400, CODE.INVALID_ARGUMENT, outcome.message, {
        kind: 'badRequest',
        field: outcome.field,
        description: outcome.message,
      });
    case 'too_large':
      return sendStatus(reply, encoding, 413, CODE.RESOURCE_EXHAUSTED, outcome.message);
    case 'overloaded':
      return sendStatus(reply, encoding, 429, CODE.RESOURCE_EXHAUSTED, outcome.message, {
        kind: 'retry',
        delaySeconds: outcome.retryAfterSeconds,
      });
  }
}

const ROUTES: [string, SignalPath][] = [
  ['/v1/traces', 'traces'],
  ['/v1/metrics', 'metrics'],
  ['/v1/logs', 'logs'],
];

/**
 * OTLP/HTTP receiver: `POST /v1/traces|metrics|logs`, protobuf or JSON (by Content-Type), plain,
 * gzip or deflate (by Content-Encoding). Answers per the OTLP spec: 200 with the
 * Export*ServiceResponse in the request's encoding (partialSuccess when items were dropped);
 * errors carry a google.rpc.Status body — 400 bad data (with BadRequest detail), 413 too large,
 * 415 wrong content type/encoding, 429 + Retry-After (and RetryInfo) when the write queue is full.
 * Registered without fastify-plugin: its content-type parsers and error handler stay local.
 */
export const otlpHttpRoutes: FastifyPluginAsync<OtlpHttpOptions> = async (app: FastifyInstance, opts) => {
  const { pipeline, maxBodyBytes, maxDecompressedBytes, maxInFlight } = opts;
  let inFlight = 0;

  // Every body arrives as raw bytes (bounded by bodyLimit); the handler decides how to decode.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const encoding = encodingOf(req);
    const status = err.statusCode ?? 500;
    const signal = ROUTES.find(([url]) => req.url.startsWith(url))?.[1];
    if (signal && status < 500) pipeline.rejectRequest(signal);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      return sendStatus(
        reply,
        encoding,
        413,
        CODE.RESOURCE_EXHAUSTED,
        `request body exceeds ${maxBodyBytes} bytes`,
      );
    }
    if (status >= 400 && status < 500) {
      return sendStatus(reply, encoding, status, CODE.INVALID_ARGUMENT, err.message);
    }
    req.log.error({ err }, 'OTLP request failed');
    return sendStatus(reply, encoding, 500, CODE.INTERNAL, 'internal error');
  });

  for (const [url, signal] of ROUTES) {
    app.route({
      method: 'POST',
      url,
      bodyLimit: maxBodyBytes,
      // Exporters post several times a second: no per-request info logs, only problems.
      logLevel: 'warn',
      // Refuse early — before the body is read — when the type is unsupported or when busy.
      onRequest: async (req, reply) => {
        const encoding = encodingOf(req);
        if (!encoding) {
          pipeline.rejectRequest(signal);
          const got = req.headers['content-type'] ?? '(none)';
          return sendStatus(
            reply,
            null,
            415,
            CODE.INVALID_ARGUMENT,
            `unsupported Content-Type ${JSON.stringify(got)}: use ${PROTOBUF} or ${JSON_TYPE}`,
          );
        }
        const busy =
          inFlight >= maxInFlight
            ? pipeline.throttle(signal, `too many OTLP requests in flight (${inFlight})`)
            : pipeline.overloaded(signal);
        if (busy) return sendOutcome(reply, signal, encoding, busy);
        inFlight++;
        reply.raw.once('close', () => {
          inFlight--;
        });
        return undefined;
      },
      handler: async (req, reply) => {
        const encoding = encodingOf(req)!;
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let body: Buffer;
        try {
          body = await decompress(req, raw, maxDecompressedBytes);
        } catch (err) {
          if (err instanceof HttpFailure) {
            pipeline.rejectRequest(signal);
            return sendStatus(reply, encoding, err.status, err.code, err.message, err.detail);
          }
          throw err;
        }
        return sendOutcome(reply, signal, encoding, pipeline.ingest(signal, encoding, body));
      },
    });
  }
};

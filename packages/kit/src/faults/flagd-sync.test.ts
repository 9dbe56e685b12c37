/**
 * Fault flags from a flagd (cluster mode): the flagd provider's in-process resolver streams the flag set from
 * flagd's sync service (flagd.sync.v1.FlagSyncService/SyncFlags over gRPC). The flagd binary is not on this
 * machine, so a stand-in serves that one RPC with the wire format of flagd's sync.proto: a stream of
 * SyncFlagsResponse { string flag_configuration = 1 }, each the whole flag-definition document.
 */
import { type Fault, faultFlagDocument } from '@glassbox/contracts';
import {
  type Metadata,
  Server,
  ServerCredentials,
  type ServerWritableStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { faultFlagSource, startFaultFlags } from './flags.js';
import { activeFaults, setActiveFaults } from './state.js';

/** protobuf: field 1, wire type 2 (length-delimited), the UTF-8 document. */
function syncFlagsResponse(document: string): Buffer {
  const bytes = Buffer.from(document, 'utf8');
  const length: number[] = [];
  let n = bytes.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...length]), bytes]);
}

const FLAG_SYNC: ServiceDefinition = {
  syncFlags: {
    path: '/flagd.sync.v1.FlagSyncService/SyncFlags',
    requestStream: false,
    responseStream: true,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: string) => syncFlagsResponse(value),
    responseDeserialize: (bytes: Buffer) => bytes.toString('utf8'),
  },
};

/** A stand-in flagd sync service: every stream gets the current document, then each new one. */
class FakeFlagd {
  private readonly server = new Server();
  private readonly streams = new Set<ServerWritableStream<Buffer, string>>();
  private document = JSON.stringify(faultFlagDocument([]));
  readonly selectors: string[] = [];
  port = 0;

  async start(): Promise<void> {
    this.server.addService(FLAG_SYNC, {
      syncFlags: (call: ServerWritableStream<Buffer, string>) => {
        this.selectors.push(String((call.metadata as Metadata).get('flagd-selector')[0] ?? ''));
        this.streams.add(call);
        call.on('cancelled', () => this.streams.delete(call));
        call.write(this.document);
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  }

  publish(faults: readonly Fault[]): void {
    this.document = JSON.stringify(faultFlagDocument(faults));
    for (const stream of this.streams) stream.write(this.document);
  }

  stop(): void {
    for (const stream of this.streams) stream.end();
    this.server.forceShutdown();
  }
}

function fault(id: string, service: string): Fault {
  return {
    id,
    kind: 'error',
    service,
    params: { rate: 1, status: 503 },
    startedAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 60_000).toISOString(),
    endedAt: null,
    by: 'test',
  } as Fault;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const logger = createLogger('unit', 'silent');

describe('fault flags from a flagd (in-process resolver, sync over gRPC)', () => {
  const flagd = new FakeFlagd();
  beforeAll(() => flagd.start());
  afterAll(() => flagd.stop());
  afterEach(() => setActiveFaults([]));

  it('applies the faults flagd streams for this service, follows every update, and ignores other services’', async () => {
    // A fault flagd already holds when the service starts applies from the first sync.
    flagd.publish([fault('f-before', 'unit')]);
    const flags = await startFaultFlags('unit', logger, {
      host: '127.0.0.1',
      port: flagd.port,
      selector: 'glassbox/faults',
    });
    try {
      expect(flags?.loaded).toBe(true);
      await waitFor(() => activeFaults('error').length === 1, 'the fault held at start');
      expect(activeFaults('error').map((f) => f.id)).toEqual(['f-before']);
      flagd.publish([fault('f-mine', 'unit'), fault('f-theirs', 'other')]);
      await waitFor(() => activeFaults('error')[0]?.id === 'f-mine', 'the streamed fault');
      expect(activeFaults('error').map((f) => f.id)).toEqual(['f-mine']);
      expect(flagd.selectors).toContain('glassbox/faults');
      flagd.publish([fault('f-theirs', 'other')]);
      await waitFor(() => activeFaults('error').length === 0, 'the fault to end');
    } finally {
      await flags?.close();
    }
  });

  it('starts without waiting for a flagd that is not there', async () => {
    const started = Date.now();
    // A port nothing listens on: the provider keeps trying in the background.
    const flags = await startFaultFlags('unit', logger, { host: '127.0.0.1', port: 1 });
    try {
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(activeFaults('error')).toEqual([]);
    } finally {
      await flags?.close();
    }
  });
});

describe('faultFlagSource', () => {
  it('prefers the supervisor’s flag file, else a flagd from the provider’s own variables, else nothing', () => {
    expect(faultFlagSource({ GLASSBOX_FAULTS_FILE: '/s/flags.json', FLAGD_HOST: 'flagd' })).toBe(
      '/s/flags.json',
    );
    expect(faultFlagSource({ FLAGD_HOST: 'flagd' })).toEqual({ host: 'flagd', port: 8015 });
    expect(
      faultFlagSource({ FLAGD_HOST: 'flagd', FLAGD_PORT: '9000', FLAGD_SOURCE_SELECTOR: 'faults' }),
    ).toEqual({ host: 'flagd', port: 9000, selector: 'faults' });
    expect(faultFlagSource({ FLAGD_HOST: 'flagd', FLAGD_SYNC_PORT: '8115', FLAGD_PORT: '9000' })).toEqual({
      host: 'flagd',
      port: 8115,
    });
    expect(faultFlagSource({})).toBeUndefined();
    expect(() => faultFlagSource({ FLAGD_HOST: 'flagd', FLAGD_PORT: 'x' })).toThrow(/not a port: x/);
  });
});

import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  FAULT_KINDS,
  FAULTS_FILE_ENV,
  type Fault,
  type FaultFlagValue,
  faultFlagKey,
} from '@glassbox/contracts';
import type { Logger } from '../logger.js';
import { startProcessFaults } from './process.js';
import { setActiveFaults, setFaultLogger } from './state.js';

export interface FaultFlags {
  /** Whether OpenFeature and the flagd provider are loaded (a fault has targeted this service). */
  readonly loaded: boolean;
  /** Re-reads every fault flag for this service now (nothing while not loaded). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const NONE = { faults: [] as string[] };

/** A real flagd's sync service (flagd.sync.v1, gRPC), which the provider's in-process resolver streams from. */
export interface FlagdSync {
  readonly host: string;
  readonly port: number;
  readonly selector?: string;
}

/**
 * Where this process reads its fault flags: the flag file the supervisor writes (GLASSBOX_FAULTS_FILE, embedded
 * mode), else a flagd (the provider's own FLAGD_HOST, FLAGD_SYNC_PORT or FLAGD_PORT — default 8015 — and
 * FLAGD_SOURCE_SELECTOR: cluster mode), else nowhere.
 */
export function faultFlagSource(env: NodeJS.ProcessEnv = process.env): string | FlagdSync | undefined {
  const file = env[FAULTS_FILE_ENV];
  if (file) return file;
  const host = env.FLAGD_HOST;
  if (!host) return undefined;
  const port = Number(env.FLAGD_SYNC_PORT || env.FLAGD_PORT || 8015);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`FLAGD_SYNC_PORT/FLAGD_PORT: not a port: ${env.FLAGD_SYNC_PORT || env.FLAGD_PORT}`);
  const selector = env.FLAGD_SOURCE_SELECTOR || undefined;
  return selector ? { host, port, selector } : { host, port };
}

/** How often the flag file is looked at before OpenFeature is loaded. */
const WATCH_INTERVAL_MS = 1_000;

/**
 * True when the flag file has a variant for `service` in any flag: only then is there anything to evaluate.
 * (The variants are named after the services they target; see `faultFlagDocument`.)
 */
async function targets(file: string, service: string): Promise<boolean> {
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as {
      flags?: Record<string, { variants?: Record<string, unknown> }>;
    };
    return Object.values(doc.flags ?? {}).some((flag) => Object.hasOwn(flag.variants ?? {}, service));
  } catch {
    return false;
  }
}

/**
 * Reads the fault flags through OpenFeature with the flagd provider in in-process mode (see faultFlagSource):
 * from the flagd flag file the supervisor writes, or streamed from a real flagd's sync service. On every change
 * the provider reports, each kind's flag is evaluated with `{ service }` and the kit's seams see the result.
 *
 * From a file, lazily: OpenFeature and flagd (with the gRPC library the provider imports) cost about 30 MB of
 * RSS, so they are imported only once the file first targets this service; until then the kit only looks at
 * the file every second. From a flagd, at once, and without waiting for it: a flagd that is not there yet
 * delays no start, and the provider connects (and reconnects) on its own. Without either nothing is read.
 */
export async function startFaultFlags(
  service: string,
  logger: Logger,
  source: string | FlagdSync | undefined = faultFlagSource(),
): Promise<FaultFlags | undefined> {
  if (!source) return undefined;
  const file = typeof source === 'string' ? source : undefined;
  const log = logger.child({ component: 'faults' });
  setFaultLogger(log);
  const stopProcessFaults = startProcessFaults(log);
  let closed = false;
  let openFeature: { refresh(): Promise<void>; close(): Promise<void> } | undefined;
  let loading: Promise<void> | undefined;

  const load = (): Promise<void> => {
    loading ??= (async () => {
      const [{ OpenFeature, ProviderEvents }, { FlagdProvider }] = await Promise.all([
        import('@openfeature/server-sdk'),
        import('@openfeature/flagd-provider'),
      ]);
      if (closed) return;
      const provider = new FlagdProvider(
        file === undefined
          ? { resolverType: 'in-process', ...(source as FlagdSync) }
          : { resolverType: 'in-process', offlineFlagSourcePath: file },
      );
      if (file !== undefined) await OpenFeature.setProviderAndWait('glassbox-faults', provider);
      else OpenFeature.setProvider('glassbox-faults', provider);
      const client = OpenFeature.getClient('glassbox-faults');
      const evaluation = { service, targetingKey: service };
      const refresh = async (): Promise<void> => {
        const faults: Fault[] = [];
        for (const kind of FAULT_KINDS) {
          const value = (await client.getObjectValue(faultFlagKey(kind), NONE, evaluation)) as unknown;
          const list = (value as Partial<FaultFlagValue> | null)?.faults;
          if (Array.isArray(list)) faults.push(...(list as Fault[]).filter((f) => f.service === service));
        }
        setActiveFaults(faults);
      };
      const onChange = () => {
        refresh().catch((err: unknown) => log.error({ err }, 'could not read the fault flags'));
      };
      client.addHandler(ProviderEvents.ConfigurationChanged, onChange);
      // From a flagd: the first sync (and every reconnection) makes the provider ready.
      if (file === undefined) client.addHandler(ProviderEvents.Ready, onChange);
      openFeature = {
        refresh,
        async close() {
          client.removeHandler(ProviderEvents.ConfigurationChanged, onChange);
          client.removeHandler(ProviderEvents.Ready, onChange);
          await OpenFeature.clearProviders();
        },
      };
      if (file !== undefined) {
        await refresh();
        log.info({ file }, 'fault flags loaded (OpenFeature, flagd in-process)');
      } else {
        const { host, port } = source as FlagdSync;
        log.info({ flagd: `${host}:${port}` }, 'fault flags from flagd (OpenFeature, flagd in-process sync)');
      }
    })();
    return loading;
  };

  // From a flagd: at once. From a file: once it targets this service, looked at every second until then.
  const check = () => {
    if (loading || file === undefined) return;
    targets(file, service).then(
      async (yes) => {
        if (!yes || loading) return;
        unwatchFile(file, check);
        await load();
      },
      () => undefined,
    );
  };
  if (file === undefined || (await targets(file, service))) await load();
  else {
    watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, check);
  }
  return {
    get loaded() {
      return openFeature !== undefined;
    },
    refresh: async () => openFeature?.refresh(),
    async close() {
      closed = true;
      if (file !== undefined) unwatchFile(file, check);
      stopProcessFaults();
      setActiveFaults([]);
      await loading?.catch(() => undefined);
      await openFeature?.close();
    },
  };
}

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
 * Reads the fault flags through OpenFeature with the flagd provider in in-process mode, from the flagd flag
 * file named by GLASSBOX_FAULTS_FILE (the supervisor writes it). On every change the provider reports, each
 * kind's flag is evaluated with `{ service }` and the kit's seams see the result.
 *
 * Lazily: OpenFeature and flagd (with the gRPC library the provider imports) cost about 30 MB of RSS, so they
 * are imported only once the file first targets this service; until then the kit only looks at the file
 * every second. Without the variable nothing is watched at all.
 */
export async function startFaultFlags(
  service: string,
  logger: Logger,
  file: string | undefined = process.env[FAULTS_FILE_ENV],
): Promise<FaultFlags | undefined> {
  if (!file) return undefined;
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
      const provider = new FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: file });
      await OpenFeature.setProviderAndWait('glassbox-faults', provider);
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
      openFeature = {
        refresh,
        async close() {
          client.removeHandler(ProviderEvents.ConfigurationChanged, onChange);
          await OpenFeature.clearProviders();
        },
      };
      await refresh();
      log.info({ file }, 'fault flags loaded (OpenFeature, flagd in-process)');
    })();
    return loading;
  };

  const check = () => {
    if (loading) return;
    targets(file, service).then(
      async (yes) => {
        if (!yes || loading) return;
        unwatchFile(file, check);
        await load();
      },
      () => undefined,
    );
  };
  if (await targets(file, service)) await load();
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
      unwatchFile(file, check);
      stopProcessFaults();
      setActiveFaults([]);
      await loading?.catch(() => undefined);
      await openFeature?.close();
    },
  };
}

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
  /** Re-reads every fault flag for this service now. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const NONE = { faults: [] as string[] };

/**
 * Reads the fault flags through OpenFeature with the flagd provider in in-process mode, from the flagd flag
 * file named by GLASSBOX_FAULTS_FILE (the supervisor writes it). The provider watches the file; on every
 * change each kind's flag is evaluated with `{ service }` and the kit's seams see the result. Without the
 * variable nothing is loaded: OpenFeature and flagd are imported only when a flag file exists, so a service
 * run on its own pays nothing for them.
 */
export async function startFaultFlags(
  service: string,
  logger: Logger,
  file: string | undefined = process.env[FAULTS_FILE_ENV],
): Promise<FaultFlags | undefined> {
  if (!file) return undefined;
  const [{ OpenFeature, ProviderEvents }, { FlagdProvider }] = await Promise.all([
    import('@openfeature/server-sdk'),
    import('@openfeature/flagd-provider'),
  ]);
  const log = logger.child({ component: 'faults' });
  setFaultLogger(log);
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
  const stopProcessFaults = startProcessFaults(log);
  await refresh();
  log.debug({ file }, 'fault flags loaded');
  return {
    refresh,
    async close() {
      client.removeHandler(ProviderEvents.ConfigurationChanged, onChange);
      stopProcessFaults();
      setActiveFaults([]);
      await OpenFeature.clearProviders();
    },
  };
}

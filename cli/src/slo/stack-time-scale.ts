/**
 * What the demo time scale (`GLASSBOX_SLO_TIME_SCALE=N`) changes in a running stack: the observatory evaluates
 * every window and `for` divided by N (it reads the variable), and the services push their metrics as often as
 * the scaled rules are evaluated (`OTEL_METRIC_EXPORT_INTERVAL`, 15 s ÷ N, at least 1 s), or a 5 s window would
 * hold no sample. A value the user set for the export interval wins.
 */
import { parseTimeScale, scaledEvaluationIntervalMs } from '@glassbox/contracts/slo-policy';

export interface StackTimeScale {
  readonly scale: number;
  /** Extra environment for the services. */
  readonly services: Readonly<Record<string, string>>;
  /** Extra environment for the observatory. */
  readonly observatory: Readonly<Record<string, string>>;
}

/** Throws (a sentence naming the variable) when `GLASSBOX_SLO_TIME_SCALE` is not a number from 1 to 3600. */
export function stackTimeScale(env: Readonly<Record<string, string | undefined>>): StackTimeScale {
  const scale = parseTimeScale(env.GLASSBOX_SLO_TIME_SCALE);
  if (scale === 1) return { scale, services: {}, observatory: {} };
  const services: Record<string, string> = {};
  if (!env.OTEL_METRIC_EXPORT_INTERVAL) {
    services.OTEL_METRIC_EXPORT_INTERVAL = String(scaledEvaluationIntervalMs(scale));
  }
  return { scale, services, observatory: { GLASSBOX_SLO_TIME_SCALE: String(scale) } };
}

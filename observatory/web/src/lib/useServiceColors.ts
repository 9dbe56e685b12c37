import { useCallback, useMemo } from 'react';
import { useServices } from '../api/hooks.js';
import { assignServiceColors, serviceColor } from './colors.js';

/** Colour per service, collision-free across the services the observatory knows. */
export function useServiceColors(): (service: string) => string {
  const services = useServices();
  const names = services.data?.services.map((s) => s.name);
  const key = names?.join('\u0000') ?? '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: key is the content of names
  const assigned = useMemo(() => assignServiceColors(names ?? []), [key]);
  return useCallback((service: string) => assigned.get(service) ?? serviceColor(service), [assigned]);
}

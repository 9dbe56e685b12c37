import { useQuery } from '@tanstack/react-query';
import type { ChartMarker } from '../charts/LineChart.js';

interface RecordedFault {
  id: string;
  kind: string;
  service: string;
  startedAt: string;
  endsAt: string;
  endedAt: string | null;
}

/** The injected faults in effect during `domain` (of one service, or all), as chart markers. */
export function useFaultMarkers(domain: readonly [number, number], service?: string): ChartMarker[] {
  const [start, end] = [Math.floor(domain[0]), Math.ceil(domain[1])];
  const q = useQuery({
    queryKey: ['fault-markers', start, end, service],
    queryFn: async ({ signal }) => {
      const search = new URLSearchParams({ start: String(start), end: String(end) });
      if (service) search.set('service', service);
      const res = await fetch(`/api/faults?${search}`, { signal });
      if (!res.ok) return [];
      return ((await res.json()) as { faults: RecordedFault[] }).faults;
    },
    refetchInterval: 10_000,
  });
  return (q.data ?? []).map((f) => ({
    id: f.id,
    startMs: Date.parse(f.startedAt),
    endMs: f.endedAt ? Date.parse(f.endedAt) : Math.min(Date.parse(f.endsAt), Date.now()),
    label: `fault ${f.kind} on ${f.service}`,
  }));
}

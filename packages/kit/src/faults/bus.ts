import type { Bus } from '../bus/types.js';
import { activeFaults, markSpan, whenNoFault } from './state.js';

/**
 * The bus seam: while `broker-stall` is active a publish does not reach the broker; it waits until the fault
 * ends (the outbox keeps the events, so nothing is lost, only late).
 */
export function withBrokerStall(bus: Bus): Bus {
  const publish = bus.publish.bind(bus);
  return Object.assign(Object.create(bus) as Bus, {
    async publish(events: Parameters<Bus['publish']>[0]) {
      const stall = activeFaults('broker-stall')[0];
      if (stall) {
        markSpan(stall);
        await whenNoFault('broker-stall');
      }
      return publish(events);
    },
  });
}

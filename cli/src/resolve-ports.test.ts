import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePorts } from './ports.js';
import { resolvePorts } from './stack.js';

let held: net.Server;
let heldPort: number;

beforeAll(async () => {
  held = net.createServer();
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  heldPort = (held.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => held.close(() => resolve())));

it("'auto' replaces a pick in which a port was taken by the time it is checked", async () => {
  let picks = 0;
  // The first pick contains a port another process has taken since the OS handed it out.
  const choose = async (count: number) => {
    picks++;
    const free = await freePorts(count);
    return picks === 1 ? [heldPort, ...free.slice(1)] : free;
  };
  const ports = await resolvePorts({ ports: 'auto' }, choose);
  expect(picks).toBe(2);
  expect(Object.values(ports)).not.toContain(heldPort);
  expect(new Set(Object.values(ports)).size).toBe(Object.values(ports).length);
});

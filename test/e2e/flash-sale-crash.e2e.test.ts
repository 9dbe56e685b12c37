/**
 * Issue 10's crash guarantee on the real stack (every service its own process), in both admission modes
 * (embedded: in process with a PostgreSQL group commit; connected: Redis Lua and a stream): kill -9 the
 * flash-sale service and the order service while a sale's purchases are being admitted and turned into orders.
 * The supervisor starts them again; then every purchase a buyer saw accepted ends CONFIRMED, FAILED or RELEASED
 * (0 lost), the sale never sells more than its quantity (0 oversold), and the units released by declined cards
 * are sold again to new buyers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';
import { api, eventually } from '../support/http.js';

const dbPrefix = `gbflcr_${randomBytes(3).toString('hex')}_`;
const QUANTITY = 12;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FINAL = new Set(['CONFIRMED', 'FAILED', 'RELEASED']);

/** `n` results of `make`, four at a time (sign-ups hash passwords: all at once would time out on two cores). */
async function inBatches<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += 4)
    out.push(...(await Promise.all(Array.from({ length: Math.min(4, n - i) }, (_, k) => make(i + k)))));
  return out;
}

interface Buyer {
  token: string;
  declines: boolean;
  key: string;
  purchaseId?: string;
}

for (const mode of ['embedded', 'redis'] as const) {
  describe(`kill -9 of flash-sale and order during a sale (${mode} admission)`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    let stateDir: string;
    const prefix = `${dbPrefix}${mode === 'redis' ? 'r' : 'e'}_`;
    const STREAM = `glassbox:test:${prefix}accepted`;

    beforeAll(async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'glassbox-flash-crash-'));
      stack = await startStack({
        observatory: false,
        logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
        ports: 'auto',
        databaseUrl: testServerUrl(),
        dbPrefix: prefix,
        stateDir,
        services: ['auth', 'user', 'catalog', 'inventory', 'payment', 'order', 'flash-sale', 'gateway'],
        env: {
          OTEL_SDK_DISABLED: 'true',
          AUTH_RATE_LIMIT_MAX: '1000',
          FLASH_SALE_ADDRESS_LIMIT_MAX: '100000',
          // Buyers retry with their key while a process is down; the per-user bot limit is not what is tested here.
          FLASH_SALE_USER_LIMIT_MAX: '100000',
          RELEASE_SWEEP_INTERVAL_MS: '500',
          ...(mode === 'redis' ? { REDIS_URL, FLASH_SALE_STREAM: STREAM } : {}),
        },
      });
    }, 240_000);

    afterAll(async () => {
      await stack?.stop();
      if (stateDir) await rm(stateDir, { recursive: true, force: true });
      await dropDatabasesWithPrefix(testServerUrl(), prefix);
      if (mode === 'redis') {
        const redis = new Redis(REDIS_URL);
        await redis.del(STREAM);
        await redis.quit();
      }
    });

    async function pidOf(name: string): Promise<number> {
      const res = await api<{ service: { pid: number | null } }>(stack.urls.control, `/services/${name}`);
      expect(res.body.service.pid).toBeGreaterThan(0);
      return res.body.service.pid as number;
    }

    async function readyAgain(name: string, oldPid: number): Promise<void> {
      const res = await eventually(
        () =>
          api<{ service: { pid: number | null; state: string } }>(stack.urls.control, `/services/${name}`),
        (r) => r.body.service.state === 'ready' && r.body.service.pid !== oldPid,
        90_000,
      );
      expect(res.body.service.state).toBe('ready');
    }

    it('every accepted purchase ends CONFIRMED, FAILED or RELEASED; 0 oversold, 0 lost; released units sell again', async () => {
      const gw = stack.urls.gateway;
      // Password hashing makes sign-ups and sign-ins slow on a loaded machine: a timed-out one is tried again.
      const retried = async <T>(call: () => Promise<{ status: number; body: T }>) => {
        let res = await call();
        for (let i = 0; i < 5 && res.status === 503; i++) res = await call();
        return res;
      };
      const login = async (email: string, password = DEMO_PASSWORD) => {
        const res = await retried(() =>
          api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
            method: 'POST',
            body: { tenant: 'demo', email, password },
          }),
        );
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.accessToken;
      };
      const newBuyer = async (declines: boolean): Promise<Buyer> => {
        const email = `crash-${randomUUID().slice(0, 12)}@flash.test`;
        const registered = await retried(() =>
          api(gw, '/api/v1/auth/register', {
            method: 'POST',
            body: { tenant: 'demo', email, password: 'crash-password-1', name: 'Buyer' },
          }),
        );
        // 409: a sign-up that timed out had gone through.
        expect([201, 409], JSON.stringify(registered.body)).toContain(registered.status);
        const token = await login(email, 'crash-password-1');
        expect(token).toBeTypeOf('string');
        return { token, declines, key: randomUUID() };
      };
      const admin = await login('admin@demo.test');
      const sale = await api<{ id: string }>(gw, '/api/v1/admin/flash-sales', {
        method: 'POST',
        token: admin,
        body: {
          productId: DEMO_PRODUCTS[4]!.id,
          quantity: QUANTITY,
          priceCents: 500,
          startsAt: new Date(Date.now() - 1000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          perUserLimit: 1,
        },
      });
      expect(sale.status).toBe(201);
      const saleId = sale.body.id;

      // 20 buyers for 12 units; one in four pays with a card that is declined.
      const buyers = await inBatches(20, (i) => newBuyer(i % 4 === 0));
      /** One attempt; a network error, a 5xx or a 429 while a process is down is retried with the same key. */
      const attempt = async (b: Buyer): Promise<number> => {
        for (let tries = 0; ; tries++) {
          const res = await api<{ purchaseId?: string; code?: string }>(
            gw,
            `/api/v1/flash-sales/${saleId}/purchases`,
            {
              method: 'POST',
              token: b.token,
              headers: { 'idempotency-key': b.key },
              body: {
                quantity: 1,
                payment: { method: 'card', token: b.declines ? 'tok_declined' : 'tok_ok' },
              },
            },
          ).catch(() => ({ status: 599, body: {} as { purchaseId?: string; code?: string } }));
          if ((res.status < 500 && res.status !== 429) || tries >= 120) {
            if (res.status === 202) b.purchaseId = res.body.purchaseId;
            return res.status;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      const first = buyers.slice(0, 6);
      const rest = buyers.slice(6);
      const firstAnswers = await Promise.all(first.map(attempt));
      expect(firstAnswers).toEqual(first.map(() => 202));

      // kill -9 both while the rest of the buyers come in (and the first purchases become orders).
      const [salePid, orderPid] = [await pidOf('flash-sale'), await pidOf('order')];
      const during = Promise.all(rest.map(attempt));
      process.kill(salePid, 'SIGKILL');
      process.kill(orderPid, 'SIGKILL');
      const answers = [...firstAnswers, ...(await during)];
      await readyAgain('flash-sale', salePid);
      await readyAgain('order', orderPid);
      // Every buyer got a decided answer: accepted, or sold out (declined cards give units back meanwhile, so more
      // than 12 may have been accepted in all, but never more than 12 held at once).
      expect(answers.filter((s) => s !== 202 && s !== 409)).toEqual([]);
      const accepted = buyers.filter((b) => b.purchaseId);
      expect(accepted.length).toBeGreaterThanOrEqual(QUANTITY);

      // Every accepted purchase reaches a final state: 0 lost. A paid card confirms; a declined one fails and
      // gives its unit back.
      const statusOf = async (b: Buyer) =>
        (
          await api<{ status: string }>(gw, `/api/v1/flash-sales/${saleId}/purchases/${b.purchaseId}`, {
            token: b.token,
          })
        ).body.status;
      // A declined card's purchase passes FAILED on its way to RELEASED (its unit is given back right after, or
      // by the release sweeper when the service died in between): wait for where each one ends.
      const settled = async (group: Buyer[]) => {
        const finals = await eventually(
          () => Promise.all(group.map(statusOf)),
          (statuses) => statuses.every((s) => s === 'CONFIRMED' || s === 'RELEASED'),
          120_000,
        );
        expect(finals.every((s) => FINAL.has(s))).toBe(true);
        expect(finals.map((s, i) => `${s}${group[i]?.declines ? ' (declined card)' : ''}`)).toEqual(
          group.map((b) => (b.declines ? 'RELEASED (declined card)' : 'CONFIRMED')),
        );
      };
      await settled(accepted);
      const view = async () =>
        (
          await api<{ remaining: number; sold: number; oversold: number }>(
            gw,
            `/api/v1/admin/flash-sales/${saleId}`,
            { token: admin },
          )
        ).body;
      const confirmed = accepted.filter((b) => !b.declines).length;
      const released = accepted.length - confirmed;
      expect(released).toBeGreaterThan(0);
      expect(confirmed).toBeLessThanOrEqual(QUANTITY);
      expect(await view()).toMatchObject({ remaining: QUANTITY - confirmed, sold: confirmed, oversold: 0 });

      // The units still on sale (released by declined cards) are sold to new buyers, and no more.
      const open = QUANTITY - confirmed;
      const late = await inBatches(open + 3, () => newBuyer(false));
      const lateAnswers = await Promise.all(late.map(attempt));
      expect(lateAnswers.filter((s) => s === 202)).toHaveLength(open);
      expect(lateAnswers.filter((s) => s === 409)).toHaveLength(3);
      await settled(late.filter((b) => b.purchaseId));
      // 12 units confirmed in all, after more than 12 acceptances: released units were sold again.
      expect(accepted.length + open).toBeGreaterThan(QUANTITY);
      expect(await view()).toMatchObject({ remaining: 0, sold: QUANTITY, oversold: 0 });
    }, 420_000);
  });
}

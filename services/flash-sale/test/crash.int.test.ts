/**
 * kill -9 during a sale, in both admission modes: the flash-sale process (its compiled bundle, as the
 * supervisor runs it) is killed while purchase attempts are in flight, then started again. Every purchase a
 * client saw accepted is in the database, admission continues from durable state, and the sale sells exactly
 * its quantity: 0 lost, 0 oversold.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { JWT_AUDIENCE, JWT_ISSUER } from '@glassbox/kit';
import { spawnService } from '@glassbox/kit/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, INTERNAL_TOKEN, type Mode, REDIS_URL, startHarness } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QUANTITY = 40;

/** A JWKS endpoint and tokens it verifies: the process checks tokens as it does against the auth service. */
async function startIssuer(): Promise<{
  url: string;
  sign(userId: string, tenantId: string, admin?: boolean): Promise<string>;
  server: Server;
}> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'crash-key', alg: 'ES256', use: 'sig' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    sign: (userId, tenantId, admin = false) =>
      new SignJWT({
        tid: tenantId,
        email: `${userId}@test.invalid`,
        roles: [admin ? 'admin' : 'customer'],
        typ: 'access',
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'crash-key' })
        .setSubject(userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
  };
}

for (const mode of ['embedded', 'redis'] as Mode[]) {
  describe(`kill -9 of the flash-sale process (${mode})`, () => {
    let h: Harness;
    let issuer: Awaited<ReturnType<typeof startIssuer>>;
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      h = await startHarness(mode);
      issuer = await startIssuer();
    });
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      issuer?.server.close();
      await h?.close();
    });

    async function start(): Promise<{ child: ChildProcess; url: string }> {
      const spawned = await spawnService({
        name: 'flash-sale',
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: h.databaseUrl,
          BUS_URL: h.databaseUrl,
          AUTH_URL: issuer.url,
          INVENTORY_URL: h.inventoryUrl,
          INTERNAL_TOKEN,
          REDIS_URL: mode === 'redis' ? REDIS_URL : '',
          FLASH_SALE_REPLICA: `crash-${mode}`,
          FLASH_SALE_STREAM: h.stream,
          LOG_LEVEL: 'info', // the listening line is what spawnService waits for
          OTEL_SERVICE_NAME: 'flash-sale',
          OTEL_EXPORTER_OTLP_ENDPOINT: '', // metrics on /metrics, nothing exported
        },
      });
      children.push(spawned.child);
      return spawned;
    }

    it('every accepted purchase survives, admission resumes, exactly the quantity is sold', async () => {
      const admin = await issuer.sign(randomUUID(), h.tenantId, true);
      let running = await start();
      const productId = await h.product(QUANTITY);
      const created = await fetch(`${running.url}/api/v1/admin/flash-sales`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({
          productId,
          quantity: QUANTITY,
          priceCents: 500,
          startsAt: new Date(Date.now() - 1000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          perUserLimit: 1,
        }),
      });
      expect(created.status).toBe(201);
      const saleId = ((await created.json()) as { id: string }).id;

      const accepted = new Set<string>();
      const attempt = async (url: string) => {
        const token = await issuer.sign(randomUUID(), h.tenantId);
        try {
          const res = await fetch(`${url}/api/v1/flash-sales/${saleId}/purchases`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({ quantity: 1, payment: { method: 'card', token: 'tok_ok' } }),
          });
          if (res.status === 202) accepted.add(((await res.json()) as { purchaseId: string }).purchaseId);
          return res.status;
        } catch {
          return 0; // the connection died with the process: the client does not know (and counts nothing)
        }
      };

      // Attempts keep coming; the process is killed once some have been accepted, with others in flight.
      const first = running;
      let settled = 0;
      const wave = Array.from({ length: 30 }, () => attempt(first.url).finally(() => settled++));
      while (accepted.size < 10 && settled < wave.length) {
        await new Promise((r) => setTimeout(r, 5)); // polls the condition; lets the answers arrive
      }
      first.child.kill('SIGKILL');
      await once(first.child, 'exit');
      await Promise.all(wave);
      const beforeCrash = [...accepted];
      expect(beforeCrash.length).toBeGreaterThanOrEqual(10);

      running = await start();
      const statuses: number[] = [];
      for (let round = 0; round < 10 && !statuses.includes(409); round++) {
        statuses.push(...(await Promise.all(Array.from({ length: 20 }, () => attempt(running.url)))));
      }
      expect(statuses).toContain(409);

      // Everything accepted — before and after the crash — is durable; nothing beyond the quantity.
      const deadline = Date.now() + 15_000;
      let rows = await h.db.query<{ id: string }>('SELECT id FROM flash_purchases WHERE sale_id = $1', [
        saleId,
      ]);
      while (rows.length < accepted.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        rows = await h.db.query<{ id: string }>('SELECT id FROM flash_purchases WHERE sale_id = $1', [
          saleId,
        ]);
      }
      const ids = new Set(rows.map((r) => r.id));
      for (const id of beforeCrash)
        expect(ids.has(id), `purchase ${id} accepted before the crash`).toBe(true);
      for (const id of accepted) expect(ids.has(id)).toBe(true);
      expect(rows.length).toBe(QUANTITY);
      // Each durable purchase is announced exactly once (a persister repeating a batch adds no second event).
      const events = await h.db.query<{ subject: string }>(
        `SELECT event->>'subject' AS subject FROM outbox
          WHERE type = 'flash.purchase.accepted' AND event->'data'->>'saleId' = $1`,
        [saleId],
      );
      expect(events.map((e) => e.subject).sort()).toEqual([...ids].sort());
      const view = await fetch(`${running.url}/api/v1/admin/flash-sales/${saleId}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(await view.json()).toMatchObject({ sold: QUANTITY, remaining: 0, oversold: 0 });
      // The console's numbers: attempts by outcome, admission latency, queue depth (this process's share).
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(
        /glassbox_flash_sale_attempts_total\{[^}]*glassbox_outcome="ACCEPTED"[^}]*\} [1-9]/,
      );
      expect(metrics).toMatch(
        /glassbox_flash_sale_attempts_total\{[^}]*glassbox_outcome="SOLD_OUT"[^}]*\} [1-9]/,
      );
      expect(metrics).toMatch(/glassbox_flash_sale_admission_duration_bucket\{/);
      expect(metrics).toMatch(
        new RegExp(`glassbox_flash_sale_queue_depth\\{[^}]*glassbox_admission_mode="${mode}"`),
      );
      running.child.kill('SIGTERM');
      await once(running.child, 'exit');
    });
  });
}

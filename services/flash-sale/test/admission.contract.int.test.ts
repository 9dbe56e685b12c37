/**
 * One contract, two admission engines: connected (Redis Lua, the machine's Redis) and embedded (in process,
 * PostgreSQL group commit). Every guarantee of issue 10 §2 is checked against both.
 */
import { randomUUID } from 'node:crypto';
import { createEvent } from '@glassbox/kit/bus';
import { inActiveTrace } from '@glassbox/kit/testing';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurchaseStore } from '../src/adapters/purchase-store.js';
import type { FlashSaleApp } from '../src/app.js';
import { type Harness, type Mode, REDIS_URL, startHarness } from './helpers.js';

const HOUR = 3_600_000;

for (const mode of ['embedded', 'redis'] as Mode[]) {
  describe(`admission contract (${mode})`, () => {
    let h: Harness;
    let fs: FlashSaleApp;
    let admin: string;

    beforeAll(async () => {
      h = await startHarness(mode);
      fs = await h.start({ consumeOrders: true });
      admin = await h.adminToken();
    });
    afterAll(async () => {
      await h?.close();
    });

    async function createSale(
      terms: { quantity: number; perUserLimit: number; startsAt?: Date; endsAt?: Date; stock?: number },
      app: FlashSaleApp = fs,
    ): Promise<string> {
      const productId = await h.product(terms.stock ?? terms.quantity);
      const response = await app.app.inject({
        method: 'POST',
        url: '/api/v1/admin/flash-sales',
        headers: { authorization: `Bearer ${admin}` },
        payload: {
          productId,
          quantity: terms.quantity,
          priceCents: 999,
          startsAt: (terms.startsAt ?? new Date(Date.now() - 1000)).toISOString(),
          endsAt: (terms.endsAt ?? new Date(Date.now() + HOUR)).toISOString(),
          perUserLimit: terms.perUserLimit,
        },
      });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id;
    }

    function buy(saleId: string, token: string, key = randomUUID(), quantity = 1, app: FlashSaleApp = fs) {
      return app.app.inject({
        method: 'POST',
        url: `/api/v1/flash-sales/${saleId}/purchases`,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
        payload: { quantity, payment: { method: 'card', token: 'tok_visa' } },
      });
    }

    async function adminView(saleId: string, app: FlashSaleApp = fs) {
      const response = await app.app.inject({
        method: 'GET',
        url: `/api/v1/admin/flash-sales/${saleId}`,
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(response.statusCode, response.body).toBe(200);
      return response.json();
    }

    async function persistedPurchases(saleId: string) {
      return h.db.query<{ user_id: string; quantity: number; status: string; id: string }>(
        'SELECT id, user_id, quantity, status FROM flash_purchases WHERE sale_id = $1',
        [saleId],
      );
    }

    /** Connected mode persists from the stream in the background: wait until it has (never a sleep). */
    async function persisted(saleId: string, expected: number, app: FlashSaleApp = fs) {
      for (let i = 0; i < 200; i++) {
        const rows = await persistedPurchases(saleId);
        if (rows.length >= expected) return rows;
        if ('persistNow' in app.admission)
          await (app.admission as { persistNow(): Promise<number> }).persistNow();
      }
      return persistedPurchases(saleId);
    }

    it('creating a sale reserves its quantity in inventory until after the sale ends', async () => {
      const endsAt = new Date(Date.now() + 10 * 24 * HOUR);
      const saleId = await createSale({ quantity: 7, perUserLimit: 2, stock: 10, endsAt });
      const [sale] = await h.db.query<{ product_id: string; reservation_id: string }>(
        'SELECT product_id, reservation_id FROM flash_sales WHERE id = $1',
        [saleId],
      );
      const stock = await h.inventory.store.getStock(h.tenantId, sale?.product_id as string);
      expect(stock).toMatchObject({ onHand: 10, reserved: 7, available: 3 });
      const [reservation] = await h.inventory.db.query<{ expires_at: Date }>(
        'SELECT expires_at FROM reservations WHERE tenant_id = $1 AND id = $2',
        [h.tenantId, sale?.reservation_id],
      );
      expect(reservation?.expires_at.getTime()).toBeGreaterThan(endsAt.getTime());
      if (mode === 'redis') {
        // The sale's counters stay in Redis through the sale, and leave it a day after.
        const redis = new Redis(REDIS_URL);
        const before = Date.now();
        const ttl = await redis.pttl(`glassbox:flash-sale:{${saleId}}:stock`);
        await redis.quit();
        expect(ttl).toBeGreaterThan(endsAt.getTime() - Date.now() + 86_000_000);
        expect(ttl).toBeLessThanOrEqual(endsAt.getTime() - before + 86_400_000);
      }
    });

    it('a sale larger than the stock is refused 409 OUT_OF_STOCK and holds nothing', async () => {
      const productId = await h.product(3);
      const response = await fs.app.inject({
        method: 'POST',
        url: '/api/v1/admin/flash-sales',
        headers: { authorization: `Bearer ${admin}` },
        payload: {
          productId,
          quantity: 4,
          priceCents: 1,
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + HOUR).toISOString(),
          perUserLimit: 1,
        },
      });
      expect(response.statusCode).toBe(409);
      expect(response.json().code).toBe('OUT_OF_STOCK');
      expect(await h.inventory.store.getStock(h.tenantId, productId)).toMatchObject({ reserved: 0 });
    });

    it('customers see remaining and status; only admins create sales', async () => {
      const saleId = await createSale({ quantity: 5, perUserLimit: 5 });
      const alice = await h.customerToken();
      expect((await buy(saleId, alice, randomUUID(), 2)).statusCode).toBe(202);
      const view = await fs.app.inject({
        method: 'GET',
        url: `/api/v1/flash-sales/${saleId}`,
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(view.json()).toMatchObject({ id: saleId, remaining: 3, status: 'ACTIVE', priceCents: 999 });
      const denied = await fs.app.inject({
        method: 'POST',
        url: '/api/v1/admin/flash-sales',
        headers: { authorization: `Bearer ${alice}` },
        payload: {},
      });
      expect(denied.statusCode).toBe(403);
    });

    it('N concurrent attempts from U users on Q with limit L: exactly min(Q, Σ min(attempts, L)) accepted', async () => {
      // 40 users × 5 attempts, limit 2: demand 80 ≥ Q = 50 → sold out at exactly 50.
      // 30 users × 3 attempts, limit 2: demand 60 < Q = 100 → exactly 60, the rest LIMIT_REACHED.
      for (const [users, attempts, quantity, limit] of [
        [40, 5, 50, 2],
        [30, 3, 100, 2],
      ] as const) {
        const saleId = await createSale({ quantity, perUserLimit: limit });
        const buyers = await Promise.all(
          Array.from({ length: users }, async () => {
            const id = randomUUID();
            return { id, token: await h.customerToken(id) };
          }),
        );
        const answers = await Promise.all(
          buyers.flatMap((b) => Array.from({ length: attempts }, () => buy(saleId, b.token))),
        );
        const accepted = answers.filter((a) => a.statusCode === 202);
        const expected = Math.min(quantity, users * Math.min(attempts, limit));
        expect(accepted.length).toBe(expected);
        for (const a of answers.filter((x) => x.statusCode !== 202)) {
          expect(a.statusCode).toBe(409);
          expect(['SOLD_OUT', 'LIMIT_REACHED']).toContain(a.json().code);
        }
        const rows = await persisted(saleId, expected);
        expect(rows.length).toBe(expected);
        const perUser = new Map<string, number>();
        for (const r of rows) perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + r.quantity);
        expect(Math.max(...perUser.values())).toBeLessThanOrEqual(limit);
        const view = await adminView(saleId);
        expect(view.sold).toBe(expected);
        expect(view.oversold).toBe(0);
        expect(view.remaining).toBe(quantity - expected);
        expect(view.admissionMode).toBe(mode);
      }
    });

    it('the same Idempotency-Key is the same purchase; with another quantity it is 422', async () => {
      const saleId = await createSale({ quantity: 10, perUserLimit: 3 });
      const token = await h.customerToken();
      const key = randomUUID();
      const answers = await Promise.all([
        buy(saleId, token, key),
        buy(saleId, token, key),
        buy(saleId, token, key),
      ]);
      const ids = new Set(answers.map((a) => a.json().purchaseId));
      expect(answers.map((a) => a.statusCode)).toEqual([202, 202, 202]);
      expect(ids.size).toBe(1);
      const reused = await buy(saleId, token, key, 2);
      expect(reused.statusCode).toBe(422);
      expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect((await adminView(saleId)).sold).toBe(1);
      // Another user's same key is another purchase.
      expect((await buy(saleId, await h.customerToken(), key)).json().purchaseId).not.toBe([...ids][0]);
    });

    it('each accepted purchase is announced once, as flash.purchase.accepted in its request trace', async () => {
      // As the service's telemetry SDK does: W3C trace context is what travels.
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const saleId = await createSale({ quantity: 3, perUserLimit: 1 });
      const token = await h.customerToken();
      const key = randomUUID();
      const { traceId, purchaseId } = await inActiveTrace(async (id) => ({
        traceId: id,
        purchaseId: (await buy(saleId, token, key)).json().purchaseId as string,
      }));
      expect((await buy(saleId, token, key)).json().purchaseId).toBe(purchaseId); // a repeat: no second event
      await buy(saleId, await h.customerToken());
      await persisted(saleId, 2);
      const events = await h.db.query<{
        event: { subject: string; traceparent?: string; data: Record<string, unknown> };
      }>(
        `SELECT event FROM outbox WHERE type = 'flash.purchase.accepted' AND event->'data'->>'saleId' = $1`,
        [saleId],
      );
      expect(events).toHaveLength(2);
      const mine = events.find((e) => e.event.subject === purchaseId)?.event;
      const [sale] = await h.db.query<{ product_id: string; reservation_id: string }>(
        'SELECT product_id, reservation_id FROM flash_sales WHERE id = $1',
        [saleId],
      );
      expect(mine?.data).toMatchObject({
        tenantId: h.tenantId,
        purchaseId,
        saleId,
        productId: sale?.product_id,
        quantity: 1,
        unitPriceCents: 999,
        reservationId: sale?.reservation_id,
        payment: { method: 'card', token: 'tok_visa' },
      });
      const payBy = Date.parse(String(mine?.data.payBy)) - Date.parse(String(mine?.data.acceptedAt));
      expect(payBy).toBe(15 * 60_000);
      expect(mine?.traceparent?.split('-')[1]).toBe(traceId);
    });

    async function purchaseStatus(saleId: string, purchaseId: string) {
      const [row] = await h.db.query<{ status: string; order_id: string | null }>(
        'SELECT status, order_id FROM flash_purchases WHERE sale_id = $1 AND id = $2',
        [saleId, purchaseId],
      );
      return row;
    }

    async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
      const deadline = Date.now() + 20_000;
      let value = await read();
      while (!done(value) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25)); // polls the condition
        value = await read();
      }
      return value;
    }

    it('order.confirmed makes the purchase CONFIRMED; order.failed releases its unit, which sells again', async () => {
      const saleId = await createSale({ quantity: 2, perUserLimit: 1 });
      const [a, b] = [await h.customerToken(), await h.customerToken()];
      const paid = (await buy(saleId, a)).json().purchaseId as string;
      const failed = (await buy(saleId, b)).json().purchaseId as string;
      expect((await buy(saleId, await h.customerToken())).json().code).toBe('SOLD_OUT');
      await persisted(saleId, 2);
      const now = new Date().toISOString();
      await h.bus.publish([
        createEvent(
          'order.confirmed',
          {
            tenantId: h.tenantId,
            orderId: paid,
            userId: 'u',
            totalCents: 999,
            currency: 'EUR',
            items: [{ productId: randomUUID(), quantity: 1 }],
            confirmedAt: now,
          },
          { source: 'order', subject: paid },
        ),
        createEvent(
          'order.failed',
          { tenantId: h.tenantId, orderId: failed, userId: 'u', reason: 'PAYMENT_DECLINED', failedAt: now },
          { source: 'order', subject: failed },
        ),
      ]);
      expect(
        await until(
          () => purchaseStatus(saleId, paid),
          (r) => r?.status === 'CONFIRMED',
        ),
      ).toEqual({
        status: 'CONFIRMED',
        order_id: paid,
      });
      expect(
        (
          await until(
            () => purchaseStatus(saleId, failed),
            (r) => r?.status === 'RELEASED',
          )
        )?.status,
      ).toBe('RELEASED');
      const view = await until(
        () => adminView(saleId),
        (v) => v.remaining === 1,
      );
      expect(view).toMatchObject({ remaining: 1, sold: 1, oversold: 0 });
      const again = await buy(saleId, await h.customerToken());
      expect(again.statusCode).toBe(202);
      // A confirmed purchase is never released, however late.
      expect(await fs.admission.release(await fs.flash.sale(h.tenantId, saleId), paid)).toBe(false);
    });

    it('a purchase not paid by its deadline is RELEASED by the sweeper, once', async () => {
      const hasty = await h.start({ paymentDeadlineMs: 1 });
      const saleId = await createSale({ quantity: 1, perUserLimit: 1 }, hasty);
      const purchaseId = (await buy(saleId, await h.customerToken(), randomUUID(), 1, hasty)).json()
        .purchaseId;
      await persisted(saleId, 1, hasty);
      await until(
        async () =>
          (await hasty.releaser.sweep()) > 0 ||
          (await purchaseStatus(saleId, purchaseId))?.status === 'RELEASED',
        Boolean,
      );
      expect((await purchaseStatus(saleId, purchaseId))?.status).toBe('RELEASED');
      expect(await hasty.releaser.sweep()).toBe(0);
      expect((await adminView(saleId, hasty)).remaining).toBe(1);
      // The default deadline (15 min) keeps a fresh purchase.
      const patient = await createSale({ quantity: 1, perUserLimit: 1 });
      const kept = (await buy(patient, await h.customerToken())).json().purchaseId;
      await persisted(patient, 1);
      await fs.releaser.sweep();
      expect((await purchaseStatus(patient, kept))?.status).toBe('ACCEPTED');
    });

    it('an ended sale settles with inventory once every purchase is final: sold units off hand, the rest back', async () => {
      const hasty = await h.start({ paymentDeadlineMs: 1 });
      const endsAt = new Date(Date.now() + 1_500);
      const saleId = await createSale({ quantity: 3, perUserLimit: 1, stock: 10, endsAt }, hasty);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await buy(saleId, await h.customerToken(), randomUUID(), 1, hasty);
        expect(response.statusCode, response.body).toBe(202);
        ids.push(response.json().purchaseId);
      }
      await persisted(saleId, 3, hasty);
      const [row] = await h.db.query<{ product_id: string; reservation_id: string }>(
        'SELECT product_id, reservation_id FROM flash_sales WHERE id = $1',
        [saleId],
      );
      const productId = row?.product_id as string;
      const stock = () => h.inventory.store.getStock(h.tenantId, productId);
      // Still running: nothing to settle.
      expect(await hasty.settlement.settle()).toBe(0);
      // Two buyers pay; the third never does.
      const now = new Date().toISOString();
      await h.bus.publish(
        ids.slice(0, 2).map((orderId) =>
          createEvent(
            'order.confirmed',
            {
              tenantId: h.tenantId,
              orderId,
              userId: 'u',
              totalCents: 999,
              currency: 'EUR',
              items: [{ productId, quantity: 1 }],
              confirmedAt: now,
            },
            { source: 'order', subject: orderId },
          ),
        ),
      );
      for (const id of ids.slice(0, 2))
        await until(
          () => purchaseStatus(saleId, id),
          (r) => r?.status === 'CONFIRMED',
        );
      await until(async () => Date.now() > endsAt.getTime() + 10, Boolean);
      // Ended, but the third purchase is still ACCEPTED: not final, not settled.
      expect(await hasty.settlement.settle()).toBe(0);
      expect(await stock()).toMatchObject({ onHand: 10, reserved: 3 });
      expect((await adminView(saleId, hasty)).settlement).toBeNull();
      // Past its deadline it is released; then the sale settles: 2 sold, 1 back.
      expect(await hasty.releaser.sweep()).toBeGreaterThanOrEqual(1);
      expect((await purchaseStatus(saleId, ids[2] as string))?.status).toBe('RELEASED');
      expect(await hasty.settlement.settle()).toBe(1);
      expect(await stock()).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
      const [reservation] = await h.inventory.db.query<{ status: string }>(
        'SELECT status FROM reservations WHERE tenant_id = $1 AND id = $2',
        [h.tenantId, row?.reservation_id],
      );
      expect(reservation?.status).toBe('COMMITTED');
      expect((await adminView(saleId, hasty)).settlement).toMatchObject({ unitsSold: 2, unitsReturned: 1 });
      // Once only.
      expect(await hasty.settlement.settle()).toBe(0);
      expect(await stock()).toMatchObject({ onHand: 8, reserved: 0 });
    });

    it('the oversell check reads the durable purchases: 0 for a sold-out sale, the excess when a row too many appears', async () => {
      const store = new PurchaseStore(h.db);
      const before = await store.oversoldUnits();
      const saleId = await createSale({ quantity: 2, perUserLimit: 2 });
      const token = await h.customerToken();
      expect((await buy(saleId, token, randomUUID(), 2)).statusCode).toBe(202);
      expect((await buy(saleId, await h.customerToken())).json().code).toBe('SOLD_OUT');
      await persisted(saleId, 1);
      expect(await store.oversoldUnits()).toBe(before);
      // What a broken admission would leave behind: one more unit held than the sale has.
      await h.db.query(
        `INSERT INTO flash_purchases (tenant_id, id, sale_id, user_id, idempotency_key, quantity, payment, status, accepted_at)
         VALUES ($1, $2, $3, 'intruder', 'k', 1, '{}', 'ACCEPTED', now())`,
        [h.tenantId, randomUUID(), saleId],
      );
      expect(await store.oversoldUnits()).toBe(before + 1);
      await h.db.query(
        "UPDATE flash_purchases SET status = 'RELEASED' WHERE sale_id = $1 AND user_id = 'intruder'",
        [saleId],
      );
      expect(await store.oversoldUnits()).toBe(before);
    });

    it('a purchase is read back by its buyer (not by another customer)', async () => {
      const saleId = await createSale({ quantity: 2, perUserLimit: 1 });
      const token = await h.customerToken();
      const { purchaseId } = (await buy(saleId, token)).json();
      const read = (t: string) =>
        fs.app.inject({
          method: 'GET',
          url: `/api/v1/flash-sales/${saleId}/purchases/${purchaseId}`,
          headers: { authorization: `Bearer ${t}` },
        });
      const own = await read(token);
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({
        purchaseId,
        saleId,
        status: 'ACCEPTED',
        orderId: null,
        quantity: 1,
      });
      expect((await read(await h.customerToken())).statusCode).toBe(404);
    });

    it('409 NOT_ACTIVE before the start and after the end', async () => {
      const soon = await createSale({ quantity: 1, perUserLimit: 1, startsAt: new Date(Date.now() + HOUR) });
      const token = await h.customerToken();
      const early = await buy(soon, token);
      expect(early.statusCode).toBe(409);
      expect(early.json().code).toBe('NOT_ACTIVE');
      const ended = await createSale({
        quantity: 1,
        perUserLimit: 1,
        startsAt: new Date(Date.now() - 2 * HOUR),
        endsAt: new Date(Date.now() + 300),
      });
      await h.db.query(`UPDATE flash_sales SET ends_at = now() - interval '1 second' WHERE id = $1`, [ended]);
      const late = await (await h.start()).app.inject({
        method: 'POST',
        url: `/api/v1/flash-sales/${ended}/purchases`,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
        payload: { quantity: 1, payment: { method: 'card', token: 't' } },
      });
      expect(late.json().code).toBe('NOT_ACTIVE');
    });

    it('a released purchase gives its unit back exactly once, and it is sold again', async () => {
      const saleId = await createSale({ quantity: 1, perUserLimit: 1 });
      const first = await h.customerToken();
      const { purchaseId } = (await buy(saleId, first)).json();
      expect((await buy(saleId, await h.customerToken())).json().code).toBe('SOLD_OUT');
      await persisted(saleId, 1);
      const sale = await fs.flash.sale(h.tenantId, saleId);
      expect(await fs.admission.release(sale, purchaseId)).toBe(true);
      expect(await fs.admission.release(sale, purchaseId)).toBe(false);
      expect((await adminView(saleId)).remaining).toBe(1);
      // The released buyer's allowance is back too; the unit sells once more, and only once.
      const again = await Promise.all([buy(saleId, first), buy(saleId, await h.customerToken())]);
      expect(again.filter((a) => a.statusCode === 202)).toHaveLength(1);
      expect((await adminView(saleId)).remaining).toBe(0);
    });

    it('a restart resumes from durable state: nothing accepted is lost, no unit is sold twice', async () => {
      const replica = `restart-${randomUUID()}`;
      const first = await h.start({ replica });
      const saleId = await createSale({ quantity: 30, perUserLimit: 1 }, first);
      const tokens = await Promise.all(Array.from({ length: 50 }, () => h.customerToken()));
      const before = await Promise.all(tokens.slice(0, 20).map((t) => buy(saleId, t, undefined, 1, first)));
      const acceptedBefore = before.filter((a) => a.statusCode === 202).map((a) => a.json().purchaseId);
      expect(acceptedBefore).toHaveLength(20);
      await first.app.close();
      // A fresh process (nothing in memory) on the same database and, in connected mode, the same Redis.
      const second = await h.start({ replica });
      const repeat = await buy(saleId, tokens[0] as string, undefined, 1, second);
      expect(repeat.json().code).toBe('LIMIT_REACHED');
      const after = await Promise.all(tokens.slice(20).map((t) => buy(saleId, t, undefined, 1, second)));
      expect(after.filter((a) => a.statusCode === 202)).toHaveLength(10);
      const rows = await persisted(saleId, 30, second);
      expect(rows).toHaveLength(30);
      for (const id of acceptedBefore) expect(rows.map((r) => r.id)).toContain(id);
      expect((await adminView(saleId, second)).oversold).toBe(0);
    });

    it('a full admission queue answers 429 WAITING_ROOM with Retry-After instead of waiting', async () => {
      const narrow = await h.start({ queueMax: 1 });
      const saleId = await createSale({ quantity: 100, perUserLimit: 1 }, narrow);
      const tokens = await Promise.all(Array.from({ length: 20 }, () => h.customerToken()));
      const answers = await Promise.all(tokens.map((t) => buy(saleId, t, undefined, 1, narrow)));
      const waiting = answers.filter((a) => a.statusCode === 429);
      expect(waiting.length).toBeGreaterThan(0);
      expect(waiting[0]?.headers['retry-after']).toBe('1');
      expect(waiting[0]?.json().code).toBe('WAITING_ROOM');
      expect(answers.filter((a) => a.statusCode === 202).length).toBe(20 - waiting.length);
    });

    it.runIf(mode === 'embedded')(
      'a purchase whose durable write fails is refused 503 and gives its unit back',
      async () => {
        const saleId = await createSale({ quantity: 1, perUserLimit: 1 });
        const token = await h.customerToken();
        await h.db.query('ALTER TABLE flash_purchases RENAME TO flash_purchases_away');
        let refused: Awaited<ReturnType<typeof buy>>;
        try {
          refused = await buy(saleId, token);
        } finally {
          await h.db.query('ALTER TABLE flash_purchases_away RENAME TO flash_purchases');
        }
        expect(refused.statusCode).toBe(503);
        expect(refused.json().code).toBe('UPSTREAM_UNAVAILABLE');
        expect(refused.headers['retry-after']).toBe('1');
        expect((await adminView(saleId)).remaining).toBe(1);
        // The same buyer (allowance given back too) buys the unit once the database is back.
        expect((await buy(saleId, token)).statusCode).toBe(202);
        expect((await adminView(saleId)).remaining).toBe(0);
      },
    );

    it('bad input is a 400 problem naming the field', async () => {
      const saleId = await createSale({ quantity: 1, perUserLimit: 1 });
      const token = await h.customerToken();
      const noKey = await fs.app.inject({
        method: 'POST',
        url: `/api/v1/flash-sales/${saleId}/purchases`,
        headers: { authorization: `Bearer ${token}` },
        payload: { quantity: 1, payment: { method: 'card', token: 't' } },
      });
      expect(noKey.statusCode).toBe(400);
      expect(noKey.body).toContain('idempotency-key');
      const zero = await buy(saleId, token, randomUUID(), 0);
      expect(zero.statusCode).toBe(400);
      expect(zero.body).toContain('quantity');
      const backwards = await fs.app.inject({
        method: 'POST',
        url: '/api/v1/admin/flash-sales',
        headers: { authorization: `Bearer ${admin}` },
        payload: {
          productId: randomUUID(),
          quantity: 1,
          priceCents: 1,
          startsAt: new Date(Date.now() + HOUR).toISOString(),
          endsAt: new Date().toISOString(),
          perUserLimit: 1,
        },
      });
      expect(backwards.statusCode).toBe(400);
      expect(backwards.body).toContain('endsAt');
    });
  });
}

/** Reading orders: a customer sees their own, an admin every order of the tenant; lists are keyset-paged. */
import { appError } from '@glassbox/kit';
import type { OrderRecord, OrderRepo } from '../adapters/order-repo.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import type { OrderStatus } from '../domain/order-status.js';

export interface Caller {
  tenantId: string;
  userId: string;
  admin: boolean;
}

export function readOrdersUseCases(orders: OrderRepo) {
  return {
    async get(caller: Caller, id: string): Promise<OrderRecord> {
      const order = await orders.get(caller.tenantId, id, caller.admin ? undefined : caller.userId);
      if (!order) throw appError('NOT_FOUND', `order ${id} was not found`);
      return order;
    },

    async list(
      caller: Caller,
      query: { limit: number; cursor?: string; status?: OrderStatus },
    ): Promise<{ orders: OrderRecord[]; nextCursor: string | null }> {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      if (query.cursor && !after) {
        throw appError('VALIDATION_FAILED', 'the cursor is not valid; use nextCursor of a previous page', {
          errors: [{ path: 'querystring/cursor', message: 'is not a cursor of this list' }],
        });
      }
      const page = await orders.list(caller.tenantId, {
        ...(caller.admin ? {} : { userId: caller.userId }),
        ...(query.status ? { status: query.status } : {}),
        ...(after ? { after } : {}),
        limit: query.limit,
      });
      const last = page.orders.at(-1);
      return {
        orders: page.orders,
        nextCursor: page.more && last ? encodeCursor({ createdAt: last.createdKey, id: last.id }) : null,
      };
    },
  };
}

export type ReadOrders = ReturnType<typeof readOrdersUseCases>;

/** Reading a user's own notifications: newest first, keyset-paged, scoped by the token's tenant and user. */
import { appError } from '@glassbox/kit';
import type { NotificationRecord, NotificationRepo } from '../adapters/notification-repo.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';

export function readNotificationsUseCase(repo: NotificationRepo) {
  return async function readNotifications(
    caller: { tenantId: string; userId: string },
    query: { limit: number; cursor?: string },
  ): Promise<{ items: NotificationRecord[]; nextCursor: string | null }> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw appError('VALIDATION_FAILED', 'the cursor is not valid; use nextCursor of a previous page', {
        errors: [{ path: 'querystring/cursor', message: 'is not a cursor of this list' }],
      });
    }
    const page = await repo.list(caller.tenantId, caller.userId, {
      ...(after ? { after } : {}),
      limit: query.limit,
    });
    const last = page.items.at(-1);
    return {
      items: page.items,
      nextCursor: page.more && last ? encodeCursor({ createdAt: last.createdKey, id: last.id }) : null,
    };
  };
}

export type ReadNotifications = ReturnType<typeof readNotificationsUseCase>;

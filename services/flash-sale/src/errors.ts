/** The flash-sale service's own error codes (the kit's shared ones come with `appError` too). */
import { defineErrorCodes } from '@glassbox/kit';

export const { appError } = defineErrorCodes({
  SOLD_OUT: { status: 409, title: 'The sale is sold out' },
  LIMIT_REACHED: { status: 409, title: 'The per-customer limit of the sale is reached' },
  NOT_ACTIVE: { status: 409, title: 'The sale is not active' },
  WAITING_ROOM: { status: 429, title: 'Too many buyers right now: please try again shortly' },
  /** Inventory's answer when a sale asks for more than is in stock. */
  OUT_OF_STOCK: { status: 409, title: 'Not enough stock' },
});

/** The inventory service's own error codes: the order service reads OUT_OF_STOCK from its answers. */
import { defineErrorCodes } from '@glassbox/kit';

export const { appError } = defineErrorCodes({
  OUT_OF_STOCK: { status: 409, title: 'Not enough stock' },
  ILLEGAL_TRANSITION: { status: 409, title: 'The state change is not allowed' },
});

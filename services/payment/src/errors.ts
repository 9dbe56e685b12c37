/** The payment service's own error codes: the order service reads PAYMENT_DECLINED from its answers. */
import { defineErrorCodes } from '@glassbox/kit';

export const { appError } = defineErrorCodes({
  PAYMENT_DECLINED: { status: 402, title: 'The payment was declined' },
  ILLEGAL_TRANSITION: { status: 409, title: 'The state change is not allowed' },
});

/** The order service's own error codes (the kit's shared ones come with `appError` too). */
import { defineErrorCodes } from '@glassbox/kit';

export const { appError } = defineErrorCodes({
  ILLEGAL_TRANSITION: { status: 409, title: 'The state change is not allowed' },
});

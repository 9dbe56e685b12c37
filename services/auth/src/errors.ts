/** The auth service's own error codes (the kit's shared ones come with `appError` too). */
import { defineErrorCodes } from '@glassbox/kit';

export const { appError } = defineErrorCodes({
  INVALID_CREDENTIALS: { status: 401, title: 'The credentials are not valid' },
});

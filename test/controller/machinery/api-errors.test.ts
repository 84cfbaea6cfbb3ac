import { ApiException } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  apiErrorCode,
  apiErrorStatus,
  describeApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isTooManyRequests,
  retryAfterMs,
} from '../../../src/controller/machinery/api-errors.ts';

const status = (code: number, reason: string, message = `${reason} happened`) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
});

describe('api-errors', () => {
  const conflictString = new ApiException(409, 'HTTP-Code: 409', JSON.stringify(status(409, 'Conflict')), {});
  const alreadyExists = new ApiException(
    409,
    'HTTP-Code: 409',
    JSON.stringify(status(409, 'AlreadyExists')),
    {},
  );
  const notFoundObject = new ApiException(404, 'HTTP-Code: 404', status(404, 'NotFound'), {});
  const watchGone = Object.assign(new Error('Gone'), { statusCode: 410 });

  it('reads the code from ApiException and from watch errors', () => {
    expect(apiErrorCode(conflictString)).to.equal(409);
    expect(apiErrorCode(watchGone)).to.equal(410);
    expect(apiErrorCode(new Error('ECONNREFUSED'))).to.equal(undefined);
    expect(apiErrorCode('nope')).to.equal(undefined);
  });

  it('parses the Status whether the body is a JSON string or an object', () => {
    expect(apiErrorStatus(conflictString)).to.deep.include({ code: 409, reason: 'Conflict' });
    expect(apiErrorStatus(notFoundObject)).to.deep.include({ code: 404, reason: 'NotFound' });
    expect(apiErrorStatus(new ApiException(500, 'x', 'not json', {}))).to.equal(undefined);
    expect(apiErrorStatus(new ApiException(500, 'x', { kind: 'Pod' }, {}))).to.equal(undefined);
  });

  it('classifies errors like client-go apierrors', () => {
    const table: [unknown, Record<string, boolean>][] = [
      [conflictString, { conflict: true, exists: false, notFound: false }],
      [alreadyExists, { conflict: false, exists: true, notFound: false }],
      [notFoundObject, { conflict: false, exists: false, notFound: true }],
      [new ApiException(409, 'x', '', {}), { conflict: true, exists: false, notFound: false }],
    ];
    for (const [error, expected] of table) {
      expect({
        conflict: isConflict(error),
        exists: isAlreadyExists(error),
        notFound: isNotFound(error),
      }).to.deep.equal(expected);
    }
    expect(isGone(watchGone)).to.equal(true);
    expect(isTooManyRequests(new ApiException(429, 'x', '', {}))).to.equal(true);
  });

  it('describes errors in one line', () => {
    expect(describeApiError(conflictString)).to.equal('409 Conflict: Conflict happened');
    expect(describeApiError(watchGone)).to.equal('410 Gone');
    expect(describeApiError(new Error('socket hang up'))).to.equal('socket hang up');
  });

  it('reads Retry-After as seconds or an HTTP date, from a header value or an error', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('3')).to.equal(3000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now)).to.equal(5000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:05 GMT', now)).to.equal(0);
    expect(retryAfterMs(new ApiException(429, 'x', '', { 'Retry-After': '2' }))).to.equal(2000);
    expect(retryAfterMs({ headers: {} })).to.equal(undefined);
    expect(retryAfterMs('soon')).to.equal(undefined);
  });
});

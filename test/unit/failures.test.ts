import { describe, expect, it } from 'vitest';
import {
  FailureType,
  failureReason,
  isRetryableStatus,
  NON_RETRYABLE_FAILURES,
  parseRetryAfter,
} from '../../shared/failures';

describe('isRetryableStatus', () => {
  it.each([500, 502, 503, 504, 408, 429])('retries a %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422])('does not retry a %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('NON_RETRYABLE_FAILURES', () => {
  it('never retries client errors, invalid responses, reported failures, rejected requests or a spent rate limit, but retries server and network errors', () => {
    expect(NON_RETRYABLE_FAILURES).toEqual(
      expect.arrayContaining([
        FailureType.httpClientError,
        FailureType.invalidResponse,
        FailureType.apiReportedFailure,
        FailureType.requestRejected,
        FailureType.rateLimited,
      ]),
    );
    expect(NON_RETRYABLE_FAILURES).not.toContain(FailureType.httpServerError);
    expect(NON_RETRYABLE_FAILURES).not.toContain(FailureType.network);
  });
});

describe('failureReason', () => {
  it.each([
    [FailureType.httpClientError, 'http_client_error'],
    [FailureType.httpServerError, 'http_server_error'],
    [FailureType.network, 'network_error'],
    [FailureType.invalidResponse, 'invalid_response'],
    [FailureType.apiReportedFailure, 'api_reported_failure'],
    [FailureType.requestRejected, 'request_rejected'],
    [FailureType.rateLimited, 'rate_limited'],
    ['Timeout', 'timeout'],
  ])('tells operators a %s failure as "%s"', (type, reason) => {
    expect(failureReason(type)).toBe(reason);
  });

  it('gives every failure type a reason of its own', () => {
    const reasons = Object.values(FailureType).map(failureReason);
    expect(new Set(reasons).size).toBe(reasons.length);
    expect(reasons).not.toContain('error');
  });

  it('calls an unknown failure type plain "error"', () => {
    expect(failureReason('SomethingElse')).toBe('error');
    expect(failureReason('')).toBe('error');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');

  it('reads a delay in seconds', () => {
    expect(parseRetryAfter('5', now)).toBe(5_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until then', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:00:30 GMT', now)).toBe(30_000);
  });

  it('gives no delay for an HTTP date in the past', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('caps the delay', () => {
    expect(parseRetryAfter('3600', now)).toBe(60_000);
    expect(parseRetryAfter('3600', now, 10_000)).toBe(10_000);
    expect(parseRetryAfter('Thu, 02 Jan 2025 12:00:00 GMT', now)).toBe(60_000);
  });

  it('gives undefined when the header is absent or garbage', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it.each(['1.5', '-1', 'later 2'])(
    'gives undefined for "%s", which is neither delay-seconds nor an HTTP date',
    (header) => {
      expect(parseRetryAfter(header, now)).toBeUndefined();
    },
  );
});

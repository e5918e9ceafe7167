import { describe, expect, it } from 'vitest';
import {
  interpretResponse,
  isFinalFailure,
  rateLimited,
  requestRejected,
  sendFailure,
  UPSTREAM_MESSAGE_CHARS,
  type UpstreamResponse,
} from '../../shared/actions/interpret-call';
import type { StepDefinition } from '../../shared/actions/step-schema';
import { FailureType } from '../../shared/failures';

const SECRET = 'sk_live_9f8e7d6c5b4a3210';
const where = 'GET https://api.acme.test/orders/12345';
const nowMs = Date.parse('2025-01-01T12:00:00Z');
const json: StepDefinition['response'] = {
  fields: { status: 'data.order.status' },
  responseType: 'json',
  acceptStatus: [],
};

function answer(status: number, body: unknown, headers: UpstreamResponse['headers'] = {}): UpstreamResponse {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

const read = (response: UpstreamResponse, expected = json) =>
  interpretResponse(response, expected, { where, secretForms: [SECRET], nowMs });

describe('interpretResponse', () => {
  it('extracts the mapped fields, the message and the attributes of a 2xx JSON answer', () => {
    const result = read(
      answer(200, { data: { order: { status: 'shipped' } }, message: 'On its way', attributes: { tier: 'gold' } }),
    );
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      fields: { status: 'shipped' },
      message: 'On its way',
      attributes: { tier: 'gold' },
    });
  });

  it('masks a secret the API echoes before anything reads the body', () => {
    const result = read(answer(200, { data: { order: { status: `token ${SECRET}` } } }));
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(result.loggedBody).not.toContain(SECRET);
  });

  it('calls a 503 a retryable server error, honouring Retry-After, with what the API said', () => {
    const result = read(answer(503, { message: 'Down for maintenance' }, { 'retry-after': '7' }));
    expect(result).toEqual({
      ok: false,
      failure: {
        type: FailureType.httpServerError,
        message: `${where} answered 503`,
        retryable: true,
        retryAfterMs: 7000,
        said: 'Down for maintenance',
      },
      loggedBody: '{"message":"Down for maintenance"}',
    });
  });

  it('calls a 404 a client error that retrying cannot fix, unless the step accepts that status', () => {
    const missing = read(answer(404, { message: 'No such order' }));
    expect(missing.ok ? null : missing.failure).toMatchObject({
      type: FailureType.httpClientError,
      retryable: false,
      said: 'No such order',
    });
    expect(
      read(answer(404, { data: { order: { status: 'unknown' } } }), { ...json, acceptStatus: [404] }),
    ).toMatchObject({ ok: true, status: 404, fields: { status: 'unknown' } });
  });

  it('clips what the API said to what a visitor may be shown', () => {
    const result = read(answer(400, { message: 'x'.repeat(2000) }));
    expect(result.ok ? null : result.failure.said).toHaveLength(UPSTREAM_MESSAGE_CHARS);
  });

  it('calls a body that is not JSON an invalid response, naming its content type', () => {
    const result = read(answer(200, '<html>oops</html>', { 'content-type': 'text/html' }));
    expect(result.ok ? null : result.failure).toEqual({
      type: FailureType.invalidResponse,
      message: `${where} answered 200 with a body that is not JSON (content-type: text/html)`,
      retryable: false,
      said: null,
    });
  });

  it('reads a text step as text, and an empty JSON body as null', () => {
    const text = read(answer(200, 'plain words'), { fields: {}, responseType: 'text', acceptStatus: [] });
    expect(text).toMatchObject({ ok: true, fields: {}, json: null, loggedBody: 'plain words' });
    expect(read(answer(204, ''))).toMatchObject({ ok: true, fields: {}, json: null });
  });

  it('calls `success: false` a failure the API reported, with its message', () => {
    const result = read(answer(200, { success: false, message: 'Card declined' }));
    expect(result.ok ? null : result.failure).toEqual({
      type: FailureType.apiReportedFailure,
      message: `${where} reported success: false (Card declined)`,
      retryable: false,
      said: 'Card declined',
    });
  });
});

describe('failures before and while sending', () => {
  it('refuses requests that cannot be built, and spent budgets, for good', () => {
    expect(requestRejected('bad header')).toEqual({
      type: FailureType.requestRejected,
      message: 'bad header',
      retryable: false,
      said: null,
    });
    expect(rateLimited(where, 'conversation').message).toBe(
      `${where} not called: this conversation's calls-per-minute limit is reached`,
    );
    expect(rateLimited(where, 'chatbot')).toMatchObject({ type: FailureType.rateLimited, retryable: false });
  });

  it.each([
    ['blocked_destination', FailureType.blockedDestination, false],
    ['bad_scheme', FailureType.blockedDestination, false],
    ['too_many_redirects', FailureType.blockedDestination, false],
    ['unsafe_redirect', FailureType.redirectRefused, false],
    ['response_too_large', FailureType.invalidResponse, false],
    ['timeout', FailureType.timeout, true],
    ['network', FailureType.network, true],
  ] as const)('calls a %s send error %s (retryable: %s)', (code, type, retryable) => {
    expect(sendFailure(code, 'm')).toEqual({ type, message: 'm', retryable, said: null });
  });
});

describe('isFinalFailure', () => {
  const serverError = { type: FailureType.httpServerError, message: 'm', retryable: true, said: null };

  it('returns a failure retrying cannot fix at once, and a retryable one on the last attempt', () => {
    expect(isFinalFailure(requestRejected('m'), 1, 3)).toBe(true);
    expect(isFinalFailure(serverError, 2, 3)).toBe(false);
    expect(isFinalFailure(serverError, 3, 3)).toBe(true);
  });

  it('leaves a retryable failure to Temporal when the policy is unknown', () => {
    expect(isFinalFailure(serverError, 5, undefined)).toBe(false);
  });
});

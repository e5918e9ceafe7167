import { describe, expect, it } from 'vitest';
import { callDetail, failedResult, settleStep, skippedReport } from '../../shared/actions/step-result';

describe('settleStep', () => {
  it('records a successful call as the interpreter sees it and as a test run reports it', () => {
    const { outcome, report } = settleStep('lookup', 'step', {
      ok: true,
      status: 200,
      fields: { status: 'shipped' },
      message: null,
      attributes: null,
      structureChanged: true,
      detail: null,
    });
    expect(outcome).toEqual({ ok: true, status: 200, fields: { status: 'shipped' }, message: null, attributes: null });
    expect(report).toEqual({
      step: 'lookup',
      kind: 'step',
      outcome: 'ok',
      failure: null,
      message: null,
      fields: { status: 'shipped' },
      structureChanged: true,
      detail: null,
    });
  });

  it('names a failed call by its reason and keeps what the API said and the test detail', () => {
    const detail = { request: { method: 'GET', url: 'https://x.test/', headers: {}, body: null }, response: null };
    const { outcome, report } = settleStep('lookup', 'compensate', {
      ok: false,
      type: 'HttpClientError',
      message: 'GET https://x.test/ answered 404',
      said: 'No such order',
      detail,
    });
    expect(outcome).toEqual({
      ok: false,
      failure: 'http_client_error',
      message: 'GET https://x.test/ answered 404',
      said: 'No such order',
    });
    expect(report).toMatchObject({ kind: 'compensate', outcome: 'failed', failure: 'http_client_error', detail });
  });

  it('reports a skipped step with nothing sent', () => {
    expect(skippedReport('notify')).toMatchObject({ step: 'notify', outcome: 'skipped', detail: null });
  });
});

describe('failedResult', () => {
  it('reads the details older workers threw with a failure: the call detail, then what the API said', () => {
    const detail = { request: { method: 'GET', url: 'https://x.test/', headers: {}, body: null }, response: null };
    expect(failedResult('HttpServerError', 'm', [detail, { said: 'Busy' }])).toEqual({
      ok: false,
      type: 'HttpServerError',
      message: 'm',
      said: 'Busy',
      detail,
    });
    expect(failedResult('Timeout', 'm', undefined)).toEqual({
      ok: false,
      type: 'Timeout',
      message: 'm',
      said: null,
      detail: null,
    });
  });
});

describe('callDetail', () => {
  it('masks credential headers by name and secrets wherever they appear', () => {
    const redact = (text: string) => text.replaceAll('s3cr3t', '***');
    const detail = callDetail(
      {
        method: 'POST',
        url: 'https://x.test/?key=s3cr3t',
        requestHeaders: { authorization: 'Bearer abc', accept: 'application/json' },
        requestBody: '{"token":"s3cr3t"}',
        status: 200,
        responseBody: 'echo s3cr3t',
      },
      redact,
    );
    expect(detail).toEqual({
      request: {
        method: 'POST',
        url: 'https://x.test/?key=***',
        headers: { authorization: '***', accept: 'application/json' },
        body: '{"token":"***"}',
      },
      response: { status: 200, body: 'echo ***' },
    });
  });
});

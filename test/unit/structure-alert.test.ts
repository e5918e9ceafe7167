import { describe, expect, it } from 'vitest';
import { failureAlert, type RunEnvironment } from '../../shared/actions/interpreter';
import { defineAction, failedWith, orderStatusInput, playRun, succeeded } from './fixtures';

const env: RunEnvironment = {
  chatbotId: 'acme',
  conversationId: 'c1',
  visitor: {},
  attributes: {},
  userMessage: 'where is my order',
  trigger: 'intent',
  now: '2026-11-29T08:00:00.000Z',
};

const alerting = defineAction({ ...orderStatusInput(), alerts: { emails: ['ops@acme.test'], webhook: null } });

describe('alerts for a changed response structure', () => {
  it('alerts for a successful run whose response changed structure, naming the mapped fields that came back empty', () => {
    const { progress } = playRun(alerting, { lookup: succeeded({ status: 'shipped', eta: null }) });
    expect(failureAlert(alerting, progress, env, ['lookup'])).toEqual({
      alert: {
        kind: 'structure_changed',
        chatbotId: 'acme',
        action: 'check_order_status',
        step: 'lookup',
        failure: 'structure_changed',
        message:
          'The response of step lookup has a different structure from the last one seen; the call succeeded, but the reply may be missing fields. Fields that came back empty: eta (data.order.eta).',
        conversationId: 'c1',
        at: '2026-11-29T08:00:00.000Z',
        structureChanged: ['lookup'],
        emptyFields: ['eta (data.order.eta)'],
      },
      settings: { emails: ['ops@acme.test'], webhook: null },
    });
  });

  it('sends nothing for a successful run whose structure did not change, or for an action without recipients', () => {
    const { progress } = playRun(alerting, { lookup: succeeded({ status: 'shipped', eta: '2026-11-24' }) });
    expect(failureAlert(alerting, progress, env, [])).toBeNull();
    const silent = defineAction(orderStatusInput());
    expect(failureAlert(silent, progress, env, ['lookup'])).toBeNull();
  });

  it('keeps a failure a failure alert, naming the steps whose structure changed in the run', () => {
    const { progress } = playRun(alerting, { lookup: failedWith('http_server_error', 'GET … answered 503') });
    expect(failureAlert(alerting, progress, env, ['lookup'])?.alert).toEqual({
      chatbotId: 'acme',
      action: 'check_order_status',
      step: 'lookup',
      failure: 'http_server_error',
      message: 'GET … answered 503',
      conversationId: 'c1',
      at: '2026-11-29T08:00:00.000Z',
      structureChanged: ['lookup'],
    });
    expect(failureAlert(alerting, progress, env)?.alert).not.toHaveProperty('structureChanged');
  });
});

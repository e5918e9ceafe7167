import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';
import { startSmtpServer } from '../support/smtp';

/** Failure alerts from real conversations: a real SMTP server receives the mail, a real server the webhook. */
describe('failure alerts from conversations', () => {
  let parley: Parley;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let api: FakeApi;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    parley = await startParley({ smtpUrl: smtp.url });
    api = await startFakeApi((request) =>
      request.path === '/hook' ? { status: 204 } : { status: 500, body: { error: 'db down' } },
    );
  });
  afterAll(async () => {
    await parley.close();
    await Promise.all([smtp.close(), api.close()]);
  });

  it('mails once for three failures within an hour, and again after the throttle is reset', async () => {
    const action: ActionDefinitionInput = {
      name: 'lookup_invoice',
      description: 'Look up an invoice',
      examples: ['look up my invoice'],
      steps: [
        {
          id: 'invoice',
          request: { method: 'GET', url: `${api.url}/invoices/latest` },
          retry: { maxAttempts: 1 },
          onError: { then: 'stop', reply: 'The invoice system is down.' },
        },
      ],
      alerts: { emails: ['ops@example.com', 'oncall@example.com'], webhook: `${api.url}/hook` },
    };
    const bot = await parley.createChatbot([action]);
    const chat = await parley.startConversation(bot);
    for (let failure = 1; failure <= 3; failure += 1) {
      expect(await chat.say('look up my invoice')).toEqual(['The invoice system is down.']);
    }
    // An alert goes out after the visitor has the reply and before the next turn: one more turn syncs.
    await chat.say('thanks');
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(smtp.messages[0]?.headers).toMatch(/Subject: .*lookup_invoice/);
    expect(smtp.messages[0]?.body).toContain('http_server_error');
    expect(api.requests.filter((request) => request.path === '/hook')).toHaveLength(1);

    const reset = await parley.admin('post', `/v1/chatbots/${bot}/actions/lookup_invoice/alerts/reset`).expect(200);
    expect(reset.body).toEqual({ reset: true, wasThrottled: true });
    expect(await chat.say('look up my invoice')).toEqual(['The invoice system is down.']);
    await chat.say('thanks');
    expect(smtp.messages).toHaveLength(2);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** Save-time help through the admin API: warnings for what cannot take effect here, clear refusals, GraphQL. */
describe('validation that helps', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => ({
      status: 200,
      body: { data: { viewer: { login: 'ada' } }, echo: request.body },
    }));
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const base = (extra: Partial<ActionDefinitionInput> = {}): ActionDefinitionInput => ({
    name: 'probe',
    description: 'Probe the API',
    examples: ['probe the api'],
    steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}/probe` } }],
    ...extra,
  });

  it('warns about settings that save but cannot take effect here, and stops once they can', async () => {
    const bot = await parley.createChatbot([]);
    const definition = base({
      channels: ['email'],
      reply: { template: 'ok', instructions: 'Be brief.' },
      alerts: { emails: 'ops@acme.test, oncall@acme.test' as unknown as string[] },
      steps: [
        {
          id: 'call',
          request: { method: 'GET', url: `${api.url}/probe`, auth: { type: 'bearer', secret: 'probe_token' } },
        },
      ],
    });
    const saved = await parley.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(definition).expect(201);
    expect(saved.body.definition.alerts.emails).toEqual(['ops@acme.test', 'oncall@acme.test']);
    expect(saved.body.warnings).toEqual([
      'channels: this Parley has no SMTP server (PARLEY_SMTP_URL), so it takes no email, and an action offered only by email is never offered',
      'reply.instructions: no LLM is configured (PARLEY_LLM_*), so they are ignored and the reply is said as written',
      'alerts.emails: no SMTP server is configured (PARLEY_SMTP_URL), so alert emails are not sent',
      'steps[0].request: secret "probe_token" is not set, so the call fails until it is saved (PUT …/secrets/probe_token)',
    ]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/probe_token`).send({ value: 'abc' }).expect(201);
    const again = await parley
      .admin('put', `/v1/chatbots/${bot}/actions/probe`)
      .send({ ...definition, channels: ['chat'], reply: { template: 'ok' }, alerts: { emails: [] } })
      .expect(200);
    expect(again.body.warnings).toEqual([]);
  });

  it("names a response field written as a path with the schema's own message", async () => {
    const bot = await parley.createChatbot([]);
    const refused = await parley.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(
      base({
        steps: [
          {
            id: 'call',
            request: { method: 'GET', url: `${api.url}/probe` },
            response: { fields: { 'data.order.status': 'data.order.status' } },
          },
        ],
      }),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe(
      'steps[0].response.fields.data.order.status: "data.order.status" is not a field name: name each field ' +
        '(letters, digits, _) and put the response path on the right, e.g. {"status": "data.order.status"}',
    );
  });

  it('sends valid GraphQL as written: single braces are placeholders only for names the action knows', async () => {
    const bot = await parley.createChatbot([
      base({
        name: 'whoami',
        examples: ['who am i'],
        parameters: [{ name: 'org', description: 'Organisation', required: false, default: 'acme' }],
        steps: [
          {
            id: 'call',
            request: {
              method: 'POST',
              url: `${api.url}/graphql`,
              body: { query: 'query { viewer {login} org(name: "{org}") { id } }', literal: '{login}' },
            },
            response: { fields: { login: 'data.viewer.login' } },
          },
        ],
        reply: { template: 'You are {{steps.call.login}}.' },
      }),
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('who am i')).toEqual(['You are ada.']);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '{}')).toEqual({
      query: 'query { viewer {login} org(name: "acme") { id } }',
      literal: '{login}',
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startParley, type Parley } from '../support/parley';

const probe = (url: string, extra: Partial<ActionDefinitionInput> = {}): Omit<ActionDefinitionInput, 'name'> => ({
  description: 'Probe the service',
  examples: ['probe the service'],
  steps: [{ id: 'call', request: { method: 'GET', url } }],
  ...extra,
});

/** What saving checks, through the admin API on the real stack: values that could never work are refused or flagged. */
describe('save-time checks', () => {
  // Configured like production: loopback closed, no global allowlist.
  let production: Parley;
  // Configured like `npm start`: loopback open for the demo API.
  let development: Parley;

  beforeAll(async () => {
    [production, development] = await Promise.all([startParley({ allowLoopback: false }), startParley()]);
  });
  afterAll(async () => {
    await Promise.all([production.close(), development.close()]);
  });

  it('refuses an idle timeout no conversation could live with, on create and on change, and retry waits Temporal refuses', async () => {
    for (const [minutes, message] of [
      [1e-9, 'idleTimeoutMinutes: must be at least 1 minute'],
      [0.5, 'idleTimeoutMinutes: must be at least 1 minute'],
      [10081, 'idleTimeoutMinutes: must be at most 10080 minutes (a week)'],
    ] as const) {
      const refused = await production
        .admin('post', '/v1/chatbots')
        .send({ id: 'fleeting', name: 'Fleeting', idleTimeoutMinutes: minutes });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(message);
    }
    await production.admin('get', '/v1/chatbots/fleeting').expect(404);

    const bot = await production.createChatbot([], { idleTimeoutMinutes: 1, greeting: 'Hi!' });
    const patched = await production.admin('patch', `/v1/chatbots/${bot}`).send({ idleTimeoutMinutes: 1e-9 });
    expect(patched.status).toBe(400);
    expect((await production.admin('get', `/v1/chatbots/${bot}`).expect(200)).body.idleTimeoutMinutes).toBe(1);
    // A retry policy Temporal could not schedule would stall every conversation that runs the step.
    const retry = await production.admin('put', `/v1/chatbots/${bot}/actions/probe`).send({
      ...probe('https://api.example.com/'),
      steps: [
        {
          id: 'call',
          request: { method: 'GET', url: 'https://api.example.com/' },
          retry: { initialIntervalMs: 30_000, maxIntervalMs: 1_000 },
        },
      ],
    });
    expect(retry.status).toBe(400);
    expect(retry.body.error.message).toBe('steps[0].retry.maxIntervalMs: must be at least initialIntervalMs (30000)');
    // The shortest timeout still leaves the visitor time to answer.
    const chat = await production.startConversation(bot);
    expect(await chat.say('hello')).toEqual(['Hi! How can I help you today?']);
  });

  it('refuses with 400 destinations Parley can never call, storing nothing', async () => {
    const bot = await production.createChatbot([]);
    const cases: [Omit<ActionDefinitionInput, 'name'>, string][] = [
      [
        probe('http://169.254.169.254/latest/meta-data/'),
        'steps[0].request.url: 169.254.169.254 is a cloud metadata service, which Parley never calls',
      ],
      [
        probe('http://metadata.google.internal/computeMetadata/v1/'),
        'steps[0].request.url: metadata.google.internal is a cloud metadata service, which Parley never calls',
      ],
      [
        probe('http://0.0.0.0:8080/admin'),
        'steps[0].request.url: 0.0.0.0 is the unspecified address (0.0.0.0 or ::), which Parley never calls',
      ],
      [
        probe('http://[::]/admin'),
        'steps[0].request.url: [::] is the unspecified address (0.0.0.0 or ::), which Parley never calls',
      ],
      [
        probe('https://api.example.com/', { alerts: { webhook: 'file:///etc/passwd' } }),
        'alerts.webhook: must start with http:// or https:// (not file://)',
      ],
      [
        probe('https://api.example.com/', { alerts: { webhook: 'http://169.254.169.254/hook' } }),
        'alerts.webhook: 169.254.169.254 is a cloud metadata service, which Parley never calls',
      ],
    ];
    for (const [definition, message] of cases) {
      const refused = await production.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(definition);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toBe(message);
    }
    await production.admin('get', `/v1/chatbots/${bot}/actions/probe`).expect(404);

    for (const entry of ['127.0.0.1', 'localhost', '169.254.169.254', '0.0.0.0']) {
      const created = await production
        .admin('post', '/v1/chatbots')
        .send({ id: 'allow', name: 'Allow', egressAllowlist: ['10.0.0.0/8', entry] });
      expect(created.status).toBe(400);
      expect(created.body.error.message).toMatch(/^egressAllowlist\[1\]: ".+" is (loopback|a cloud|the unspecified)/);
      const patched = await production.admin('patch', `/v1/chatbots/${bot}`).send({ egressAllowlist: [entry] });
      expect(patched.status).toBe(400);
    }
    await production.admin('get', '/v1/chatbots/allow').expect(404);
    expect((await production.admin('get', `/v1/chatbots/${bot}`).expect(200)).body.egressAllowlist).toEqual([]);
  });

  it('saves what the current policy blocks but configuration could open, with warnings saying so', async () => {
    const bot = await production.createChatbot([]);
    const definition = probe('http://127.0.0.1:9/orders', {
      steps: [
        { id: 'local', request: { method: 'GET', url: 'http://127.0.0.1:9/orders' } },
        { id: 'crm', request: { method: 'POST', url: 'http://10.20.30.40/leads', body: {} } },
      ],
      alerts: { webhook: 'http://192.168.1.50/alerts' },
    });
    const saved = await production.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(definition);
    expect(saved.status).toBe(201);
    expect(saved.body.warnings).toEqual([
      'steps[0].request.url: 127.0.0.1 is a loopback address (this machine), which this Parley does not call: only ' +
        'PARLEY_ALLOW_LOOPBACK=true opens it, and never in production; calls there will fail',
      "steps[1].request.url: 10.20.30.40 is a private address, which this Parley does not call unless the chatbot's " +
        'egressAllowlist or PARLEY_EGRESS_ALLOWLIST names it; calls there will fail',
      "alerts.webhook: 192.168.1.50 is a private address, which this Parley does not call unless the chatbot's " +
        'egressAllowlist or PARLEY_EGRESS_ALLOWLIST names it; calls there will fail',
    ]);

    // Opening the private ranges for the chatbot leaves only the loopback warning.
    const patched = await production
      .admin('patch', `/v1/chatbots/${bot}`)
      .send({ egressAllowlist: ['10.0.0.0/8', '192.168.1.50', '8.8.8.8'] })
      .expect(200);
    expect(patched.body.warnings).toEqual([
      'egressAllowlist[2]: "8.8.8.8" is a public address, which Parley calls anyway: the entry changes nothing',
    ]);
    const again = await production.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(definition).expect(200);
    expect(again.body.warnings).toEqual([
      expect.stringMatching(/^steps\[0\]\.request\.url: 127\.0\.0\.1 is a loopback/),
    ]);

    // Where loopback is open (npm start), the same definition saves without a word.
    const devBot = await development.createChatbot([], { egressAllowlist: ['10.0.0.0/8', '192.168.0.0/16'] });
    const dev = await development.admin('put', `/v1/chatbots/${devBot}/actions/probe`).send(definition).expect(201);
    expect(dev.body.warnings).toEqual([]);
    const plain = await development.admin('post', '/v1/chatbots').send({ name: 'Plain' }).expect(201);
    expect(plain.body.warnings).toEqual([]);
  });
});

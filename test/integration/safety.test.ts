import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Db } from 'mongodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

const SENTINEL = 'sk-SENTINEL-7c1e9d2b4a';
const forms = (value: string) => [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)];

/** Safety through the whole path: secrets, egress, signing, bindings — on real servers. */
describe('safety', () => {
  let parley: Parley;
  const logLines: string[] = [];
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley({ logLines });
    api = await startFakeApi((request) => {
      if (request.path.startsWith('/fail')) return { status: 500, body: { error: `upstream says ${SENTINEL}?` } };
      return { status: 200, body: { data: { ok: true } } };
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('keeps a sentinel secret and its base64 form out of histories, logs, responses and the database', async () => {
    const bot = await parley.createChatbot([]);
    for (const name of ['bearer', 'basic', 'key']) {
      const response = await parley
        .admin('put', `/v1/chatbots/${bot}/secrets/${name}`)
        .send({ value: SENTINEL })
        .expect(201);
      expect(JSON.stringify(response.body)).not.toContain(SENTINEL);
    }
    const action: ActionDefinitionInput = {
      name: 'probe',
      description: 'Probe the service',
      examples: ['probe the service'],
      steps: [
        { id: 'bearer', request: { method: 'GET', url: `${api.url}/ok`, auth: { type: 'bearer', secret: 'bearer' } } },
        {
          id: 'basic',
          request: { method: 'POST', url: `${api.url}/ok`, auth: { type: 'basic', username: 'bot', secret: 'basic' } },
        },
        {
          id: 'query',
          request: {
            method: 'GET',
            url: `${api.url}/ok`,
            auth: { type: 'api_key', in: 'query', name: 'key', secret: 'key' },
          },
        },
        {
          id: 'templated',
          request: {
            method: 'POST',
            url: `${api.url}/fail`,
            headers: { 'X-Key': '{{secrets.key}}' },
            body: { k: '{{secrets.key}}' },
          },
          retry: { maxAttempts: 2, initialIntervalMs: 20, backoffCoefficient: 1 },
          onError: { then: 'stop', reply: 'The probe failed.' },
        },
      ],
    };
    await parley.admin('put', `/v1/chatbots/${bot}/actions/probe`).send(action).expect(201);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('probe the service')).toEqual(['The probe failed.']);
    expect(api.requests.filter((request) => request.path.includes('key=' + SENTINEL))).toHaveLength(1);

    const tested = await parley.admin('post', `/v1/chatbots/${bot}/actions/probe/test`).send({}).expect(200);
    const logs = await parley.admin('get', `/v1/chatbots/${bot}/actions/probe/logs?limit=50`).expect(200);
    const secrets = await parley.admin('get', `/v1/chatbots/${bot}/secrets`).expect(200);
    const histories = [chat.workflowId, ...(await listTestWorkflows(bot))].map((id) => parley.historyText(id));
    const everything = [
      JSON.stringify(await chat.transcript()),
      JSON.stringify(tested.body),
      JSON.stringify(logs.body),
      JSON.stringify(secrets.body),
      ...(await Promise.all(histories)),
      logLines.join('\n'),
      JSON.stringify(await dumpDatabase(parley.db)),
    ];
    for (const text of everything) for (const form of forms(SENTINEL)) expect(text).not.toContain(form);
    const masked = `••••••${SENTINEL.slice(-4)}`;
    expect(secrets.body.secrets.map((secret: { masked: string }) => secret.masked)).toEqual([masked, masked, masked]);
  });

  async function listTestWorkflows(bot: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const execution of parley.client.workflow.list({
      query: `WorkflowId STARTS_WITH "action-test:${bot}:"`,
    })) {
      ids.push(execution.workflowId);
    }
    return ids;
  }

  it('sends a secret only to the hosts it is bound to, whatever the template renders', async () => {
    const bot = await parley.createChatbot([]);
    await parley
      .admin('put', `/v1/chatbots/${bot}/secrets/crm`)
      .send({ value: 'crm-token-123456', hosts: ['crm.acme.test'] })
      .expect(201);
    await parley
      .admin('put', `/v1/chatbots/${bot}/actions/sync`)
      .send({
        description: 'Sync the CRM',
        examples: ['sync the crm'],
        steps: [
          {
            id: 'sync',
            request: { method: 'GET', url: `${api.url}/crm`, auth: { type: 'bearer', secret: 'crm' } },
            onError: { then: 'stop', reply: 'Not allowed.' },
          },
        ],
      })
      .expect(201);
    const before = api.requests.length;
    const chat = await parley.startConversation(bot);
    expect(await chat.say('sync the crm')).toEqual(['Not allowed.']);
    expect(api.requests.length).toBe(before);
    const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/sync/logs`).expect(200)).body.logs;
    expect(logs[0].error).toMatchObject({
      type: 'RequestRejected',
      message: expect.stringContaining('may not be sent to 127.0.0.1'),
    });
  });

  it('signs requests per Standard Webhooks so the reference library verifies them, and rejects tampering and replays', async () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/webhook_signing`).send({ value: secret }).expect(201);
    await parley
      .admin('put', `/v1/chatbots/${bot}/actions/notify`)
      .send({
        description: 'Notify the shop',
        examples: ['notify the shop'],
        steps: [
          {
            id: 'notify',
            request: {
              method: 'POST',
              url: `${api.url}/hook`,
              sign: true,
              body: { event: 'visitor.asked', text: '{{user_message}}' },
            },
          },
        ],
        reply: { template: 'Notified.' },
      })
      .expect(201);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('notify the shop')).toEqual(['Notified.']);
    const received = api.requests.at(-1);
    if (!received) throw new Error('no request');
    const headers = {
      'webhook-id': String(received.headers['webhook-id']),
      'webhook-timestamp': String(received.headers['webhook-timestamp']),
      'webhook-signature': String(received.headers['webhook-signature']),
    };
    const webhook = new Webhook(secret);
    expect(webhook.verify(received.body, headers)).toEqual({ event: 'visitor.asked', text: 'notify the shop' });
    expect(headers['webhook-id']).toBe(received.headers['idempotency-key']);
    expect(() => webhook.verify(received.body.replace('visitor.asked', 'visitor.paid'), headers)).toThrow();
    const stale = { ...headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600) };
    expect(() => webhook.verify(received.body, stale)).toThrow();
  });

  it('refuses loopback destinations unless configured, with zero bytes reaching the target', async () => {
    const strict = await startParley({ allowLoopback: false });
    try {
      const target = await startFakeApi(() => ({ status: 200, body: { message: 'should not happen' } }));
      const bot = await strict.createChatbot([
        {
          name: 'internal',
          description: 'Call an internal service',
          examples: ['call the internal service'],
          steps: [
            {
              id: 'call',
              request: { method: 'GET', url: `${target.url}/admin` },
              onError: { then: 'stop', reply: 'That destination is not allowed.' },
            },
          ],
        },
      ]);
      const chat = await strict.startConversation(bot);
      expect(await chat.say('call the internal service')).toEqual(['That destination is not allowed.']);
      expect(target.requests).toHaveLength(0);
      const logs = (await strict.admin('get', `/v1/chatbots/${bot}/actions/internal/logs`).expect(200)).body.logs;
      expect(logs).toHaveLength(1);
      expect(logs[0].error.type).toBe('BlockedDestination');
      await target.close();
    } finally {
      await strict.close();
    }
  });

  it('sends operator URLs only through the egress module: no other Parley file calls undici or fetch', () => {
    const root = join(__dirname, '..', '..');
    const allowed = new Set([
      'infrastructure/egress.ts',
      // The LLM endpoint is Parley's own configuration (PARLEY_LLM_BASE_URL), never an operator URL.
      'activities/llm.ts',
      'infrastructure/llm-dispatcher.ts',
      // Live delivery pushes to Parley's own API processes (PARLEY_API_INTERNAL_URL), never an operator URL.
      'infrastructure/live-events.ts',
    ]);
    const offenders: string[] = [];
    for (const dir of ['activities', 'infrastructure', 'api', 'shared', 'workflows', 'worker']) {
      for (const file of sourceFiles(join(root, dir))) {
        const path = relative(root, file);
        const text = readFileSync(file, 'utf8');
        const callsOut = /from 'undici'/.test(text.replace(/import type [^;]+;/g, '')) || /\bfetch\(/.test(text);
        if (callsOut && !allowed.has(path)) offenders.push(path);
      }
    }
    expect(offenders).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

async function dumpDatabase(db: Db): Promise<unknown[]> {
  const collections = await db.listCollections().toArray();
  return Promise.all(collections.map(async (collection) => db.collection(collection.name).find().toArray()));
}

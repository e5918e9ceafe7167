import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** A sentinel whose encodings all differ: a space, `/`, `+`, `"` and `=`; `Zq7Sentinel` appears nowhere else. */
const SECRET = 'Zq7Sentinel/+ "k=4a';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** Every form a step below sends the sentinel in, and its unmistakable core (which any partial leak shows). */
const FORMS = [
  'Zq7Sentinel',
  encodeURIComponent(SECRET),
  new URLSearchParams({ key: SECRET }).toString().slice(4),
  b64(SECRET),
  b64(`bot:${SECRET}`),
  JSON.stringify(SECRET).slice(1, -1),
];

/** Secrets on the whole path: what an upstream echoes, redirects and host bindings, and what a secret may hold. */
describe('secrets', () => {
  let parley: Parley;
  const logLines: string[] = [];
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley({ logLines });
    // An upstream that reflects the credentials it got, in every way an API might.
    api = await startFakeApi((request) => {
      const url = new URL(request.path, 'http://upstream');
      const auth = String(request.headers['authorization'] ?? '');
      switch (url.pathname) {
        case '/bearer':
          return {
            status: 200,
            body: { message: `you sent ${auth}`, data: { token64: b64(auth.slice(7)) }, attributes: { seen: auth } },
          };
        case '/basic':
          return { status: 200, body: { auth, user: Buffer.from(auth.slice(6), 'base64').toString('utf8') } };
        case '/query':
          return { status: 200, body: { echoed: { raw: request.path, key: url.searchParams.get('key') } } };
        case '/body':
          return { status: 200, body: { json: JSON.parse(request.body), data: request.body, [SECRET]: 'as a key' } };
        case '/fail':
          return { status: 400, body: { error: `bad token ${auth}` } };
        default:
          return { status: 404 };
      }
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  it('never lets a secret an upstream echoes, in any form it was sent, reach a visitor, an operator or the history', async () => {
    const bot = await parley.createChatbot([]);
    for (const name of ['bearer', 'basic', 'key']) {
      await parley.admin('put', `/v1/chatbots/${bot}/secrets/${name}`).send({ value: SECRET }).expect(201);
    }
    const bearer = (id: string, path: string) => ({
      id,
      request: {
        method: 'GET' as const,
        url: `${api.url}${path}`,
        auth: { type: 'bearer' as const, secret: 'bearer' },
      },
    });
    const probe: ActionDefinitionInput = {
      name: 'probe',
      description: 'Probe the service',
      examples: ['probe the service'],
      steps: [
        bearer('bearer', '/bearer'),
        {
          id: 'basic',
          request: {
            method: 'POST',
            url: `${api.url}/basic`,
            auth: { type: 'basic', username: 'bot', secret: 'basic' },
          },
        },
        {
          id: 'query',
          request: {
            method: 'GET',
            url: `${api.url}/query`,
            auth: { type: 'api_key', in: 'query', name: 'key', secret: 'key' },
          },
        },
        { id: 'body', request: { method: 'POST', url: `${api.url}/body`, body: { k: '{{secrets.key}}' } } },
      ],
      reply: {
        template:
          'Bearer: {{steps.bearer.message}} {{steps.bearer.data.token64}}. Basic: {{steps.basic.auth}} {{steps.basic.user}}. ' +
          'Query: {{steps.query.echoed.raw}} {{steps.query.echoed.key}}. Body: {{steps.body.data}} {{steps.body.json.k}}.',
      },
    };
    const whoami: ActionDefinitionInput = {
      name: 'whoami',
      description: 'Ask the service who we are',
      examples: ['who am i to the service'],
      steps: [bearer('bearer', '/bearer'), { ...bearer('fail', '/fail'), onError: { then: 'continue' } }],
    };
    for (const action of [probe, whoami]) {
      await parley.admin('put', `/v1/chatbots/${bot}/actions/${action.name}`).send(action).expect(201);
    }

    const chat = await parley.startConversation(bot);
    const probed = await chat.say('probe the service');
    expect(probed).toEqual([
      'Bearer: you sent Bearer *** ***. Basic: Basic *** bot:***. Query: /query?key=*** ***. Body: {"k":"***"} ***.',
    ]);
    expect(await chat.say('who am i to the service')).toEqual(['you sent Bearer ***']);
    // The upstream did get the real thing, in each encoding.
    expect(api.requests.map((request) => request.path)).toContain(
      `/query?key=${new URLSearchParams({ key: SECRET }).toString().slice(4)}`,
    );
    expect(api.requests.map((request) => request.headers['authorization'])).toContain(`Basic ${b64(`bot:${SECRET}`)}`);

    const tested = await Promise.all(
      ['probe', 'whoami'].map(
        async (name) =>
          (await parley.admin('post', `/v1/chatbots/${bot}/actions/${name}/test`).send({}).expect(200)).body,
      ),
    );
    expect(JSON.stringify(tested)).toContain('you sent Bearer ***');
    const logs = await Promise.all(
      ['probe', 'whoami'].map(
        async (name) =>
          (await parley.admin('get', `/v1/chatbots/${bot}/actions/${name}/logs?limit=50`).expect(200)).body,
      ),
    );
    expect(logs.flatMap((body) => body.logs)).toHaveLength(12);
    const workflowIds = [chat.workflowId];
    for await (const execution of parley.client.workflow.list({
      query: `WorkflowId STARTS_WITH "action-test:${bot}:"`,
    })) {
      workflowIds.push(execution.workflowId);
    }
    expect(workflowIds).toHaveLength(3);
    const histories = await Promise.all(workflowIds.map((id) => parley.historyText(id)));
    expect(histories.join('\n')).toContain('you sent Bearer ***');
    const { db } = parley;
    const stored = await Promise.all(
      (await db.listCollections().toArray()).map(async ({ name }) => db.collection(name).find().toArray()),
    );

    const seen = {
      reply: JSON.stringify(probed),
      transcript: JSON.stringify(await chat.transcript()),
      test: JSON.stringify(tested),
      logs: JSON.stringify(logs),
      history: histories.join('\n'),
      workerLog: logLines.join('\n'),
      database: JSON.stringify(stored),
    };
    for (const [where, text] of Object.entries(seen)) {
      for (const form of FORMS) expect({ where, leaked: text.includes(form) }).toEqual({ where, leaked: false });
    }
  });

  it('refuses to follow a 307 to another origin with a request carrying a secret, and nothing reaches it', async () => {
    const elsewhere = await startFakeApi(() => ({ status: 200, body: { message: 'got it' } }));
    const redirector = await startFakeApi(() => ({ status: 307, headers: { location: `${elsewhere.url}/collect` } }));
    try {
      const bot = await parley.createChatbot([]);
      await parley.admin('put', `/v1/chatbots/${bot}/secrets/crm`).send({ value: SECRET }).expect(201);
      await parley
        .admin('put', `/v1/chatbots/${bot}/actions/sync`)
        .send({
          description: 'Sync the CRM',
          examples: ['sync the crm'],
          steps: [
            {
              id: 'sync',
              request: {
                method: 'POST',
                url: `${redirector.url}/sync`,
                auth: { type: 'bearer', secret: 'crm' },
                body: { token: '{{secrets.crm}}' },
                followRedirects: 1,
              },
              onError: { then: 'stop', reply: 'Sync failed.' },
            },
          ],
        })
        .expect(201);
      const chat = await parley.startConversation(bot);
      expect(await chat.say('sync the crm')).toEqual(['Sync failed.']);
      expect(redirector.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
      const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/sync/logs`).expect(200)).body.logs;
      expect(logs).toHaveLength(1);
      expect(logs[0].error).toEqual({
        type: 'RedirectRefused',
        message: expect.stringContaining(`answered 307 to ${elsewhere.url}`),
      });
    } finally {
      await Promise.all([elsewhere.close(), redirector.close()]);
    }
  });

  it("sends a secret bound to a host only to that host's default port, and to another port only when bound to it", async () => {
    const port = new URL(api.url).port;
    const bot = await parley.createChatbot([]);
    const call = async (hosts: string[]) => {
      await parley.admin('put', `/v1/chatbots/${bot}/secrets/bearer`).send({ value: SECRET, hosts }).expect(200);
      return chat.say('who am i to the service');
    };
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/bearer`).send({ value: SECRET }).expect(201);
    await parley
      .admin('put', `/v1/chatbots/${bot}/actions/whoami`)
      .send({
        description: 'Ask the service who we are',
        examples: ['who am i to the service'],
        steps: [
          {
            id: 'bearer',
            request: { method: 'GET', url: `${api.url}/bearer`, auth: { type: 'bearer', secret: 'bearer' } },
            onError: { then: 'stop', reply: 'Not allowed.' },
          },
        ],
      })
      .expect(201);
    const chat = await parley.startConversation(bot);
    const before = api.requests.length;

    expect(await call(['127.0.0.1'])).toEqual(['Not allowed.']);
    expect(await call([`127.0.0.1:${Number(port) + 1}`, `https://127.0.0.1:${port}`])).toEqual(['Not allowed.']);
    expect(api.requests.length).toBe(before);
    const logs = (await parley.admin('get', `/v1/chatbots/${bot}/actions/whoami/logs`).expect(200)).body.logs;
    expect(logs[1].error).toEqual({
      type: 'RequestRejected',
      message: `secret "bearer" may not be sent to 127.0.0.1:${port}`,
    });

    expect(await call([`127.0.0.1:${port}`])).toEqual(['you sent Bearer ***']);
    expect(await call([`http://127.0.0.1:${port}`])).toEqual(['you sent Bearer ***']);
    expect(api.requests.length).toBe(before + 2);
  });

  it('refuses a secret value holding NUL, CR or LF on save, naming the problem, and keeps the saved one', async () => {
    const bot = await parley.createChatbot([]);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/token`).send({ value: 'tok-good-0123456789' }).expect(201);
    const before = (await parley.admin('get', `/v1/chatbots/${bot}/secrets`).expect(200)).body;
    for (const value of ['tok-new-0123456789\n', 'tok\r\nX-Admin: yes', 'tok\u0000new']) {
      const response = await parley.admin('put', `/v1/chatbots/${bot}/secrets/token`).send({ value }).expect(400);
      expect(response.body.error).toEqual({
        code: 'invalid_request',
        message: expect.stringMatching(/^value: must not contain NUL, CR or LF characters/),
      });
      expect(JSON.stringify(response.body)).not.toContain('tok');
    }
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/other`).send({ value: 'x\ny' }).expect(400);
    expect((await parley.admin('get', `/v1/chatbots/${bot}/secrets`).expect(200)).body).toEqual(before);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { documentChecker } from '../support/openapi';
import { ROOT, runCli, serveDemo } from '../support/cli';
import { ADMIN_KEY, startParley, type Parley } from '../support/parley';

const TOKEN = 'tok_live_5f8d0c7e1a2b3c4d';

/**
 * Imports on the real stack: drafts from cURL commands and OpenAPI documents through the admin API, saved and run
 * with the test button (whose result lists the response's paths), and the `parley import` CLI as a process, whose
 * files `apply` saves.
 */
describe('importing actions', () => {
  let parley: Parley;
  let orders: FakeApi;
  let demo: Awaited<ReturnType<typeof serveDemo>>;
  let api: string;
  let acmeUrl: string;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'parley-import-'));
    parley = await startParley();
    orders = await startFakeApi((request) =>
      request.headers.authorization === `Bearer ${TOKEN}`
        ? {
            status: 200,
            body: {
              data: {
                order: { id: '12345', status: 'shipped', items: [{ sku: 'MUG-01', name: 'Acme mug', quantity: 2 }] },
              },
            },
          }
        : { status: 401, body: { error: 'bad token' } },
    );
    demo = await serveDemo(parley);
    ({ api, acmeUrl } = demo);
  });
  afterAll(async () => {
    await demo.close();
    await orders.close();
    await parley.close();
    rmSync(work, { recursive: true, force: true });
  });

  const bot = async (id: string) => {
    await parley.admin('post', '/v1/chatbots').send({ id, name: id }).expect(201);
    return id;
  };

  it('drafts an action from a curl command, never answering the token; saved and tested, it calls the API', async () => {
    const id = await bot('curl-shop');
    const command = `curl -s ${orders.url}/v1/orders/12345 \\\n  -H 'Authorization: Bearer ${TOKEN}' \\\n  -H 'Accept: application/json'`;
    const imported = await parley
      .admin('post', `/v1/chatbots/${id}/actions/import`)
      .send({ curl: command })
      .expect(200);
    expect(JSON.stringify(imported.body)).not.toContain(TOKEN);
    const secret = `host_127_0_0_1_${new URL(orders.url).port}_token`;
    expect(imported.body.secrets).toEqual([
      { name: secret, hosts: [new URL(orders.url).host], from: 'the Authorization header (Bearer token)' },
    ]);
    const [draft] = imported.body.actions;
    expect(draft).toEqual({
      name: 'get_orders',
      description: 'Get orders',
      steps: [
        {
          id: 'call',
          request: { method: 'GET', url: `${orders.url}/v1/orders/12345`, auth: { type: 'bearer', secret } },
        },
      ],
    });
    expect(imported.body.warnings).toContain(
      `get_orders: steps[0].request: secret "${secret}" is not set, so the call fails until it is saved (PUT …/secrets/${secret})`,
    );
    // Nothing was saved.
    await parley.admin('get', `/v1/chatbots/${id}/actions/get_orders`).expect(404);

    await parley.admin('put', `/v1/chatbots/${id}/actions/get_orders`).send(draft).expect(201);
    await parley
      .admin('put', `/v1/chatbots/${id}/secrets/${secret}`)
      .send({ value: TOKEN, hosts: imported.body.secrets[0].hosts })
      .expect(201);
    const test = await parley.admin('post', `/v1/chatbots/${id}/actions/get_orders/test`).send({}).expect(200);
    expect(test.body.ok).toBe(true);
    expect(orders.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // Field discovery: every path of the response, ready for response.fields.
    const discovery = test.body.steps[0].detail.response.discovery;
    expect(discovery.paths).toContainEqual({
      path: 'data.order.status',
      field: 'status',
      type: 'string',
      sample: 'shipped',
    });
    expect(discovery.paths).toContainEqual({
      path: 'data.order.items[0].sku',
      field: 'sku',
      type: 'string',
      sample: 'MUG-01',
      every: 'data.order.items[*].sku',
    });
    expect(discovery.fields).toMatchObject({ status: 'data.order.status', sku: 'data.order.items[0].sku' });
    const { fields } = discovery as { fields: Record<string, string> };
    const withFields = {
      ...draft,
      steps: [{ ...draft.steps[0], response: { fields: { status: fields['status'], sku: fields['sku'] } } }],
    };
    await parley.admin('put', `/v1/chatbots/${id}/actions/get_orders`).send(withFields).expect(200);
    const again = await parley.admin('post', `/v1/chatbots/${id}/actions/get_orders/test`).send({}).expect(200);
    expect(again.body.steps[0].fields).toEqual({ status: 'shipped', sku: 'MUG-01' });
  });

  it('drafts actions from an OpenAPI document, warning of an action it would replace', async () => {
    const id = await bot('openapi-shop');
    const document = {
      openapi: '3.1.0',
      info: { title: 'Orders', version: '1' },
      servers: [{ url: `${orders.url}/v1` }],
      components: {
        securitySchemes: { orders_token: { type: 'http', scheme: 'bearer' } },
        parameters: {
          Id: { name: 'orderId', in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } },
        },
        schemas: { Id: { type: 'string', description: 'The order number', pattern: '^[0-9]{5}$' } },
      },
      security: [{ orders_token: [] }],
      paths: {
        '/orders/{orderId}': {
          get: {
            operationId: 'getOrder',
            summary: 'Track an order',
            parameters: [{ $ref: '#/components/parameters/Id' }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    };
    const imported = await parley
      .admin('post', `/v1/chatbots/${id}/actions/import`)
      .send({ openapi: document, operations: ['getOrder'] })
      .expect(200);
    const [draft] = imported.body.actions;
    expect(draft).toMatchObject({
      name: 'get_order',
      title: 'Track an order',
      parameters: [{ name: 'orderId', type: 'text', description: 'The order number', pattern: '^[0-9]{5}$' }],
      steps: [
        {
          request: {
            method: 'GET',
            url: `${orders.url}/v1/orders/{{orderId}}`,
            auth: { type: 'bearer', secret: 'orders_token' },
          },
        },
      ],
    });
    await parley.admin('put', `/v1/chatbots/${id}/actions/get_order`).send(draft).expect(201);
    await parley.admin('put', `/v1/chatbots/${id}/secrets/orders_token`).send({ value: TOKEN }).expect(201);
    const test = await parley
      .admin('post', `/v1/chatbots/${id}/actions/get_order/test`)
      .send({ parameters: { orderId: '12345' } })
      .expect(200);
    expect(test.body.ok).toBe(true);
    expect(orders.requests.at(-1)?.path).toBe('/v1/orders/12345');

    const twice = await parley
      .admin('post', `/v1/chatbots/${id}/actions/import`)
      .send({ openapi: document, operations: ['getOrder'] })
      .expect(200);
    expect(twice.body.warnings).toContain(
      'get_order: the chatbot has an action of this name; saving the draft makes a new version of it',
    );
  });

  it('answers as the OpenAPI document says', async () => {
    const id = await bot('documented');
    const checker = documentChecker((await parley.api.get('/openapi.json').expect(200)).body);
    const path = `/v1/chatbots/${id}/actions/import`;
    checker.expectDocumented(await parley.admin('post', path).send({ curl: `curl -u a:b ${orders.url}/x` }));
    const acme = readFileSync(join(ROOT, 'scripts/demo/acme-openapi.yaml'), 'utf8');
    checker.expectDocumented(await parley.admin('post', path).send({ openapi: acme }).expect(200));
    checker.expectDocumented(await parley.admin('post', path).send({ curl: 'nope' }).expect(400));
  });

  it('answers 400 naming the field, and 404 for a chatbot it does not have', async () => {
    const id = await bot('import-errors');
    const path = `/v1/chatbots/${id}/actions/import`;
    const unknown = await parley.admin('post', path).send({ curl: 'curl --foo https://x.test' }).expect(400);
    expect(unknown.body.error).toEqual({ code: 'invalid_request', message: 'curl: unknown option --foo' });
    const missing = await parley
      .admin('post', path)
      .send({
        openapi: { openapi: '3.0.3', info: {}, paths: { '/a': { get: { operationId: 'a' } } } },
        operations: ['b'],
      })
      .expect(400);
    expect(missing.body.error.message).toBe('operations[0]: no operation "b" in the document (it has a)');
    const external = await parley
      .admin('post', path)
      .send({
        openapi: {
          openapi: '3.0.3',
          servers: [{ url: 'https://api.example.com' }],
          paths: { '/orders': { get: { operationId: 'list', parameters: [{ $ref: 'common.yaml#/Limit' }] } } },
        },
      })
      .expect(400);
    expect(external.body.error.message).toMatch(
      /^openapi\.paths\.\/orders\.get\.parameters\[0\]\.\$ref: "common\.yaml#\/Limit" points outside the document/,
    );
    const neither = await parley.admin('post', path).send({}).expect(400);
    expect(neither.body.error.message).toMatch(/give either "curl"/);
    await parley.admin('post', '/v1/chatbots/nobody/actions/import').send({ curl: 'curl https://x.test' }).expect(404);
  });

  describe('the CLI', () => {
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCli(args, { PARLEY_API: api, PARLEY_ADMIN_KEY: ADMIN_KEY, ...env });

    it('imports OpenAPI operations as files apply saves, and test prints the response paths', async () => {
      const dir = mkdtempSync(join(work, 'config-'));
      const imported = await cli([
        'import',
        'acme',
        dir,
        '--openapi',
        'scripts/demo/acme-openapi.yaml',
        '--operation',
        'getInventoryItem',
        '--operation',
        'getOrder',
        '--server',
        acmeUrl,
      ]);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain(
        'wrote acme/actions/get_inventory_item.yaml\nwrote acme/actions/get_order.yaml\n',
      );
      expect(imported.stdout).toContain('wrote acme/chatbot.yaml (the chatbot as the API holds it)');
      expect(imported.stdout).toContain('once applied, try: parley test acme get_order --param orderNumber=12345');
      const file = parse(readFileSync(join(dir, 'acme/actions/get_inventory_item.yaml'), 'utf8'));
      expect(file).toMatchObject({
        title: 'Check stock',
        steps: [{ request: { url: `${acmeUrl}/inventory/{{sku}}`, auth: { type: 'bearer', secret: 'acme_token' } } }],
      });

      const again = await cli([
        'import',
        'acme',
        dir,
        '--openapi',
        'scripts/demo/acme-openapi.yaml',
        '--operation',
        'getOrder',
        '--server',
        acmeUrl,
      ]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('acme/actions/get_order.yaml: exists (--force replaces it)');

      const applied = await cli(['apply', dir]);
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain('+ action acme/get_inventory_item (acme/actions/get_inventory_item.yaml)');
      expect(applied.stdout).toContain('2 to create, 0 to update, 0 to delete');
      expect((await cli(['apply', dir])).stdout).toContain('no changes');

      const test = await cli(['test', 'acme', 'get_inventory_item', '--param', 'sku=MUG-01']);
      expect(test.code).toBe(0);
      expect(test.stdout).toContain('  paths:    (');
      expect(test.stdout).toMatch(/\n {12}sku {6}data\.sku {6}"MUG-01"\n/);
      expect(test.stdout).toMatch(/\n {12}inStock {2}data\.inStock {2}42\n/);
    });

    it('imports a curl command, adding its secret to the chatbot file by environment variable', async () => {
      await bot('cli-curl');
      const dir = mkdtempSync(join(work, 'config-'));
      const command = `curl ${orders.url}/v1/orders/12345 -H 'Authorization: Bearer ${TOKEN}'`;
      const imported = await cli(['import', 'cli-curl', dir, '--curl', command, '--name', 'track_order']);
      expect(imported.code).toBe(0);
      expect(imported.stdout + imported.stderr).not.toContain(TOKEN);
      const secret = `host_127_0_0_1_${new URL(orders.url).port}_token`;
      expect(imported.stdout).toContain(
        `secret ${secret} (the Authorization header (Bearer token)): added to cli-curl/chatbot.yaml; apply reads its value from $${secret.toUpperCase()}`,
      );
      expect(parse(readFileSync(join(dir, 'cli-curl/chatbot.yaml'), 'utf8'))).toMatchObject({
        name: 'cli-curl',
        secrets: { [secret]: { env: secret.toUpperCase(), hosts: [new URL(orders.url).host] } },
      });
      expect(existsSync(join(dir, 'cli-curl/actions/track_order.yaml'))).toBe(true);

      const refused = await cli(['apply', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`${secret.toUpperCase()} is not set in the environment`);
      const applied = await cli(['apply', dir], { [secret.toUpperCase()]: TOKEN });
      expect(applied.code).toBe(0);
      const test = await cli(['test', 'cli-curl', 'track_order']);
      expect(test.code).toBe(0);
      expect(test.stdout).toMatch(/\n +status +data\.order\.status +"shipped"\n/);
      expect(test.stdout).toMatch(
        /\n +sku +data\.order\.items\[0\]\.sku +"MUG-01" +every: data\.order\.items\[\*\]\.sku\n/,
      );

      const both = await cli(['import', 'cli-curl', dir]);
      expect(both.code).toBe(1);
      expect(both.stderr).toContain('give either --curl <command line> or --openapi <file>');
    });
  });
});

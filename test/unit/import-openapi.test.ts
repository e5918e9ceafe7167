import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema, type ActionDefinitionInput } from '../../shared/actions/action';
import { importActions, ImportRequestSchema } from '../../shared/actions/import';
import { importOpenApi } from '../../shared/actions/import/openapi';
import { openApiSubset } from '../../shared/actions/import/openapi-subset';

const root = join(__dirname, '..', '..');
/** The Swagger Petstore (3.0): a relative server, $refs to schemas and request bodies, OAuth 2 and an API key. */
const petstore = readFileSync(join(root, 'test/fixtures/openapi/petstore-3.0.yaml'), 'utf8');
/** The demo Acme API (3.1): $refs to parameters, path items and schemas, `type: [string, "null"]`, bearer auth. */
const acme = readFileSync(join(root, 'scripts/demo/acme-openapi.yaml'), 'utf8');

function imported(source: unknown, options: Parameters<typeof importOpenApi>[1] = {}) {
  const outcome = importOpenApi(source, options);
  if (!outcome.ok) throw new Error(`refused: ${outcome.path}: ${outcome.message}`);
  for (const action of outcome.actions) {
    const parsed = ActionDefinitionSchema.safeParse(action);
    if (!parsed.success) throw new Error(`${action.name}: ${parsed.error.message}`);
  }
  const byName = (name: string): ActionDefinitionInput => {
    const action = outcome.actions.find((candidate) => candidate.name === name);
    if (!action) throw new Error(`no draft ${name}`);
    return action;
  };
  return { outcome, byName };
}

function refusal(source: unknown, options: Parameters<typeof importOpenApi>[1] = {}) {
  const outcome = importOpenApi(source, options);
  if (outcome.ok) throw new Error('imported');
  return `${outcome.path}: ${outcome.message}`;
}

const requestOf = (action: ActionDefinitionInput) => action.steps[0]?.request as Record<string, unknown>;

describe('importing OpenAPI 3.0 (the Swagger Petstore)', () => {
  const server = 'https://petstore3.swagger.io/api/v3';

  it('maps getPetById: name, typed path parameter, URL template, API key auth as a secret, the example as a sample', () => {
    const { outcome, byName } = imported(petstore, { operations: ['getPetById'], server });
    expect(outcome.actions).toHaveLength(1);
    expect(byName('get_pet_by_id')).toEqual({
      name: 'get_pet_by_id',
      title: 'Find pet by ID.',
      description: 'Find pet by ID.\n\nReturns a single pet.',
      parameters: [{ name: 'petId', type: 'number', description: 'ID of pet to return' }],
      steps: [
        {
          id: 'call',
          request: {
            method: 'GET',
            url: 'https://petstore3.swagger.io/api/v3/pet/{{petId}}',
            auth: { type: 'api_key', in: 'header', name: 'api_key', secret: 'petstore3_swagger_api_key' },
          },
        },
      ],
    });
    expect(outcome.secrets).toEqual([
      {
        name: 'petstore3_swagger_api_key',
        hosts: ['petstore3.swagger.io'],
        from: 'the api_key security scheme (an API key in the api_key header)',
      },
    ]);
    expect(outcome.samples).toEqual({ get_pet_by_id: { petId: 10 } });
  });

  it("resolves a $ref'd request body into required body parameters and leaves optional ones out, saying so", () => {
    const { outcome, byName } = imported(petstore, { operations: ['addPet', 'placeOrder'], server });
    const addPet = byName('add_pet');
    expect(addPet.parameters).toEqual([
      { name: 'name', type: 'text' },
      { name: 'photoUrls', type: 'text', array: true },
    ]);
    expect(requestOf(addPet)).toMatchObject({
      method: 'POST',
      body: { name: '{{name}}', photoUrls: '{{photoUrls}}' },
      auth: { type: 'bearer', secret: 'petstore_auth' },
    });
    expect(requestOf(byName('place_order'))['body']).toEqual({ petId: '{{petId}}', quantity: '{{quantity}}' });
    expect(outcome.secrets[0]?.from).toMatch(/petstore_auth security scheme \(an OAuth 2 access token/);
    expect(outcome.warnings).toContain(
      'add_pet: optional parameters without a default were left out, as Parley sends every value a request names: body id, body category, body tags, body status (add one with a default to send it)',
    );
  });

  it('turns a string enum with a default into an optional enum parameter sent with its default', () => {
    const { byName } = imported(petstore, { operations: ['findPetsByStatus'], server });
    const find = byName('find_pets_by_status');
    expect(find.parameters).toEqual([
      {
        name: 'status',
        type: 'enum',
        values: ['available', 'pending', 'sold'],
        description: 'Status values that need to be considered for filter',
        required: false,
        default: 'available',
      },
    ]);
    expect(requestOf(find)['query']).toEqual({ status: '{{status}}' });
  });

  it('refuses a relative server until the base URL is given, naming the field', () => {
    expect(refusal(petstore, { operations: ['getPetById'] })).toBe(
      'openapi.servers[0].url: "/api/v3" is relative: give the API\'s base URL as "server"',
    );
  });

  it('names a missing operation and lists what the document has', () => {
    expect(refusal(petstore, { operations: ['getPetById', 'getPets'], server })).toMatch(
      /^operations\[1\]: no operation "getPets" in the document \(it has updatePet, addPet, findPetsByStatus, getPetById/,
    );
  });

  it('takes operations by method and path too, and every operation of a small document when none are named', () => {
    const { outcome } = imported(petstore, { operations: ['DELETE /pet/{petId}'], server });
    expect(outcome.actions.map((action) => action.name)).toEqual(['delete_pet']);
    expect(imported(petstore, { server }).outcome.actions).toHaveLength(8);
  });
});

describe('importing OpenAPI 3.1 (the demo Acme API)', () => {
  it('resolves $refs to parameters, path items and schemas, and names the secret after the security scheme', () => {
    const { outcome, byName } = imported(acme, { operations: ['getOrder', 'getInventoryItem'] });
    expect(byName('get_order')).toEqual({
      name: 'get_order',
      title: 'Track an order',
      description:
        "Track an order\n\nLook up an order's status and delivery date when the visitor gives an order number.",
      parameters: [{ name: 'orderNumber', type: 'text', description: 'The order number', pattern: '^[0-9]{5,10}$' }],
      steps: [
        {
          id: 'call',
          request: {
            method: 'GET',
            url: 'http://127.0.0.1:4010/orders/{{orderNumber}}',
            auth: { type: 'bearer', secret: 'acme_token' },
          },
        },
      ],
    });
    expect(byName('get_inventory_item').parameters).toEqual([
      { name: 'sku', type: 'enum', values: ['MUG-01', 'TEE-02', 'CAP-03'], description: "The product's SKU" },
    ]);
    expect(outcome.secrets).toEqual([
      { name: 'acme_token', hosts: ['127.0.0.1:4010'], from: 'the acme_token security scheme (an HTTP bearer token)' },
    ]);
    expect(outcome.samples).toEqual({ get_order: { orderNumber: '12345' } });
  });

  it('maps formats and a $ref with its own description, and sends an optional field with a default', () => {
    const { byName, outcome } = imported(acme, { operations: ['findCustomerByEmail', 'openSupportTicket'] });
    expect(byName('find_customer_by_email').parameters).toEqual([
      { name: 'email', type: 'email', description: "The customer's email address" },
    ]);
    const ticket = byName('open_support_ticket');
    expect(ticket.parameters).toEqual([
      { name: 'customer_id', type: 'text', description: "The customer's id, as the customers lookup answers it" },
      { name: 'subject', type: 'text', description: "What went wrong, in the visitor's words" },
      { name: 'priority', type: 'enum', values: ['low', 'normal', 'high'], required: false, default: 'normal' },
    ]);
    expect(requestOf(ticket)['body']).toEqual({
      customer_id: '{{customer_id}}',
      subject: '{{subject}}',
      priority: '{{priority}}',
    });
    expect(outcome.samples['find_customer_by_email']).toEqual({ email: 'ada@example.com' });
  });

  it('reads the document as an object as well as YAML or JSON text', () => {
    const fromObject = importOpenApi(parse(acme), { operations: ['getOrder'] });
    const fromJson = importOpenApi(JSON.stringify(parse(acme)), { operations: ['getOrder'] });
    expect(fromObject).toEqual(importOpenApi(acme, { operations: ['getOrder'] }));
    expect(fromJson).toEqual(fromObject);
  });

  it('refuses references to other files or URLs, loops, and references to nothing, naming where they are', () => {
    const document = (schema: unknown) => ({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/orders': {
          post: {
            operationId: 'createOrder',
            requestBody: { content: { 'application/json': { schema } } },
            responses: {},
          },
        },
      },
      components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } },
    });
    const at = 'openapi.paths./orders.post.requestBody.content.application/json.schema.$ref';
    expect(refusal(document({ $ref: 'https://example.com/schemas/order.json' }))).toBe(
      `${at}: "https://example.com/schemas/order.json" points outside the document, and an import fetches nothing: bundle the document into one file first`,
    );
    expect(refusal(document({ $ref: 'order.yaml#/Order' }))).toMatch(/points outside the document/);
    expect(refusal(document({ $ref: '#/components/schemas/A' }))).toMatch(/part of a loop of references/);
    expect(refusal(document({ $ref: '#/components/schemas/Nope' }))).toBe(
      `${at}: "#/components/schemas/Nope" points at nothing in the document`,
    );
  });

  it('refuses Swagger 2.0 and what is not a document', () => {
    expect(refusal({ swagger: '2.0', paths: {} })).toMatch(/^openapi\.swagger: Swagger 2\.0 is not supported/);
    expect(refusal('openapi: [')).toMatch(/^openapi: not valid YAML or JSON/);
    expect(refusal({ openapi: '3.2.0', paths: {} })).toMatch(/^openapi\.openapi: must be an OpenAPI 3\.0 or 3\.1/);
  });

  it('trims a document to what an import of some operations reads, and imports the same drafts from it', () => {
    const subset = openApiSubset(petstore, ['placeOrder', 'getPetById']);
    expect(Object.keys(subset['paths'] as object)).toEqual(['/store/order', '/pet/{petId}']);
    expect(Object.keys((subset['components'] as Record<string, object>)['schemas'] ?? {})).toEqual(['Order']);
    const options = { operations: ['placeOrder', 'getPetById'], server: 'https://petstore3.swagger.io/api/v3' };
    expect(importOpenApi(subset, options)).toEqual(importOpenApi(petstore, options));
  });
});

describe('the import request', () => {
  it('takes either curl or openapi, and the options each allows', () => {
    expect(ImportRequestSchema.safeParse({ curl: 'curl https://x.test' }).success).toBe(true);
    expect(ImportRequestSchema.safeParse({}).success).toBe(false);
    expect(ImportRequestSchema.safeParse({ curl: 'curl https://x.test', openapi: {} }).success).toBe(false);
    expect(ImportRequestSchema.safeParse({ curl: 'curl https://x.test', operations: ['a'] }).success).toBe(false);
    const outcome = importActions(ImportRequestSchema.parse({ openapi: acme, operations: ['listInventory'] }));
    expect(outcome.ok && outcome.actions.map((action) => action.name)).toEqual(['list_inventory']);
  });
});

import { describe, expect, it } from 'vitest';
import { ActionDefinitionSchema } from '../../shared/actions/action';
import { ChatbotInputSchema } from '../../shared/chatbot';
import { desiredState, type DesiredChatbot } from '../../cli/desired-state';
import { actionDocument, chatbotDocument, exportFiles } from '../../cli/export-files';
import { chatbotFileSets, parseConfigText } from '../../cli/layout';
import { testParameters } from '../../cli/parameters';
import { planApply, type CurrentChatbot, type PlanOptions } from '../../cli/plan';
import { planText } from '../../cli/plan-text';
import { describeProblem } from '../../cli/problems';
import { valueChanges, withoutDefaults } from '../../cli/values';
import { demoActions, DEMO_CHATBOT } from '../../scripts/demo/seed';

const ORDER_ACTION = {
  description: 'Look up an order',
  parameters: [{ name: 'order_number', pattern: '^[0-9]{5}$' }],
  steps: [
    {
      id: 'lookup',
      request: { method: 'GET', url: 'https://api.shop.test/orders/{{order_number}}' },
      response: { fields: { status: 'data.status' } },
    },
  ],
  reply: { template: 'Your order is {{steps.lookup.status}}.' },
};

/** The chatbots files define: `shop` with one action and a secret, unless changed. */
function desired(changes: { chatbot?: Record<string, unknown>; actions?: Record<string, unknown> } = {}) {
  const { chatbots, problems } = desiredState([
    {
      id: 'shop',
      chatbot: {
        file: 'shop/chatbot.yaml',
        value: { name: 'Shop', secrets: { shop_token: { env: 'SHOP_TOKEN' } }, ...changes.chatbot },
      },
      actions: Object.entries(changes.actions ?? { check_order: ORDER_ACTION }).map(([name, value]) => ({
        name,
        file: `shop/actions/${name}.yaml`,
        value,
      })),
    },
  ]);
  expect(problems).toEqual([]);
  return chatbots;
}

/** What the API holds after applying `desired()`. */
function current(chatbots: DesiredChatbot[]): Map<string, CurrentChatbot> {
  return new Map(
    chatbots.map((chatbot) => [
      chatbot.id,
      {
        chatbot: {
          id: chatbot.id,
          ...chatbot.settings,
          publishableKey: 'pk_generated_0123456789',
          catalogRevision: 'r1',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
        actions: chatbot.actions.map((action) => ({ name: action.name, version: 1, definition: action.definition })),
        secrets: chatbot.secrets.map((secret) => ({ name: secret.name, hosts: secret.hosts })),
      },
    ]),
  );
}

const OPTIONS: PlanOptions = { prune: false, setSecrets: false, environment: { SHOP_TOKEN: 'shop-token-0123456789' } };

describe('comparing configuration values', () => {
  it('names each changed field by its path, as deep as both sides are objects or arrays', () => {
    expect(
      valueChanges(
        { steps: [{ request: { url: 'a', query: {} } }], examples: ['x'] },
        { steps: [{ request: { url: 'b', query: {} } }], examples: ['x', 'y'] },
      ),
    ).toEqual([
      { path: 'steps[0].request.url', before: 'a', after: 'b' },
      { path: 'examples[1]', before: undefined, after: 'y' },
    ]);
    expect(valueChanges({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toEqual([]);
    expect(valueChanges({ a: null }, {})).toEqual([{ path: 'a', before: null, after: undefined }]);
  });

  it('leaves out exactly the fields the schema would fill in with the same values', () => {
    const parsed = ActionDefinitionSchema.parse({ name: 'check_order', ...ORDER_ACTION });
    const minimal = withoutDefaults(ActionDefinitionSchema, parsed);
    expect(minimal).toEqual({ name: 'check_order', ...ORDER_ACTION });
    expect(ActionDefinitionSchema.parse(minimal)).toEqual(parsed);
    // A value that differs from the default stays, however deep.
    const slower = ActionDefinitionSchema.parse({
      name: 'check_order',
      ...ORDER_ACTION,
      steps: [{ ...ORDER_ACTION.steps[0], retry: { maxAttempts: 4 } }],
    });
    expect((withoutDefaults(ActionDefinitionSchema, slower) as typeof ORDER_ACTION).steps[0]).toEqual({
      ...ORDER_ACTION.steps[0],
      retry: { maxAttempts: 4 },
    });
  });

  it('exports every demo action and the demo chatbot as documents that read back as the same values', () => {
    for (const input of demoActions('http://127.0.0.1:4010')) {
      const stored = ActionDefinitionSchema.parse(input);
      const document = actionDocument(stored);
      expect(document['name']).toBeUndefined();
      expect(ActionDefinitionSchema.parse({ ...document, name: stored.name })).toEqual(stored);
    }
    const chatbot = ChatbotInputSchema.parse(DEMO_CHATBOT);
    const document = chatbotDocument({ chatbot, actions: [], secrets: [{ name: 'acme_token', hosts: [] }] });
    expect(document).toEqual({
      name: DEMO_CHATBOT.name,
      greeting: DEMO_CHATBOT.greeting,
      publishableKey: DEMO_CHATBOT.publishableKey,
      handoff: DEMO_CHATBOT.handoff,
      secrets: { acme_token: { env: 'ACME_TOKEN' } },
    });
  });
});

describe('planning an apply', () => {
  it('creates a chatbot that does not exist, then its secret from the environment, then its actions', () => {
    const plan = planApply(desired(), new Map([['shop', null]]), OPTIONS);
    expect(plan.problems).toEqual([]);
    expect(plan.changes.map((change) => change.kind)).toEqual(['create-chatbot', 'set-secret', 'create-action']);
    expect(planText(plan)).toEqual([
      '+ chatbot shop (shop/chatbot.yaml)',
      '+ secret shop/shop_token from $SHOP_TOKEN (new)',
      '+ action shop/check_order (shop/actions/check_order.yaml)',
      '3 to create, 0 to update, 0 to delete',
    ]);
    expect(planText(plan).join('\n')).not.toContain('shop-token-0123456789');
  });

  it('says no changes when the API holds what the files say (a generated publishable key included)', () => {
    const chatbots = desired();
    const plan = planApply(chatbots, current(chatbots), { ...OPTIONS, environment: {} });
    expect(plan).toEqual({ changes: [], kept: [], problems: [] });
    expect(planText(plan)).toEqual(['no changes']);
  });

  it('updates only the changed fields of a chatbot and an action, and shows both values', () => {
    const before = desired();
    const after = desired({
      chatbot: { greeting: 'Hi!' },
      actions: { check_order: { ...ORDER_ACTION, examples: ['where is my order'] } },
    });
    const plan = planApply(after, current(before), OPTIONS);
    expect(plan.changes).toMatchObject([
      { kind: 'update-chatbot', patch: { greeting: 'Hi!' } },
      { kind: 'update-action', name: 'check_order', changes: [{ path: 'examples[0]' }] },
    ]);
    expect(planText(plan)).toEqual([
      '~ chatbot shop (shop/chatbot.yaml)',
      '    greeting: null → "Hi!"',
      '~ action shop/check_order (shop/actions/check_order.yaml)',
      '    examples[0]: (absent) → "where is my order"',
      '0 to create, 2 to update, 0 to delete',
    ]);
  });

  it('keeps actions no file defines, or deletes them when pruning', () => {
    const chatbots = desired();
    const api = current(desired({ actions: { check_order: ORDER_ACTION, old_lookup: ORDER_ACTION } }));
    const kept = planApply(chatbots, api, OPTIONS);
    expect(kept.changes).toEqual([]);
    expect(planText(kept)).toEqual([
      'no changes',
      '  kept: action shop/old_lookup is not in the files (--prune deletes it)',
    ]);
    const pruned = planApply(chatbots, api, { ...OPTIONS, prune: true });
    expect(planText(pruned)).toEqual([
      '- action shop/old_lookup (no file defines it)',
      '0 to create, 0 to update, 1 to delete',
    ]);
  });

  it('writes a secret again when its hosts change or when asked, and needs its variable only then', () => {
    const before = desired();
    const moved = desired({ chatbot: { secrets: { shop_token: { env: 'SHOP_TOKEN', hosts: ['api.shop.test'] } } } });
    expect(planApply(moved, current(before), OPTIONS).changes).toMatchObject([
      { kind: 'set-secret', reason: 'hosts changed', hosts: ['api.shop.test'], value: 'shop-token-0123456789' },
    ]);
    expect(planApply(before, current(before), { ...OPTIONS, setSecrets: true }).changes).toMatchObject([
      { kind: 'set-secret', reason: 'asked to (--set-secrets)' },
    ]);
    const unset = planApply(moved, current(before), { ...OPTIONS, environment: {} });
    expect(unset.problems.map(describeProblem)).toEqual([
      "shop/chatbot.yaml: secrets.shop_token.env: SHOP_TOKEN is not set in the environment (the secret's value is needed: hosts changed)",
    ]);
  });

  it("sets a new chatbot's handoff after the action it fires exists, and saves a button's target action first", () => {
    const chatbots = desired({
      chatbot: { handoff: { action: 'b_ticket' } },
      actions: {
        a_lookup: {
          ...ORDER_ACTION,
          reply: { ...ORDER_ACTION.reply, actionButton: { label: 'Ticket', action: 'b_ticket' } },
        },
        b_ticket: ORDER_ACTION,
      },
    });
    const plan = planApply(chatbots, new Map(), OPTIONS);
    expect(plan.changes.map((change) => [change.kind, 'name' in change ? change.name : null])).toEqual([
      ['create-chatbot', null],
      ['set-secret', 'shop_token'],
      ['create-action', 'b_ticket'],
      ['create-action', 'a_lookup'],
      ['set-handoff', null],
    ]);
    expect(plan.changes[0]).toMatchObject({ body: { handoff: null } });
    expect(plan.changes.at(-1)).toMatchObject({ patch: { handoff: { action: 'b_ticket' } } });
    expect(planText(plan).at(-1)).toBe('4 to create, 0 to update, 0 to delete');

    // Updating an existing chatbot the same way: its other settings first, the handoff after the new action.
    const before = desired({ actions: { a_lookup: ORDER_ACTION } });
    const after = desired({
      chatbot: { greeting: 'Hi!', handoff: { action: 'b_ticket' } },
      actions: { a_lookup: ORDER_ACTION, b_ticket: ORDER_ACTION },
    });
    const update = planApply(after, current(before), OPTIONS);
    expect(update.changes).toMatchObject([
      { kind: 'update-chatbot', patch: { greeting: 'Hi!' }, changes: [{ path: 'greeting' }, { path: 'handoff' }] },
      { kind: 'create-action', name: 'b_ticket' },
      { kind: 'set-handoff', patch: { handoff: { action: 'b_ticket' } } },
    ]);
    expect(update.changes[0]).not.toHaveProperty('patch.handoff');
  });
});

describe('reading configuration files', () => {
  it('finds chatbot folders and their actions, and names what does not fit the layout', () => {
    const { chatbots, problems } = chatbotFileSets([
      'README.md',
      'shop/chatbot.yaml',
      'shop/actions/check_order.yaml',
      'shop/actions/notes.txt',
      'shop/actions/check_order.json',
      'shop/action/stray.yaml',
      'orphan/actions/x.yaml',
      'bad id!/chatbot.yaml',
      'shop/actions/9lives.yml',
    ]);
    expect(chatbots).toEqual([
      {
        id: 'shop',
        chatbotFile: 'shop/chatbot.yaml',
        actionFiles: [{ name: 'check_order', file: 'shop/actions/check_order.json' }],
      },
    ]);
    expect(problems.map(describeProblem).sort()).toEqual([
      'bad id!/: the folder name is the chatbot id: 1-64 letters, digits, _ or -, starting with a letter or digit',
      'orphan/chatbot.yaml: missing: every chatbot folder needs one',
      'shop/action/stray.yaml: not part of the layout: expected <chatbot>/chatbot.yaml or <chatbot>/actions/<name>.yaml',
      'shop/actions/9lives.yml: the file name is the action name: must match ^[A-Za-z][A-Za-z0-9_]{0,63}$',
      'shop/actions/check_order.yaml: a second file for action check_order (shop/actions/check_order.json)',
    ]);
  });

  it('reports unreadable files with the line, and invalid fields with file and path', () => {
    const yaml = parseConfigText('shop/chatbot.yaml', 'name: [unclosed\n');
    expect('problem' in yaml && describeProblem(yaml.problem)).toMatch(
      /^shop\/chatbot\.yaml: not valid YAML: .* at line \d+, column \d+$/,
    );
    const json = parseConfigText('shop/chatbot.json', '{"name": }');
    expect('problem' in json && describeProblem(json.problem)).toMatch(/^shop\/chatbot\.json: not valid JSON: /);

    const { problems } = desiredState([
      {
        id: 'shop',
        chatbot: {
          file: 'shop/chatbot.yaml',
          value: { id: 'other', name: 'Shop', secrets: { 'bad name': { env: 'X' } } },
        },
        actions: [
          {
            name: 'check_order',
            file: 'shop/actions/check_order.yaml',
            value: {
              ...ORDER_ACTION,
              name: 'lookup',
            },
          },
          {
            name: 'lookup',
            file: 'shop/actions/lookup.yaml',
            value: {
              ...ORDER_ACTION,
              steps: [{ ...ORDER_ACTION.steps[0], request: { method: 'GET', url: 'ftp://x' } }],
            },
          },
        ],
      },
    ]);
    expect(problems.map(describeProblem)).toEqual([
      'shop/actions/check_order.yaml: name: "lookup" does not match the file name "check_order"',
      'shop/actions/lookup.yaml: steps[0].request.url: must start with http:// or https://',
      'shop/chatbot.yaml: id: "other" does not match the folder name "shop"',
      expect.stringMatching(/^shop\/chatbot\.yaml: secrets\.bad name: /),
    ]);
  });

  it('exports a chatbot to one file for it and one per action', () => {
    const chatbots = desired();
    const api = current(chatbots).get('shop');
    if (!api) throw new Error('no chatbot');
    expect(exportFiles('shop', api, 'yaml').map((file) => file.path)).toEqual([
      'shop/chatbot.yaml',
      'shop/actions/check_order.yaml',
    ]);
    const [json] = exportFiles('shop', api, 'json');
    expect(JSON.parse(json?.text ?? '')).toEqual({
      name: 'Shop',
      publishableKey: 'pk_generated_0123456789',
      secrets: { shop_token: { env: 'SHOP_TOKEN' } },
    });
  });
});

describe('test run parameters', () => {
  const declared = [
    { name: 'order_number', type: 'text' as const, array: false },
    { name: 'quantity', type: 'number' as const, array: false },
    { name: 'gift', type: 'boolean' as const, array: false },
    { name: 'skus', type: 'text' as const, array: true },
  ];

  it('are typed as the action declares them', () => {
    expect(testParameters(declared, ['order_number=00123', 'quantity=2', 'gift=true', 'skus=MUG-01, CAP-03'])).toEqual({
      parameters: { order_number: '00123', quantity: 2, gift: true, skus: ['MUG-01', 'CAP-03'] },
    });
  });

  it('are refused with what is wrong', () => {
    expect(testParameters(declared, ['quantity=two'])).toEqual({ problem: '--param quantity: "two" is not a number' });
    expect(testParameters(declared, ['order'])).toEqual({ problem: '--param order: write it as name=value' });
    expect(testParameters(declared, ['colour=red'])).toEqual({
      problem: '--param colour: the action has no such parameter (it has order_number, quantity, gift, skus)',
    });
  });
});

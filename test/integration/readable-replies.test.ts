import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startParley, type Parley } from '../support/parley';

/** Replies without a template or an LLM, through the API: what came back, readable. */
describe('replies without a template', () => {
  let parley: Parley;
  let api: FakeApi;

  beforeAll(async () => {
    parley = await startParley();
    api = await startFakeApi((request) => {
      switch (request.path) {
        case '/orders/12345':
          return {
            status: 200,
            body: { data: { order: { status: 'shipped', tracking_number: 'ZX-1', carrier: { name: 'DHL' } } } },
          };
        case '/search':
          return {
            status: 200,
            body: {
              items: [
                { name: 'Mug', price: '9.90 EUR', image: 'https://cdn.example.com/mug.png' },
                { name: 'Tee', price: '19.00 EUR', image: 'https://cdn.example.com/tee.png' },
              ],
            },
          };
        case '/shipping':
          return { status: 200, body: { message: 'shipping lookup ok (12 ms)', data: 'We ship to France in 2 days.' } };
        default:
          return { status: 200, body: { message: 'Hello from the API', data: { ignored: true } } };
      }
    });
  });
  afterAll(async () => {
    await parley.close();
    await api.close();
  });

  const action = (name: string, path: string, extra: Partial<ActionDefinitionInput> = {}): ActionDefinitionInput => ({
    name,
    description: `Run ${name.replace(/_/g, ' ')}`,
    examples: [name.replace(/_/g, ' ')],
    steps: [{ id: 'call', request: { method: 'GET', url: `${api.url}${path}` } }],
    ...extra,
  });

  it('renders nested data with labels, field lists, a gallery, and each response convention', async () => {
    const bot = await parley.createChatbot([
      action('order_details', '/orders/12345'),
      action('product_names', '/search', {
        steps: [
          {
            id: 'call',
            request: { method: 'GET', url: `${api.url}/search` },
            response: { fields: { names: 'items[*].name' } },
          },
        ],
      }),
      action('browse_products', '/search'),
      action('shipping_info', '/shipping', { reply: { say: 'data' } }),
      action('say_hello', '/hello'),
    ]);
    const chat = await parley.startConversation(bot);
    expect(await chat.say('order details')).toEqual([
      'Order:\n  Status: shipped\n  Tracking number: ZX-1\n  Carrier:\n    Name: DHL',
    ]);
    expect(await chat.say('product names')).toEqual(['Names: Mug, Tee']);
    const [gallery] = (await chat.send('browse products').expect(200)).body.messages;
    expect(gallery).toEqual({
      type: 'gallery',
      cards: [
        { title: 'Mug', subtitle: '9.90 EUR', imageUrl: 'https://cdn.example.com/mug.png' },
        { title: 'Tee', subtitle: '19.00 EUR', imageUrl: 'https://cdn.example.com/tee.png' },
      ],
    });
    expect(await chat.say('shipping info')).toEqual(['We ship to France in 2 days.']);
    expect(await chat.say('say hello')).toEqual(['Hello from the API']);
  });
});

import { describe, expect, it } from 'vitest';
import type { RoutableAction, RouterModel } from '../../shared/understanding/model';
import { routeWithModel } from '../../shared/understanding/routing';
import { trainRouter } from '../../shared/understanding/training';

const catalogue: RoutableAction[] = [
  {
    name: 'check_order_status',
    description: 'Tell the visitor where their order is and when it arrives',
    examples: [
      'where is my order',
      'track my package',
      'has my order shipped yet',
      'when will my delivery arrive',
      'order status for 12345',
      'what is the status of my order',
    ],
  },
  {
    name: 'create_support_ticket',
    description: 'Open a support ticket when something is broken',
    examples: [
      'my product is broken',
      'open a support ticket',
      'the device stopped working',
      'i need help with a defect',
      'talk to a human',
      'report a problem',
    ],
  },
  {
    name: 'subscribe_newsletter',
    description: 'Subscribe the visitor to the newsletter',
    examples: [
      'sign me up for the newsletter',
      'subscribe me to your emails',
      'i want to get your newsletter',
      'add me to the mailing list',
      'send me news by email',
    ],
  },
  {
    name: 'reset_password',
    description: 'Send a password reset link',
    examples: [
      'i forgot my password',
      'reset my password',
      'i cannot log in',
      'change my password',
      'locked out of my account',
    ],
  },
];

const model = trainRouter(catalogue);

describe('routeWithModel', () => {
  it.each([
    ['Where is my parcel?', 'check_order_status'],
    ['Can you track order 98765', 'check_order_status'],
    ['has my package been shipped', 'check_order_status'],
    ['The screen is broken, I need help', 'create_support_ticket'],
    ['please add me to your newsletter', 'subscribe_newsletter'],
    ['I forgot my password again', 'reset_password'],
    ["I can't log into my account", 'reset_password'],
  ])('routes the paraphrase "%s" to %s', (message, action) => {
    expect(routeWithModel(model, message)).toMatchObject({ kind: 'action', action });
  });

  it.each(["what's the weather on mars", 'tell me a joke', 'bananas', 'who won the football game'])(
    'routes the unrelated text "%s" to no action',
    (message) => {
      expect(routeWithModel(model, message).kind).toBe('none');
    },
  );

  it.each(['', '   ', '?!'])('routes the empty text "%s" to no action, with no candidates', (message) => {
    expect(routeWithModel(model, message)).toEqual({ kind: 'none', candidates: [] });
  });

  it('routes to no action when the catalogue is empty', () => {
    expect(routeWithModel(trainRouter([]), 'where is my order')).toEqual({ kind: 'none', candidates: [] });
  });

  it('offers at most three candidates, best first, with scores between 0 and 1', () => {
    const result = routeWithModel(model, 'my order is broken and I forgot my password');
    expect(result.candidates.length).toBeGreaterThan(0);
    expect(result.candidates.length).toBeLessThanOrEqual(3);
    const scores = result.candidates.map((candidate) => candidate.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const score of scores) expect(score).toBeGreaterThanOrEqual(0);
    for (const score of scores) expect(score).toBeLessThanOrEqual(1);
  });

  it('routes a message scoring under the threshold to no action, and the same message over it to the action', () => {
    const routed = routeWithModel(model, 'track my package please');
    expect(routed.kind).toBe('action');
    if (routed.kind !== 'action') return;
    expect(routeWithModel(model, 'track my package please', { threshold: routed.score + 0.01 }).kind).toBe('none');
  });

  it('returns ambiguous with the close candidates when two actions share the same examples', () => {
    const cancelling = ['cancel my order', 'i want to cancel my order', 'stop my order please'];
    const twins = trainRouter([
      { name: 'cancel_order', description: 'Cancel an order', examples: cancelling },
      { name: 'cancel_shipment', description: 'Cancel an order', examples: cancelling },
      ...catalogue,
    ]);
    const result = routeWithModel(twins, 'please cancel my order');
    expect(result.kind).toBe('ambiguous');
    expect(result.candidates.map((candidate) => candidate.action).sort()).toEqual(['cancel_order', 'cancel_shipment']);
  });

  it('returns ambiguous when the only two actions share the same examples, and none for unrelated text', () => {
    const examples = ['cancel my order', 'i want to cancel my order', 'stop my order please'];
    const twins = trainRouter([
      { name: 'cancel_order', description: 'Cancel an order', examples },
      { name: 'cancel_shipment', description: 'Cancel an order', examples },
    ]);
    expect(routeWithModel(twins, 'please cancel my order')).toMatchObject({ kind: 'ambiguous' });
    expect(routeWithModel(twins, 'tell me a joke').kind).toBe('none');
  });

  it('routes without ambiguity when the margin is 0', () => {
    const examples = ['cancel my order', 'i want to cancel my order'];
    const twins = trainRouter([
      { name: 'cancel_order', description: '', examples },
      { name: 'cancel_shipment', description: '', examples },
      ...catalogue,
    ]);
    expect(routeWithModel(twins, 'cancel my order', { ambiguityMargin: 0 }).kind).toBe('action');
  });

  it('routes the paraphrases of a single action and nothing else', () => {
    const single = trainRouter([catalogue[0]!]);
    expect(routeWithModel(single, 'where is my parcel')).toMatchObject({
      kind: 'action',
      action: 'check_order_status',
    });
    expect(routeWithModel(single, 'tell me a joke').kind).toBe('none');
  });
});

describe('trainRouter', () => {
  const messages = ['where is my parcel', 'my screen is broken', 'subscribe me', 'lost my password', 'hello', ''];

  it('is deterministic: the same actions train the same model, which routes the same way', () => {
    const again = trainRouter(catalogue);
    expect(again).toEqual(model);
    for (const message of messages) expect(routeWithModel(again, message)).toEqual(routeWithModel(model, message));
  });

  it('gives identical results after a JSON round trip of the model', () => {
    const received = JSON.parse(JSON.stringify(model)) as RouterModel;
    for (const message of messages) expect(routeWithModel(received, message)).toEqual(routeWithModel(model, message));
  });

  it('trains a small model for a small catalogue', () => {
    expect(JSON.stringify(model).length).toBeLessThan(20_000);
  });

  it('refuses a model of another version', () => {
    const future = { ...model, version: 2 } as unknown as RouterModel;
    expect(() => routeWithModel(future, 'where is my order')).toThrow(/version/);
  });
});

import { describe, expect, it } from 'vitest';
import { openConversation, type ActionCatalog, type ConversationState } from '../../shared/conversation/state';
import { planTurn } from '../../shared/conversation/turn';
import type { RoutableAction, TextEmbeddings } from '../../shared/understanding/model';
import { routeWithModel } from '../../shared/understanding/routing';
import { descriptionCore, trainingTexts, trainRouter } from '../../shared/understanding/training';
import {
  calibratedSimilarity,
  packVector,
  SIMILAR_COSINE,
  unpackVector,
  UNRELATED_COSINE,
  type PackedVector,
} from '../../shared/understanding/semantic';
import { simpleAction } from './fixtures';

/**
 * Semantic routing with hand-made embeddings: each "meaning" is a direction in a small space, so the tests
 * state what the router does with meaning independently of any real encoder.
 */
const DIMENSION = 8;
const ENCODER = 'test-encoder';

function direction(...components: [number, number][]): number[] {
  const vector = new Array<number>(DIMENSION).fill(0);
  for (const [index, value] of components) vector[index] = value;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

const ORDERS = direction([0, 1]);
const STOCK = direction([1, 1]);
const DAMAGE = direction([2, 1]);
const UNRELATED = direction([7, 1]);

/** Operators' actions: a description each and at most one example. */
const actions: RoutableAction[] = [
  { name: 'track_order', description: 'Use when the visitor asks where their order is', examples: [] },
  { name: 'check_stock', description: 'Use when the visitor asks whether a product is available', examples: [] },
  { name: 'report_damage', description: 'Use when the visitor says an item arrived broken', examples: ['it broke'] },
];
const meanings = [ORDERS, STOCK, DAMAGE];

function embeddingsFor(catalogue: RoutableAction[], vectors: number[][]): TextEmbeddings {
  return {
    encoder: ENCODER,
    dimension: DIMENSION,
    vectors: catalogue.map((action, a) => trainingTexts(action).map(() => vectors[a]!)),
  };
}

const message = (vector: number[], encoder = ENCODER): PackedVector => ({ encoder, vector: packVector(vector) });
const model = trainRouter(actions, {}, embeddingsFor(actions, meanings));

describe('semantic routing', () => {
  it('routes an action that has only a description, by meaning, with no word in common', () => {
    const result = routeWithModel(model, 'has my parcel left the warehouse', { embedding: message(ORDERS) });
    expect(result).toMatchObject({ kind: 'action', action: 'track_order' });
    expect(routeWithModel(model, 'any tees left in large', { embedding: message(STOCK) })).toMatchObject({
      kind: 'action',
      action: 'check_stock',
    });
  });

  it('falls back when the message means nothing the actions mean, whatever it shares in words', () => {
    expect(routeWithModel(model, 'what is the weather', { embedding: message(UNRELATED) }).kind).toBe('none');
  });

  it('routes by words alone when the message has no embedding or one from another encoder', () => {
    const byWords = routeWithModel(model, 'where is my order');
    expect(byWords).toMatchObject({ kind: 'action', action: 'track_order' });
    expect(routeWithModel(model, 'where is my order', { embedding: message(UNRELATED, 'other-encoder') })).toEqual(
      byWords,
    );
    expect(routeWithModel(model, 'has my parcel left the warehouse').kind).toBe('none');
  });

  it('leaves a lexical model (an older catalogue) routing exactly as before, embedding or not', () => {
    const lexical = trainRouter(actions);
    expect(lexical.semantic).toBeUndefined();
    for (const text of ['where is my order', 'it broke', 'what is the weather']) {
      expect(routeWithModel(lexical, text, { embedding: message(ORDERS) })).toEqual(routeWithModel(lexical, text));
    }
  });

  it('uses one threshold for actions with 0, 1 or many examples: close meaning routes, unrelated falls back', () => {
    const many: RoutableAction[] = actions.map((action, a) => ({
      ...action,
      examples: Array.from({ length: a * 10 }, (_, i) => `${action.name.replace('_', ' ')} example ${i}`),
    }));
    const trained = trainRouter(many, {}, embeddingsFor(many, meanings));
    meanings.forEach((meaning, a) => {
      const near = direction([a, 1], [5, 0.3]);
      expect(routeWithModel(trained, 'in other words', { embedding: message(near) })).toMatchObject({
        kind: 'action',
        action: many[a]!.name,
      });
    });
    expect(routeWithModel(trained, 'in other words', { embedding: message(UNRELATED) }).kind).toBe('none');
  });

  it('asks which one is meant when two actions mean the same', () => {
    const twins: RoutableAction[] = [
      { name: 'return_item', description: 'Use when the visitor wants to send an item back', examples: [] },
      { name: 'refund_item', description: 'Use when the visitor wants their money back for an item', examples: [] },
    ];
    const trained = trainRouter(twins, {}, embeddingsFor(twins, [DAMAGE, DAMAGE]));
    const result = routeWithModel(trained, 'this is not what I ordered', { embedding: message(DAMAGE) });
    expect(result.kind).toBe('ambiguous');
    expect(result.candidates.map((candidate) => candidate.action).sort()).toEqual(['refund_item', 'return_item']);
  });

  it('trains the same model from the same actions and embeddings, and it survives JSON', () => {
    const again = trainRouter(actions, {}, embeddingsFor(actions, meanings));
    expect(again).toEqual(model);
    const parsed = JSON.parse(JSON.stringify(model)) as typeof model;
    expect(routeWithModel(parsed, 'has my parcel left', { embedding: message(ORDERS) })).toEqual(
      routeWithModel(model, 'has my parcel left', { embedding: message(ORDERS) }),
    );
  });
});

describe('calibratedSimilarity', () => {
  it('maps unrelated cosines to 0, paraphrase cosines to 1 and the band between linearly', () => {
    expect(calibratedSimilarity(-0.3)).toBe(0);
    expect(calibratedSimilarity(UNRELATED_COSINE)).toBe(0);
    expect(calibratedSimilarity(SIMILAR_COSINE)).toBe(1);
    expect(calibratedSimilarity(0.99)).toBe(1);
    expect(calibratedSimilarity((UNRELATED_COSINE + SIMILAR_COSINE) / 2)).toBeCloseTo(0.5);
  });
});

describe('packVector', () => {
  it('carries a unit vector in one byte per component and unpacks it to unit length', () => {
    const vector = direction([0, 0.3], [3, -0.8], [5, 0.1]);
    const packed = packVector(vector);
    expect(packed.length).toBeLessThanOrEqual(Math.ceil(DIMENSION / 3) * 4);
    const unpacked = unpackVector(packed);
    expect(Math.hypot(...unpacked)).toBeCloseTo(1, 6);
    unpacked.forEach((value, d) => expect(value).toBeCloseTo(vector[d]!, 2));
  });
});

describe('descriptionCore', () => {
  it('drops the lead operators write before what the visitor wants', () => {
    expect(descriptionCore('Use when the visitor asks where their order is')).toBe('where their order is');
    expect(descriptionCore('Use this action if the customer wants to cancel a booking')).toBe('cancel a booking');
    expect(descriptionCore('Use when the visitor reports a problem with a delivery')).toBe('a problem with a delivery');
  });

  it('keeps descriptions without such a lead, and never empties one', () => {
    expect(descriptionCore('Check whether a product is in stock')).toBe('Check whether a product is in stock');
    expect(descriptionCore('user name')).toBe('user name');
    expect(descriptionCore('Use when the visitor asks ')).toBe('Use when the visitor asks ');
  });
});

describe('changing topic while a question is pending', () => {
  const subscribe = simpleAction({
    name: 'subscribe',
    description: 'Use when the visitor wants the newsletter',
    parameters: [{ name: 'email', type: 'email', prompt: 'What is your email address?' }],
  });
  const track = simpleAction({ name: 'track_order', description: 'Use when the visitor asks where their order is' });
  const NEWSLETTER = direction([3, 1]);
  const definitions = [subscribe, track];
  const routable = definitions.map(({ name, description, examples }) => ({ name, description, examples }));
  const catalog: ActionCatalog = {
    revision: 'r1',
    actions: definitions.map((definition) => ({ version: 1, definition })),
    router: trainRouter(routable, {}, embeddingsFor(routable, [NEWSLETTER, ORDERS])),
  };
  const NOW = '2026-11-24T12:00:00.000Z';
  const opened = openConversation(
    {
      chatbotId: 'acme',
      conversationId: 'c1',
      visitor: {},
      attributes: {},
      settings: { idleTimeoutMs: 60_000, greeting: null },
      buttons: [],
    },
    NOW,
  );
  let id = 0;
  const say = (state: ConversationState, text: string, vector: number[] | null) =>
    planTurn(state, { kind: 'message', messageId: `m${++id}`, text }, catalog, NOW, {
      route: null,
      extracted: null,
      embedding: vector && message(vector),
    });

  it('leaves a structured question for another action the message routes to, when routing understands meaning', () => {
    const asked = say(opened, 'sign me up', NEWSLETTER).state;
    expect(asked.pending?.asking).toBe('email');
    // Somewhat like tracking an order: routes, but below the bar for abandoning a free-text question.
    const switched = say(asked, 'has my parcel left?', direction([0, 1], [5, 3]));
    expect(switched.run?.action.name).toBe('track_order');
  });

  it('keeps asking when the message is a valid answer, or routing has no embedding to go by', () => {
    const asked = say(opened, 'sign me up', NEWSLETTER).state;
    expect(say(asked, 'ada@example.com', ORDERS).run?.action.name).toBe('subscribe');
    const reasked = say(asked, 'has my parcel left?', null);
    expect(reasked.run).toBeNull();
    expect(reasked.state.pending?.action.name).toBe('subscribe');
  });
});

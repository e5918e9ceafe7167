import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { createChatbotCache } from '../../api/chatbot-cache';
import type { Chatbot } from '../../shared/chatbot';

/** A store holding one chatbot whose catalogue revision the test changes, counting reads. */
function fakeStore() {
  const store = {
    revision: 'r1',
    reads: 0,
    /** Resolves the next read only when the test says so, when set. */
    gate: null as Promise<void> | null,
    async getChatbot(id: string): Promise<Chatbot | null> {
      store.reads += 1;
      const revision = store.revision;
      if (store.gate) await store.gate;
      return id === 'bot' ? ({ id, catalogRevision: revision } as Chatbot) : null;
    },
  };
  return store;
}

/** An admin request through the middleware: answers the function that sends its response. */
function adminWrite(cache: ReturnType<typeof createChatbotCache>, method: string, path: string) {
  const req = { method, path };
  const res = new EventEmitter();
  let passed = false;
  cache.watchWrites(req as unknown as Request, res as unknown as Response, () => (passed = true));
  expect(passed).toBe(true);
  return () => res.emit('finish');
}

describe('chatbot cache', () => {
  it('reads a chatbot once a second, negative answers included', async () => {
    let now = 0;
    const store = fakeStore();
    const cache = createChatbotCache(store, { clock: () => now });
    expect((await cache.get('bot'))?.catalogRevision).toBe('r1');
    expect(await cache.get('gone')).toBeNull();
    now = 999;
    await cache.get('bot');
    await cache.get('gone');
    expect(store.reads).toBe(2);
    now = 1000;
    await cache.get('bot');
    expect(store.reads).toBe(3);
  });

  it('answers what an admin write saved from the moment its response is sent, and while it runs', async () => {
    const store = fakeStore();
    const cache = createChatbotCache(store, { clock: () => 0 });
    await cache.get('bot');
    const respond = adminWrite(cache, 'PUT', '/v1/chatbots/bot/actions/ping');
    store.revision = 'r2';
    expect((await cache.get('bot'))?.catalogRevision).toBe('r2');
    respond();
    expect((await cache.get('bot'))?.catalogRevision).toBe('r2');
    expect(store.reads).toBe(3);
    await cache.get('bot');
    expect(store.reads).toBe(3);
  });

  it('does not keep a read that was under way when an admin write began', async () => {
    const store = fakeStore();
    const cache = createChatbotCache(store, { clock: () => 0 });
    let open = () => {};
    store.gate = new Promise((resolve) => (open = resolve));
    const stale = cache.get('bot');
    const respond = adminWrite(cache, 'PATCH', '/v1/chatbots/bot');
    store.revision = 'r2';
    respond();
    open();
    expect((await stale)?.catalogRevision).toBe('r1');
    store.gate = null;
    expect((await cache.get('bot'))?.catalogRevision).toBe('r2');
  });

  it('ignores reads', async () => {
    const store = fakeStore();
    const cache = createChatbotCache(store, { clock: () => 0 });
    await cache.get('bot');
    adminWrite(cache, 'GET', '/v1/chatbots/bot');
    adminWrite(cache, 'HEAD', '/v1/chatbots/bot');
    await cache.get('bot');
    expect(store.reads).toBe(1);
    adminWrite(cache, 'DELETE', '/v1/chatbots/bot');
    await cache.get('bot');
    expect(store.reads).toBe(2);
  });
});

import type { RequestHandler } from 'express';
import type { Store } from '../infrastructure/store';
import type { Chatbot } from '../shared/chatbot';

/** How long this process trusts a chatbot it read, unless an admin write in this process changes it sooner. */
export const CHATBOT_FRESH_MS = 1000;

const MAX_ENTRIES = 10_000;

/**
 * The chatbots this API process read lately, so that a visitor turn does not read its chatbot from MongoDB every
 * time (it needs the chatbot's call budget, turn deadline and catalogue revision).
 *
 * Freshness. In this process an admin write (anything but a read of the admin routes, seen by `watchWrites`, which
 * `createApp` mounts in front of them) forgets every chatbot when it starts and again when its response has gone, and while one is running every read
 * goes to the store and is not kept; a read that was under way when a write began is not kept either. So a turn
 * that starts after the write's response reads what the write saved: a conversation sees a saved action on its next
 * turn. Another API process learns of the write only when its copy is `freshMs` old: for up to that long (1 s) it
 * may admit turns with the previous settings and pass the previous catalogue revision, so a conversation talking to
 * it runs those turns on the previous catalogue, and a key or chatbot just changed or deleted may still start a
 * conversation there. The worker always loads the catalogue the revision names.
 */
export function createChatbotCache(
  store: Pick<Store, 'getChatbot'>,
  options: { freshMs?: number; clock?: () => number } = {},
) {
  const freshMs = options.freshMs ?? CHATBOT_FRESH_MS;
  const clock = options.clock ?? Date.now;
  const kept = new Map<string, { chatbot: Chatbot | null; readAt: number }>();
  /** Bumped by every admin write's start and end: a read that saw a change of generation is not kept. */
  let generation = 0;
  let writing = 0;

  function forgetAll(): void {
    generation += 1;
    kept.clear();
  }

  return {
    /** The chatbot (null when there is none), from memory when read lately and no admin write intervened. */
    async get(id: string): Promise<Chatbot | null> {
      const now = clock();
      const known = kept.get(id);
      if (known && writing === 0 && now - known.readAt < freshMs) return known.chatbot;
      const before = generation;
      const chatbot = await store.getChatbot(id);
      if (writing === 0 && generation === before) {
        if (kept.size >= MAX_ENTRIES && !kept.has(id)) kept.clear();
        kept.set(id, { chatbot, readAt: now });
      }
      return chatbot;
    },

    /**
     * Middleware in front of the admin routes (behind their authentication): marks each write, anything but a read,
     * from its start until its response has gone.
     */
    watchWrites: ((req, res, next) => {
      const isRead = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
      if (isRead) return next();
      writing += 1;
      forgetAll();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        writing -= 1;
        forgetAll();
      };
      res.once('finish', end);
      res.once('close', end);
      next();
    }) satisfies RequestHandler,
  };
}

/** The chatbot cache of one API process. */
export type ChatbotCache = ReturnType<typeof createChatbotCache>;

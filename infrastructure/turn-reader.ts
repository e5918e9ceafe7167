import type { ActionCatalog, Channel, RoutedText } from '../shared/conversation/state';
import { routeWithModel } from '../shared/understanding/routing';
import { packVector, type PackedVector } from '../shared/understanding/semantic';
import type { SentenceEncoder } from './encoder';
import type { Store } from './store';

/** Chatbots whose catalogue (with its trained router) a process keeps in memory. */
const CACHED_CATALOGS = 1_000;

/**
 * Reading what a visitor said, the same way in the API (as it admits a message) and in the worker (the
 * `understandTurn` local activity): the chatbot's catalogue at a revision, cached with its trained router, and the
 * routing of a text by that router with the sentence embedding behind semantic routing. The router stays in
 * process memory, out of workflow memory and history; only its answer is recorded.
 */
export function createTurnReader({
  store,
  encoder,
  onEncoderError,
}: {
  store: Store;
  encoder: SentenceEncoder | null;
  /** Told when the encoder fails; the text is then routed by its words alone. */
  onEncoderError: (error: Error) => void;
}) {
  const catalogs = new Map<string, ActionCatalog>();

  /** The chatbot's catalogue at `revision` (from memory when known), else its latest; null when it is gone. */
  async function catalogOf(chatbotId: string, revision: string | undefined): Promise<ActionCatalog | null> {
    const cached = catalogs.get(chatbotId);
    if (cached && revision !== undefined && cached.revision === revision) return cached;
    // The store brings definitions saved by an older Parley to the current schema as it reads them.
    const latest = await store.loadCatalog(chatbotId);
    catalogs.delete(chatbotId);
    if (!latest) return null;
    if (catalogs.size >= CACHED_CATALOGS) catalogs.delete(catalogs.keys().next().value as string);
    catalogs.set(chatbotId, latest);
    return latest;
  }

  async function embed(text: string): Promise<PackedVector | null> {
    if (!encoder) return null;
    try {
      const [vector] = await encoder.embed([text]);
      return vector ? { encoder: encoder.id, vector: packVector(vector) } : null;
    } catch (error) {
      onEncoderError(error as Error);
      return null;
    }
  }

  /**
   * How the catalogue's router for the conversation's channel routes `text`; null for catalogues without one (word
   * overlap among the channel's actions decides: catalogues published before routers, or before the email channel).
   */
  async function route(catalog: ActionCatalog, text: string, channel: Channel = 'chat'): Promise<RoutedText | null> {
    const router = channel === 'email' ? catalog.emailRouter : catalog.router;
    if (!router) return null;
    const embedding = router.semantic ? await embed(text) : null;
    return { text, result: routeWithModel(router, text, { embedding }), semantic: embedding !== null };
  }

  return { catalogOf, route };
}

/** Reads turns for the API and the worker. */
export type TurnReader = ReturnType<typeof createTurnReader>;

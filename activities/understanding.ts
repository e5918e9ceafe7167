import { ApplicationFailure, log } from '@temporalio/activity';
import { FailureType } from '../shared/failures';
import type { ActionCatalog, RoutedText } from '../shared/conversation/state';
import { routeWithModel } from '../shared/understanding/routing';
import type { PackedVector } from '../shared/understanding/semantic';
import { packVector } from '../shared/understanding/semantic';
import type { SentenceEncoder } from '../infrastructure/encoder';
import type { Store } from '../infrastructure/store';

/** Chatbots whose catalogue (with its trained router) a worker keeps in memory. */
const CACHED_CATALOGS = 1_000;

/** What a turn learns from the worker before the workflow plans it. */
export type TurnReading = {
  /** The chatbot's catalogue, without its router, when it differs from the revision the conversation holds. */
  catalog?: ActionCatalog;
  /** How the catalogue's trained router routes the event's text (absent: no text, or no trained router). */
  routed?: RoutedText;
};

/**
 * Activities that help the conversation understand visitors: the chatbot's catalogue and the routing of what the
 * visitor said, with the sentence embedding behind semantic routing. The trained router stays in the worker,
 * cached by catalogue revision, out of workflow memory and history.
 */
export function createUnderstandingActivities({ encoder, store }: { encoder: SentenceEncoder | null; store: Store }) {
  const catalogs = new Map<string, ActionCatalog>();

  /** The chatbot's catalogue at `revision` (from memory when known), else its latest. */
  async function catalogOf(chatbotId: string, revision: string | undefined): Promise<ActionCatalog> {
    const cached = catalogs.get(chatbotId);
    if (cached && revision !== undefined && cached.revision === revision) return cached;
    const latest = await store.loadCatalog(chatbotId);
    if (!latest) {
      throw ApplicationFailure.create({
        type: FailureType.chatbotNotFound,
        message: `chatbot ${chatbotId} no longer exists`,
        nonRetryable: true,
      });
    }
    // The store brings definitions saved by an older Parley to the current schema as it reads them.
    catalogs.delete(chatbotId);
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
      log.warn('sentence encoder failed; routing by words alone', { error: (error as Error).message });
      return null;
    }
  }

  return {
    /**
     * A visitor message's sentence embedding, packed small for history (so replays route exactly as the turn
     * did); null when this worker has no encoder installed, and the turn then routes by words alone. Used by
     * conversations recorded before `understandTurn`.
     */
    async embedText(input: { text: string }): Promise<PackedVector | null> {
      if (!encoder) return null;
      const [vector] = await encoder.embed([input.text]);
      return vector ? { encoder: encoder.id, vector: packVector(vector) } : null;
    },

    /**
     * What a turn needs from outside the workflow, in one local activity: the catalogue when it changed since
     * `knownRevision` (the API names the current `revision` with each event, so an unchanged one costs no
     * database read), and the routing of `text` by the catalogue's router.
     */
    async understandTurn(input: {
      chatbotId: string;
      knownRevision: string | null;
      revision?: string;
      text: string | null;
    }): Promise<TurnReading> {
      const { router, ...catalog } = await catalogOf(input.chatbotId, input.revision ?? input.knownRevision ?? undefined);
      const reading: TurnReading = catalog.revision === input.knownRevision ? {} : { catalog };
      if (input.text === null || !router) return reading;
      const embedding = router.semantic ? await embed(input.text) : null;
      const result = routeWithModel(router, input.text, { embedding });
      return { ...reading, routed: { text: input.text, result, semantic: embedding !== null } };
    },
  };
}

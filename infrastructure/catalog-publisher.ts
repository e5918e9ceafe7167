import { routableActions } from '../shared/conversation/catalog';
import { trainRouter } from '../shared/understanding/training';
import { embedTrainingTexts, type SentenceEncoder } from './encoder';
import type { Store } from './store';

/**
 * Publishing a chatbot's catalogue once its actions change: the router trained on its intent-triggered actions
 * (their texts embedded by the sentence encoder when there is one; the encoder caches texts, so re-saving one
 * action embeds only its own) and a new catalogue revision, which the API names with each visitor event so
 * running conversations pick the change up on their next turn.
 */
export function createCatalogPublisher({ store, encoder }: { store: Store; encoder: SentenceEncoder | null }) {
  return {
    async publish(chatbotId: string): Promise<void> {
      const stored = await store.listActions(chatbotId);
      const routable = routableActions({
        revision: '',
        actions: stored.map(({ version, definition }) => ({ version, definition })),
      });
      const actionsToRoute = routable.map(({ name, description, examples }) => ({ name, description, examples }));
      const embeddings = encoder ? await embedTrainingTexts(encoder, actionsToRoute) : null;
      await store.publishCatalog(chatbotId, trainRouter(actionsToRoute, {}, embeddings));
    },
  };
}

/** Publishes catalogues after their actions change. */
export type CatalogPublisher = ReturnType<typeof createCatalogPublisher>;

import { routableActions } from '../shared/conversation/catalog';
import type { Channel } from '../shared/conversation/state';
import { trainRouter } from '../shared/understanding/training';
import { embedTrainingTexts, type SentenceEncoder } from './encoder';
import type { Store } from './store';

/**
 * Publishing a chatbot's catalogue once its actions change: a router per channel trained on the intent-triggered
 * actions offered there
 * (their texts embedded by the sentence encoder when there is one; the encoder caches texts, so re-saving one
 * action embeds only its own) and a new catalogue revision, which the API names with each visitor event so
 * running conversations pick the change up on their next turn.
 */
export function createCatalogPublisher({ store, encoder }: { store: Store; encoder: SentenceEncoder | null }) {
  return {
    async publish(chatbotId: string): Promise<void> {
      const stored = await store.listActions(chatbotId);
      const catalog = { revision: '', actions: stored.map(({ version, definition }) => ({ version, definition })) };
      const train = async (channel: Channel) => {
        const routable = routableActions(catalog, channel);
        const actionsToRoute = routable.map(({ name, description, examples }) => ({ name, description, examples }));
        const embeddings = encoder ? await embedTrainingTexts(encoder, actionsToRoute) : null;
        return trainRouter(actionsToRoute, {}, embeddings);
      };
      // Each channel routes among its own actions; a chatbot without email actions has no email router.
      const byEmail = routableActions(catalog, 'email').length > 0;
      await store.publishCatalog(chatbotId, await train('chat'), byEmail ? await train('email') : null);
    },
  };
}

/** Publishes catalogues after their actions change. */
export type CatalogPublisher = ReturnType<typeof createCatalogPublisher>;

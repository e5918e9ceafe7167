import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../shared/failures';
import type { ActionCatalog } from '../shared/conversation/state';
import type { Store } from '../infrastructure/store';

/** Activities that read chatbot data for conversations. */
export function createCatalogActivities({ store }: { store: Store }) {
  return {
    /**
     * The chatbot's action catalogue, sent only when its revision differs from the one the conversation
     * already holds, so unchanged catalogues cost a few bytes of history per turn.
     */
    async loadCatalog(input: {
      chatbotId: string;
      knownRevision: string | null;
    }): Promise<{ changed: false } | { changed: true; catalog: ActionCatalog }> {
      const catalog = await store.loadCatalog(input.chatbotId);
      if (!catalog) {
        throw ApplicationFailure.create({
          type: FailureType.chatbotNotFound,
          message: `chatbot ${input.chatbotId} no longer exists`,
          nonRetryable: true,
        });
      }
      // Conversations of this path are chats: the email router stays out of their history.
      const { emailRouter: _emailRouter, ...forChat } = catalog;
      return catalog.revision === input.knownRevision ? { changed: false } : { changed: true, catalog: forChat };
    },
  };
}

import { ApplicationFailure, log } from '@temporalio/activity';
import { FailureType } from '../shared/failures';
import type { ActionCatalog, Channel, RoutedText } from '../shared/conversation/state';
import type { PackedVector } from '../shared/understanding/semantic';
import { packVector } from '../shared/understanding/semantic';
import type { SentenceEncoder } from '../infrastructure/encoder';
import type { Store } from '../infrastructure/store';
import { createTurnReader } from '../infrastructure/turn-reader';

/** What a turn learns from the worker before the workflow plans it. */
export type TurnReading = {
  /** The chatbot's catalogue, without its routers, when it differs from the revision the conversation holds. */
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
  const reader = createTurnReader({
    store,
    encoder,
    onEncoderError: (error) => log.warn('sentence encoder failed; routing by words alone', { error: error.message }),
  });

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
      /** The conversation's channel, whose router routes the text (absent: chat). */
      channel?: Channel;
    }): Promise<TurnReading> {
      const latest = await reader.catalogOf(input.chatbotId, input.revision ?? input.knownRevision ?? undefined);
      if (!latest) {
        throw ApplicationFailure.create({
          type: FailureType.chatbotNotFound,
          message: `chatbot ${input.chatbotId} no longer exists`,
          nonRetryable: true,
        });
      }
      const { router: _router, emailRouter: _emailRouter, ...catalog } = latest;
      const reading: TurnReading = catalog.revision === input.knownRevision ? {} : { catalog };
      const routed = input.text === null ? null : await reader.route(latest, input.text, input.channel);
      return routed ? { ...reading, routed } : reading;
    },
  };
}

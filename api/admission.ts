/**
 * Per-chatbot admission of visitor turns in this API process: at most `perChatbot` at once for each chatbot.
 * A turn over a chatbot's share is refused at once (the caller answers 429), never queued, so a flood on one
 * chatbot cannot fill the worker's queues ahead of every other chatbot's visitors.
 */
export function createTurnAdmission(perChatbot: number) {
  const running = new Map<string, number>();
  return {
    /** Enters a turn for the chatbot: the function that leaves it, or null when the chatbot is at its share. */
    enter(chatbotId: string): (() => void) | null {
      const now = running.get(chatbotId) ?? 0;
      if (now >= perChatbot) return null;
      running.set(chatbotId, now + 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        const after = (running.get(chatbotId) ?? 1) - 1;
        if (after <= 0) running.delete(chatbotId);
        else running.set(chatbotId, after);
      };
    },
    /** Turns running now for a chatbot. */
    running: (chatbotId: string) => running.get(chatbotId) ?? 0,
  };
}

/** The turn admission of one API process. */
export type TurnAdmission = ReturnType<typeof createTurnAdmission>;

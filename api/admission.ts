/**
 * Fair admission of visitor turns in this API process. Each chatbot may run at most `perChatbot` turns at once;
 * while `total` turns are running, a chatbot may start another only if it runs fewer than its fair share
 * (`total` divided among the chatbots with turns running). A refused turn is answered 429 at once, never
 * queued, so a flood on one chatbot — or on many — cannot fill the worker's queues ahead of other chatbots'
 * visitors, and a chatbot alone may still use the whole capacity up to its own cap.
 */
export function createTurnAdmission(limits: { total: number; perChatbot: number }) {
  const running = new Map<string, number>();
  let total = 0;
  return {
    /** Enters a turn for the chatbot: the function that leaves it, or null when the chatbot is over its share. */
    enter(chatbotId: string): (() => void) | null {
      const mine = running.get(chatbotId) ?? 0;
      if (mine >= limits.perChatbot) return null;
      if (total >= limits.total) {
        const active = running.size + (mine === 0 ? 1 : 0);
        if (mine >= Math.max(1, Math.floor(limits.total / active))) return null;
      }
      running.set(chatbotId, mine + 1);
      total += 1;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        total -= 1;
        const after = (running.get(chatbotId) ?? 1) - 1;
        if (after <= 0) running.delete(chatbotId);
        else running.set(chatbotId, after);
      };
    },
    /** Turns running now, for one chatbot or for all. */
    running: (chatbotId?: string) => (chatbotId === undefined ? total : (running.get(chatbotId) ?? 0)),
  };
}

/** The turn admission of one API process. */
export type TurnAdmission = ReturnType<typeof createTurnAdmission>;

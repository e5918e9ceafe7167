/** Ids are business keys: opaque, URL-safe, never personal data. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The Temporal workflow id of a conversation. */
export function conversationWorkflowId(chatbotId: string, conversationId: string): string {
  return `conversation:${chatbotId}:${conversationId}`;
}

/** Idempotency key for one step of one turn: identical across retries, different across turns. */
export function idempotencyKey(conversationId: string, turn: number, stepId: string): string {
  return `parley-${conversationId}-${turn}-${stepId}`;
}

import type { Request } from 'express';
import type { ConversationRecord, Store } from '../infrastructure/store';
import { conversationWorkflowId } from '../shared/ids';
import { bearerToken, hashToken, sameSecret } from './auth';
import { ApiError } from './errors';
import type { TemporalDeps } from './temporal';

/** Conversation records an API process keeps in memory (about 200 bytes each). */
const KNOWN_CONVERSATIONS = 20_000;

/**
 * Who may reach a conversation: its record (remembered, since records never change once written — a visitor's
 * turn, admitted or refused, then costs no database read to find whose it is) and the visitor's conversation token.
 */
export function createConversationAccess(deps: { store: Store; temporal: TemporalDeps }) {
  const known = new Map<string, ConversationRecord>();

  async function record(id: string): Promise<ConversationRecord | null> {
    const remembered = known.get(id);
    if (remembered) return remembered;
    const found = await deps.store.getConversation(id);
    if (found) {
      if (known.size >= KNOWN_CONVERSATIONS) known.delete(known.keys().next().value as string);
      known.set(id, found);
    }
    return found;
  }

  const withHandle = (found: ConversationRecord) => ({
    record: found,
    handle: deps.temporal.client.workflow.getHandle(conversationWorkflowId(found.chatbotId, found.id)),
  });

  return {
    record,

    /** The conversation whose token the request carries (Authorization: Bearer), with its workflow handle. */
    async authorized(req: Request) {
      const id = String(req.params['id']);
      const token = bearerToken(req);
      if (!token) {
        throw new ApiError('unauthorized', 'conversation routes need Authorization: Bearer <conversation token>');
      }
      const found = await record(id);
      if (!found || !sameSecret(hashToken(token), found.tokenHash)) {
        throw new ApiError('not_found', 'conversation not found, or the token does not belong to it');
      }
      return withHandle(found);
    },

    /** A conversation the caller was already let into (by a stream token), with its workflow handle. */
    async byId(id: string) {
      const found = await record(id);
      if (!found) throw new ApiError('not_found', 'conversation not found');
      return withHandle(found);
    },
  };
}

export type ConversationAccess = ReturnType<typeof createConversationAccess>;

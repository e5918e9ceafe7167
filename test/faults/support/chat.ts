import { randomUUID } from 'node:crypto';
import type { ApiAnswer, FaultStack } from './stack';
import { waitFor } from './wait';

/** A transcript entry as `GET /v1/conversations/:id/messages` answers it. */
export type TranscriptEntry = { seq: number; from: string; message: { type: string; text?: string } };

/** What the upstream's job answers, said verbatim by the action's reply. */
export const TICKET_REPLY = /^Ticket T-\d+ is open\.$/;

/** The chatbot's reply when the ticket step fails for good: the suite requires it never be said. */
export const TICKET_FAILED = 'Sorry, the ticket system failed.';

/**
 * An action whose one POST step calls the upstream (which holds it while its job runs): a 35 s step timeout, the
 * one the authors killed workers under, and retries that reuse the step's Idempotency-Key.
 */
export function openTicketAction(upstreamUrl: string) {
  return {
    name: 'open_ticket',
    description: 'Open a support ticket for the visitor',
    examples: ['open a ticket', 'I need a support ticket'],
    steps: [
      {
        id: 'create',
        request: { method: 'POST', url: `${upstreamUrl}/tickets`, body: { subject: '{{user_message}}' } },
        timeoutMs: 35_000,
        retry: { maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2 },
        onError: { then: 'stop', reply: TICKET_FAILED },
      },
    ],
  };
}

/** A chatbot created through the admin API, with its publishable key. */
export type Chatbot = { id: string; key: string };

/** A conversation started through the chat API. */
export type Conversation = { id: string; chatbotId: string; token: string; opening: unknown[] };

/** The chat and admin API as a widget and an operator use it, over a fault stack. */
export function chatClient(stack: FaultStack) {
  const chat = {
    /** Creates a chatbot with the open_ticket action through the admin API. */
    async createChatbot(upstreamUrl: string, settings: Record<string, unknown> = {}): Promise<Chatbot> {
      const id = `faults-${randomUUID().slice(0, 8)}`;
      const created = await stack.admin('POST', '/v1/chatbots', { id, name: 'Fault bot', ...settings });
      if (created.status !== 201) throw new Error(`creating a chatbot answered ${created.status}`);
      const action = await stack.admin('PUT', `/v1/chatbots/${id}/actions/open_ticket`, openTicketAction(upstreamUrl));
      if (action.status !== 201) throw new Error(`saving the action answered ${action.status}`);
      return { id, key: String(created.body['publishableKey']) };
    },

    /** `POST /v1/chatbots/:botId/conversations`, as is. */
    requestStart(bot: Chatbot, timeoutMs?: number): Promise<ApiAnswer> {
      return stack.call('POST', `/v1/chatbots/${bot.id}/conversations`, {
        body: {},
        headers: { 'x-parley-key': bot.key },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    },

    /** The conversation a start answered (fails on anything but 201). */
    started(bot: Chatbot, answer: ApiAnswer): Conversation {
      if (answer.status !== 201) throw new Error(`the start answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const { conversationId, token, messages } = answer.body as {
        conversationId: string;
        token: string;
        messages: [];
      };
      return { id: conversationId, chatbotId: bot.id, token, opening: messages };
    },

    async start(bot: Chatbot): Promise<Conversation> {
      return chat.started(bot, await chat.requestStart(bot));
    },

    /** `POST /v1/conversations/:id/messages` with a messageId, as is. */
    send(conversation: Conversation, text: string, messageId: string, timeoutMs?: number): Promise<ApiAnswer> {
      return stack.call('POST', `/v1/conversations/${conversation.id}/messages`, {
        body: { text, messageId },
        headers: { authorization: `Bearer ${conversation.token}` },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    },

    /** The text of every bot message an answer carries. */
    said(answer: ApiAnswer): string[] {
      const messages = (answer.body['messages'] ?? []) as { type: string; text?: string }[];
      return messages.map((message) => message.text ?? `[${message.type}]`);
    },

    async transcript(conversation: Conversation): Promise<TranscriptEntry[]> {
      const answer = await stack.call('GET', `/v1/conversations/${conversation.id}/messages`, {
        headers: { authorization: `Bearer ${conversation.token}` },
        timeoutMs: 5_000,
      });
      if (answer.status !== 200) throw new Error(`the transcript answered ${answer.status}`);
      return answer.body['messages'] as TranscriptEntry[];
    },

    /** The transcript as `from: text` lines. */
    async lines(conversation: Conversation): Promise<string[]> {
      return (await chat.transcript(conversation)).map((entry) => `${entry.from}: ${entry.message.text ?? ''}`);
    },

    /** Waits until a bot message matching `pattern` is in the transcript; answers when it was seen (ms epoch). */
    async replyInTranscript(conversation: Conversation, pattern: RegExp, timeoutMs: number): Promise<number> {
      await waitFor(
        `a bot message matching ${pattern} in ${conversation.id}'s transcript`,
        async () =>
          (await chat.transcript(conversation)).some(
            (entry) => entry.from === 'bot' && pattern.test(entry.message.text ?? ''),
          ),
        { timeoutMs, intervalMs: 100 },
      );
      return Date.now();
    },

    /** The call log of the open_ticket action, one conversation's entries, by attempt. */
    async callLog(conversation: Conversation): Promise<{ attempt: number; outcome?: string; status: number | null }[]> {
      const answer = await stack.admin(
        'GET',
        `/v1/chatbots/${conversation.chatbotId}/actions/open_ticket/logs?limit=200`,
        undefined,
        5_000,
      );
      if (answer.status !== 200) throw new Error(`the call log answered ${answer.status}`);
      const logs = answer.body['logs'] as {
        conversationId: string;
        attempt: number;
        outcome?: string;
        status: number;
      }[];
      return logs
        .filter((entry) => entry.conversationId === conversation.id)
        .map(({ attempt, outcome, status }) => ({ attempt, outcome, status }))
        .sort((a, b) => a.attempt - b.attempt);
    },

    /** `POST /v1/conversations/:id/close`. */
    close(conversation: Conversation): Promise<ApiAnswer> {
      return stack.call('POST', `/v1/conversations/${conversation.id}/close`, {
        body: {},
        headers: { authorization: `Bearer ${conversation.token}` },
      });
    },
  };
  return chat;
}
export type ChatClient = ReturnType<typeof chatClient>;

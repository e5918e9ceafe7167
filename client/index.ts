import type {
  AcceptedResponse,
  ButtonClickBody,
  CloseBody,
  ErrorBody,
  LeadBody,
  SendMessageBody,
  StartConversationBody,
  StartConversationResponse,
  StreamTokenResponse,
  TranscriptResponse,
  TurnResponse,
} from '../shared/chat-api';

/**
 * A typed client for Parley's chat API, for chat frontends (browsers and Node 20+): global `fetch` only, no
 * dependencies. Its types are inferred from the zod schemas the API validates with (shared/chat-api.ts).
 *
 * Every visitor event carries a `messageId` (made here when the caller gives none), and an event that meets a
 * network error or a 503 is sent again with the same id after the server's Retry-After: the conversation answers a
 * repeated id with its first reply, so a retry never runs a turn twice.
 */

export type { BotMessage, Button, TranscriptEntry } from '../shared/messages';
export type {
  ButtonClickBody,
  CloseBody,
  LeadBody,
  SendMessageBody,
  StartConversationBody,
  StartConversationResponse,
  StreamTokenResponse,
  TranscriptResponse,
  TurnResponse,
} from '../shared/chat-api';

/** What a conversation's calls need: its id and the token its start answered. */
export type ConversationRef = { conversationId: string; token: string };

/** A retry about to happen: which attempt failed, why, and how long the client waits before the next. */
export type RetryNotice = {
  attempt: number;
  messageId: string;
  delayMs: number;
  error: ParleyApiError | ParleyNetworkError;
};

/** How to reach Parley and how patient to be. */
export type ParleyClientOptions = {
  /** The API's origin, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** How many times an event is sent again after a network error or a 503 (default 3). */
  retries?: number;
  /** The wait before a retry when the server names none (doubling each time; default 500 ms). */
  retryDelayMs?: number;
  /** The longest wait before a retry, whatever Retry-After says (default 30 s). */
  maxRetryDelayMs?: number;
  /** Called before each retry (e.g. to show "reconnecting…"). */
  onRetry?: (notice: RetryNotice) => void;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
};

/** An error answer of the API: its HTTP status, the API's error code and message, and Retry-After in seconds. */
export class ParleyApiError extends Error {
  override readonly name = 'ParleyApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the API asked the client to wait (429, 503), else null. */
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }
}

/** The API could not be reached, or the connection broke before it answered. */
export class ParleyNetworkError extends Error {
  override readonly name = 'ParleyNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Retry-After in seconds, from either of its forms (seconds, or an HTTP date); null when absent or unreadable. */
function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

async function errorOf(response: Response): Promise<ParleyApiError> {
  const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
  const body = (await response.json().catch(() => null)) as Partial<ErrorBody> | null;
  const code = typeof body?.error?.code === 'string' ? body.error.code : 'http_error';
  const message = typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${response.status}`;
  return new ParleyApiError(response.status, code, message, retryAfter);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A new id for a visitor event: a UUID, also where `crypto.randomUUID` is missing (browsers offer it only in secure
 * contexts, https or localhost) — then 128 random bits from `crypto.getRandomValues`, as hex.
 */
export function newMessageId(): string {
  const { crypto } = globalThis;
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Builds a client for one Parley API. */
export function createParleyClient(options: ParleyClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  const send = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));

  async function call<T>(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown) {
    let response: Response;
    try {
      response = await send(`${baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ParleyNetworkError(`could not reach Parley at ${baseUrl}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!response.ok) throw await errorOf(response);
    return (await response.json()) as T;
  }

  const bearer = (conversation: ConversationRef) => ({ authorization: `Bearer ${conversation.token}` });

  /**
   * Sends a visitor event with its message id, again after a network error or a 503 (waiting Retry-After, or a
   * doubling delay), at most `retries` more times; any other error is thrown at once.
   */
  async function idempotent<T>(path: string, conversation: ConversationRef, body: { messageId: string }): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call<T>('POST', path, bearer(conversation), body);
      } catch (error) {
        const retriable =
          error instanceof ParleyNetworkError || (error instanceof ParleyApiError && error.status === 503);
        if (!retriable || attempt > retries) throw error;
        const serverSays = error instanceof ParleyApiError ? error.retryAfterSeconds : null;
        const delayMs = Math.min(
          serverSays !== null ? serverSays * 1000 : retryDelayMs * 2 ** (attempt - 1),
          maxRetryDelayMs,
        );
        options.onRetry?.({ attempt, messageId: body.messageId, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  const conversationPath = (conversation: ConversationRef, rest: string) =>
    `/v1/conversations/${encodeURIComponent(conversation.conversationId)}/${rest}`;

  return {
    /**
     * Starts a conversation with the chatbot's publishable key; answers its id, its token (keep it: it is returned
     * only once) and the messages it opens with. Not retried: a retry would start a second conversation.
     */
    startConversation(
      chatbotId: string,
      publishableKey: string,
      body: StartConversationBody = {},
    ): Promise<StartConversationResponse> {
      return call(
        'POST',
        `/v1/chatbots/${encodeURIComponent(chatbotId)}/conversations`,
        { 'x-parley-key': publishableKey },
        body,
      );
    },

    /**
     * Sends a visitor's message and answers the bot's messages for that turn, with the message id used (the
     * caller's, or a new UUID). Retried with the same id after a network error or a 503, so it runs once.
     */
    async sendMessage(
      conversation: ConversationRef,
      message: SendMessageBody,
    ): Promise<TurnResponse & { messageId: string }> {
      const messageId = message.messageId ?? newMessageId();
      const answer = await idempotent<TurnResponse>(conversationPath(conversation, 'messages'), conversation, {
        ...message,
        messageId,
      });
      return { ...answer, messageId };
    },

    /** Presses a button or quick reply (its `payload`); its replies join the transcript. Retried like messages. */
    clickButton(conversation: ConversationRef, click: ButtonClickBody): Promise<AcceptedResponse> {
      return idempotent(conversationPath(conversation, 'buttons'), conversation, {
        ...click,
        messageId: click.messageId ?? newMessageId(),
      });
    },

    /** Submits the lead form (an email or a phone number at least); retried like messages. */
    submitLead(conversation: ConversationRef, lead: LeadBody): Promise<AcceptedResponse> {
      return idempotent(conversationPath(conversation, 'lead'), conversation, {
        ...lead,
        messageId: lead.messageId ?? newMessageId(),
      });
    },

    /** The transcript after a sequence number (default: all of it), oldest first. */
    async transcript(conversation: ConversationRef, after = 0): Promise<TranscriptResponse['messages']> {
      const answer = await call<TranscriptResponse>(
        'GET',
        conversationPath(conversation, `messages?after=${after}`),
        bearer(conversation),
      );
      return answer.messages;
    },

    /**
     * The URL of the conversation's live event stream (Server-Sent Events of the bot's messages), with a
     * short-lived stream token in it, for `new EventSource(url)`; `after` resumes after a transcript `seq`.
     */
    async eventStreamUrl(conversation: ConversationRef, after?: number): Promise<string> {
      const { token } = await call<StreamTokenResponse>(
        'POST',
        conversationPath(conversation, 'stream-token'),
        bearer(conversation),
      );
      const query = new URLSearchParams({ token, ...(after === undefined ? {} : { after: String(after) }) });
      return `${baseUrl}${conversationPath(conversation, `events?${query.toString()}`)}`;
    },

    /** Ends the conversation. */
    close(conversation: ConversationRef, body: CloseBody = {}): Promise<AcceptedResponse> {
      return call('POST', conversationPath(conversation, 'close'), bearer(conversation), body);
    },
  };
}

/** A Parley chat API client. */
export type ParleyClient = ReturnType<typeof createParleyClient>;

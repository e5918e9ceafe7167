import { renderEmailBody } from '../email/render';
import type { TranscriptEntry } from '../messages';

/**
 * A conversation held by email, decided: the thread it answers (who, from which inbox, under what subject, and the
 * Message-IDs that thread the next reply), what of the transcript has not been emailed yet, and the reply that
 * carries it with its threading headers. Pure: the workflow sends what this composes with an activity.
 */

/** How many Message-IDs a reply's References keep: the thread's first, and the latest ones. */
export const MAX_REFERENCES = 20;

/** An email conversation's thread; carried in the conversation's state across continue-as-new. */
export type EmailThread = {
  /** The visitor's address: replies go there. */
  visitor: string;
  /** The address the visitor wrote to: replies come from it unless Parley sets PARLEY_EMAIL_FROM. */
  inbox: string;
  /** The thread's subject without `Re:` prefixes. */
  subject: string;
  /** The Message-ID of the latest email the visitor sent (null until the first one's turn starts). */
  lastMessageId: string | null;
  /** The thread's Message-IDs, oldest first (the next reply's References). */
  references: string[];
  /** The last transcript line sent by email. */
  sentThrough: number;
};

/** What the API tells the conversation of an email with the visitor's message in it. */
export type InboundEmailRef = { messageId: string; references: string[] };

/** A reply ready to send: addresses, threading headers and both bodies. */
export type OutgoingEmail = {
  chatbotId: string;
  conversationId: string;
  to: string;
  /** Replies come from this address unless Parley is configured with PARLEY_EMAIL_FROM. */
  inbox: string;
  subject: string;
  messageId: string;
  inReplyTo: string;
  references: string[];
  text: string;
  html: string;
};

/** The part of a conversation's state the email functions read and write. */
type EmailHolder = {
  chatbotId: string;
  conversationId: string;
  transcript: TranscriptEntry[];
  nextSeq: number;
  email?: EmailThread;
};

/** Subject prefixes of replies and forwards, in the languages mail clients write them. */
const REPLY_PREFIX = /^\s*(re|aw|sv|vs|antw|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*/i;

/** A subject without its `Re:`/`Fwd:` prefixes (at most ten are removed). */
export function threadSubject(subject: string): string {
  let rest = subject.trim();
  for (let i = 0; i < 10 && REPLY_PREFIX.test(rest); i += 1) rest = rest.replace(REPLY_PREFIX, '');
  return rest.trim();
}

/** The subject of a reply in the thread. */
export function replySubject(subject: string): string {
  return `Re: ${subject || 'your message'}`;
}

/** A new email thread, before the visitor's first email is taken. */
export function startEmailThread(visitor: string, inbox: string, subject: string): EmailThread {
  return { visitor, inbox, subject: threadSubject(subject), lastMessageId: null, references: [], sentThrough: 0 };
}

/** Keeps the thread's first Message-ID and its latest ones, at most MAX_REFERENCES, each once. */
function boundedReferences(ids: string[]): string[] {
  const unique = [...new Set(ids)];
  if (unique.length <= MAX_REFERENCES) return unique;
  return [unique[0] as string, ...unique.slice(-(MAX_REFERENCES - 1))];
}

/** The thread once the visitor's email is taken: the next reply answers it. */
export function emailArrived<S extends EmailHolder>(state: S, inbound: InboundEmailRef): S {
  const thread = state.email;
  if (!thread) return state;
  const references = boundedReferences([...thread.references, ...inbound.references, inbound.messageId]);
  return { ...state, email: { ...thread, lastMessageId: inbound.messageId, references } };
}

/** The lines of the bot and of agents that have not been emailed yet. */
function unsent(state: EmailHolder): TranscriptEntry[] {
  const thread = state.email;
  if (!thread) return [];
  return state.transcript.filter((entry) => entry.seq > thread.sentThrough && entry.from !== 'visitor');
}

/**
 * Whether an email is due: the conversation is held by email, the visitor has written, and the bot (or an agent)
 * has said something since the last reply. The workflow also waits until no turn is running, so one turn is one
 * email.
 */
export function emailDue(state: EmailHolder): boolean {
  return state.email?.lastMessageId != null && unsent(state).length > 0;
}

/** The domain Parley's Message-IDs use: the inbox's. */
function messageIdDomain(inbox: string): string {
  const at = inbox.lastIndexOf('@');
  return at >= 0 && at < inbox.length - 1 ? inbox.slice(at + 1) : 'parley.invalid';
}

/**
 * The reply that carries what has not been emailed, threaded under the visitor's latest email (In-Reply-To, the
 * thread's References, `Re:` subject), with a Message-ID of its own that names the conversation and the last line
 * it carries; and the state with it counted as sent and its Message-ID in the thread. Null when nothing is due.
 */
export function nextEmail<S extends EmailHolder>(state: S): { email: OutgoingEmail; state: S } | null {
  const thread = state.email;
  if (!thread?.lastMessageId || !emailDue(state)) return null;
  const through = state.nextSeq - 1;
  const body = renderEmailBody(unsent(state).map((entry) => entry.message));
  const messageId = `<parley.${state.conversationId}.${through}@${messageIdDomain(thread.inbox)}>`;
  const email: OutgoingEmail = {
    chatbotId: state.chatbotId,
    conversationId: state.conversationId,
    to: thread.visitor,
    inbox: thread.inbox,
    subject: replySubject(thread.subject),
    messageId,
    inReplyTo: thread.lastMessageId,
    references: thread.references,
    text: body.text,
    html: body.html,
  };
  const references = boundedReferences([...thread.references, messageId]);
  return { email, state: { ...state, email: { ...thread, sentThrough: through, references } } };
}

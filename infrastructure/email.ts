import type { Db } from 'mongodb';
import type { OutgoingEmail } from '../shared/conversation/email';
import type { MailTransport } from './alerts';

/**
 * The email channel's infrastructure: which conversation each Message-ID of a thread belongs to (the visitor's
 * emails and Parley's replies, so a reply to either continues the conversation), and sending replies by SMTP with
 * their threading headers. Reads and writes single documents by `_id` only.
 */

/** One Message-ID of a chatbot's email threads: the conversation it belongs to and the visitor's address. */
type EmailMessageDoc = { _id: string; conversationId: string; visitor: string; at: string };

/** Where a Message-ID of a thread leads. */
export type ThreadMessage = { messageId: string; conversationId: string; visitor: string };

/** What the email channel is built from (config, once). */
export type EmailChannelOptions = {
  db: Db;
  /** The SMTP transport (PARLEY_SMTP_URL); null: no email can be answered. */
  transport: MailTransport | null;
  /** Replies' From (PARLEY_EMAIL_FROM); null: the address the visitor wrote to. */
  from: string | null;
  /** How long an email conversation waits for the visitor's next email before it closes. */
  idleTimeoutMinutes: number;
  clock?: () => Date;
};

/** Raised when the SMTP server refuses a reply for good (a 5xx answer): sending it again will not help. */
export class EmailRejectedError extends Error {
  override readonly name = 'EmailRejectedError';
}

const key = (chatbotId: string, messageId: string) => `${chatbotId}:${messageId}`;

/** Creates the email channel over the database and the SMTP transport. */
export function createEmailChannel({
  db,
  transport,
  from,
  idleTimeoutMinutes,
  clock = () => new Date(),
}: EmailChannelOptions) {
  const messages = db.collection<EmailMessageDoc>('email_messages');

  /** Records that a Message-ID belongs to a conversation (again: the latest conversation wins). */
  async function remember(chatbotId: string, message: ThreadMessage): Promise<void> {
    await messages.updateOne(
      { _id: key(chatbotId, message.messageId) },
      { $set: { conversationId: message.conversationId, visitor: message.visitor, at: clock().toISOString() } },
      { upsert: true },
    );
  }

  return {
    /** Whether replies can be sent at all (an SMTP server is configured). */
    configured: transport !== null,
    idleTimeoutMinutes,
    remember,

    /** Where the given Message-IDs of a chatbot's threads lead, for those Parley knows. */
    async lookup(chatbotId: string, messageIds: string[]): Promise<ThreadMessage[]> {
      if (messageIds.length === 0) return [];
      const docs = await messages.find({ _id: { $in: messageIds.map((id) => key(chatbotId, id)) } }).toArray();
      return docs.map((doc) => ({
        messageId: doc._id.slice(chatbotId.length + 1),
        conversationId: doc.conversationId,
        visitor: doc.visitor,
      }));
    },

    /**
     * Sends a reply: its Message-ID is recorded first (a visitor answering it continues the conversation), then it
     * goes out From PARLEY_EMAIL_FROM or the inbox the visitor wrote to, marked `Auto-Submitted: auto-replied` so
     * other robots do not answer it. Throws EmailRejectedError when the server refuses it for good.
     */
    async sendReply(email: OutgoingEmail): Promise<{ messageId: string; accepted: number }> {
      if (!transport) throw new Error('no SMTP server is configured (PARLEY_SMTP_URL)');
      await remember(email.chatbotId, {
        messageId: email.messageId,
        conversationId: email.conversationId,
        visitor: email.to,
      });
      try {
        const info = await transport.sendMail({
          from: from ?? email.inbox,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          inReplyTo: email.inReplyTo,
          references: email.references,
          headers: { 'Auto-Submitted': 'auto-replied' },
        });
        return { messageId: email.messageId, accepted: info.accepted.length };
      } catch (error) {
        const code = (error as { responseCode?: number }).responseCode;
        if (code !== undefined && code >= 500) throw new EmailRejectedError((error as Error).message);
        throw error;
      }
    },
  };
}

/** The email channel's store and sender. */
export type EmailChannel = ReturnType<typeof createEmailChannel>;

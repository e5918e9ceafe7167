import { ApplicationFailure } from '@temporalio/activity';
import { EmailRejectedError, type EmailChannel } from '../infrastructure/email';
import type { OutgoingEmail } from '../shared/conversation/email';
import { FailureType } from '../shared/failures';

/** The email channel's activity: a conversation's reply, sent by SMTP (infrastructure/email.ts). */
export function createEmailActivities({ email }: { email: EmailChannel }) {
  return {
    /**
     * Sends an email conversation's reply with its threading headers. Without an SMTP server it fails for good
     * (EmailNotConfigured), as it does when the server refuses the reply; anything else is retried.
     */
    async sendEmailReply(input: OutgoingEmail): Promise<{ messageId: string; accepted: number }> {
      if (!email.configured) {
        throw ApplicationFailure.create({
          type: FailureType.emailNotConfigured,
          message: 'an email reply is due but this worker has no SMTP server (PARLEY_SMTP_URL)',
          nonRetryable: true,
        });
      }
      try {
        return await email.sendReply(input);
      } catch (error) {
        if (!(error instanceof EmailRejectedError)) throw error;
        throw ApplicationFailure.create({
          type: FailureType.emailRejected,
          message: `the SMTP server refused the reply: ${error.message}`,
          nonRetryable: true,
        });
      }
    },
  };
}

import { FailureType } from '../shared/failures';
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { HandoffEvent } from '../shared/conversation/handoff';
import type { Egress } from '../infrastructure/egress';

const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * The handoff activity: posts a `handoff.requested` event to the chatbot's handoff webhook, through the same
 * SSRF-safe egress as actions, so the operator's helpdesk can page a person. Failures are retried by Temporal.
 */
export function createHandoffActivities({ egress, logger }: { egress: Pick<Egress, 'send'>; logger: Logger }) {
  return {
    /** Posts a handoff event; throws (to be retried) unless the webhook answers 2xx. */
    async notifyHandoff(input: { webhook: string; event: HandoffEvent }): Promise<{ status: number }> {
      const { webhook, event } = input;
      let where = 'the handoff webhook';
      try {
        where = new URL(webhook).origin;
      } catch {
        // The egress reports the bad URL below.
      }
      const body = JSON.stringify({
        type: event.type,
        chatbot_id: event.chatbotId,
        conversation_id: event.conversationId,
        at: event.at,
      });
      const response = await egress.send({
        method: 'POST',
        url: webhook,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `handoff-${event.conversationId}-${event.at}`,
        },
        body,
        timeoutMs: WEBHOOK_TIMEOUT_MS,
      });
      if (response.status < 200 || response.status >= 300) {
        logger.warn({ where, status: response.status }, 'handoff webhook answered with an error');
        throw ApplicationFailure.create({
          type: FailureType.handoffWebhookFailed,
          message: `the handoff webhook answered ${response.status}`,
        });
      }
      logger.info({ where, conversationId: event.conversationId }, 'handoff event sent');
      return { status: response.status };
    },
  };
}

import { type EgressPolicy } from '../security/address-policy';
import { policyBlockWarning } from '../security/destination-checks';
import { hasRoutableWords, type ActionDefinition } from './action';
import { EMAIL_INBOUND_SECRET } from '../email/inbound';
import { secretNamesOf, urlHost, type RequestDefinition } from './step-schema';

/** What this Parley has set up that an action may rely on: the optional LLM, SMTP, the chatbot's secrets. */
export type ParleySetup = { llm: boolean; mail: boolean; secrets: string[] };

/**
 * What an operator should know about a definition that saves but cannot work as intended, as sentences for
 * the `warnings` of the save response (an empty list when there is nothing to say). With the egress policy the
 * chatbot's calls run under (Parley's plus the chatbot's allowlist), destinations that policy refuses are named;
 * with this Parley's setup, settings that need what is not configured (email: SMTP and the chatbot's inbound secret;
 * the LLM; SMTP for alerts; a secret).
 */
export function actionWarnings(action: ActionDefinition, egress?: EgressPolicy, setup?: ParleySetup): string[] {
  const warnings: string[] = [];
  if (egress) {
    const destinations: [string, string | null][] = [
      ...action.steps.flatMap((step, index): [string, string | null][] => [
        [`steps[${index}].request.url`, urlHost(step.request.url)],
        ...(step.compensate
          ? [
              [`steps[${index}].compensate.request.url`, urlHost(step.compensate.request.url)] as [
                string,
                string | null,
              ],
            ]
          : []),
      ]),
      ['alerts.webhook', action.alerts.webhook === null ? null : urlHost(action.alerts.webhook)],
    ];
    for (const [path, host] of destinations) {
      const blocked = host === null ? null : policyBlockWarning(host, egress);
      if (blocked) warnings.push(`${path}: ${blocked}; calls there will fail`);
    }
  }
  const byIntent = action.triggers.some((trigger) => trigger.type === 'intent');
  if (byIntent && action.examples.length === 0 && !hasRoutableWords(action.description)) {
    warnings.push(
      'description: has no words and there are no examples, so visitors can never reach this action by what they say',
    );
  }
  if (setup) warnings.push(...setupWarnings(action, setup));
  return warnings;
}

function setupWarnings(action: ActionDefinition, setup: ParleySetup): string[] {
  const warnings: string[] = [];
  if (action.channels.includes('email')) {
    const inChatToo = action.channels.includes('chat');
    // Email needs SMTP for the replies and the chatbot's inbound secret for the provider's webhook.
    const missing = !setup.mail
      ? 'this Parley has no SMTP server (PARLEY_SMTP_URL), so it takes no email'
      : !setup.secrets.includes(EMAIL_INBOUND_SECRET)
        ? `this chatbot has no ${EMAIL_INBOUND_SECRET} secret, so it takes no email until one is set (PUT …/secrets/${EMAIL_INBOUND_SECRET})`
        : null;
    if (missing) {
      warnings.push(
        inChatToo
          ? `channels: ${missing}; the action is offered in chat only`
          : `channels: ${missing}, and an action offered only by email is never offered`,
      );
    }
  }
  if (action.reply.instructions && !setup.llm) {
    warnings.push(
      'reply.instructions: no LLM is configured (PARLEY_LLM_*), so they are ignored and the reply is said as written',
    );
  }
  if (action.alerts.emails.length > 0 && !setup.mail) {
    warnings.push('alerts.emails: no SMTP server is configured (PARLEY_SMTP_URL), so alert emails are not sent');
  }
  action.steps.forEach((step, index) => {
    const requests: [string, RequestDefinition][] = [[`steps[${index}].request`, step.request]];
    if (step.compensate) requests.push([`steps[${index}].compensate.request`, step.compensate.request]);
    for (const [path, request] of requests) {
      for (const name of secretNamesOf(request).filter((secret) => !setup.secrets.includes(secret))) {
        warnings.push(
          `${path}: secret "${name}" is not set, so the call fails until it is saved (PUT …/secrets/${name})`,
        );
      }
    }
  });
  return warnings;
}

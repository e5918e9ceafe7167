import { MongoServerError, type Db } from 'mongodb';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Logger } from 'pino';
import type { FailureAlert } from '../shared/actions/interpreter';
import type { Egress } from './egress';

/**
 * Action alerts: when an action's call fails for good, or an API's response changes structure, Parley emails the
 * action's configured addresses and posts to its alert webhook — at most once an hour per chatbot, action and kind,
 * so a broken API does not flood anyone's inbox. Alerts never break a conversation: delivery problems are logged,
 * not thrown.
 */

/** Where a chatbot's failure alerts go (validated where the chatbot is configured). */
export type AlertSettings = { emails: string[]; webhook: string | null };

/** One action call that failed for good (its message already redacted). */
export type { FailureAlert };

/** What one `sendFailureAlert` did. */
export type AlertResult = { sent: boolean; throttled: boolean; emailed: number; webhook: 'sent' | 'failed' | 'none' };

/** An SMTP transport built by `createMailTransport`. */
export type MailTransport = Transporter<SMTPTransport.SentMessageInfo>;

export type AlertDeps = {
  db: Db;
  mail: { transport: MailTransport | null; from: string };
  /** Outbound HTTP for the alert webhook: the same SSRF-safe egress as actions. */
  egress: Pick<Egress, 'send'>;
  logger: Logger;
  clock?: () => Date;
};

/** How long one alert silences the next for the same chatbot and action. */
export const ALERT_THROTTLE_MS = 60 * 60 * 1000;
/** The most addresses one alert goes to. */
export const MAX_ALERT_EMAILS = 10;
const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * One alert that went out (or is going out) for a chatbot's action. Each is the next `generation` of its
 * chatbot+action and is inserted under a unique `_id`, so of several processes claiming the same generation at
 * once exactly one wins. (A conditional findOneAndUpdate is not enough: FerretDB 1.24 does not apply it
 * atomically, and concurrent claims over an expired throttle could all succeed.)
 */
type ThrottleDoc = {
  _id: string;
  chatbotId: string;
  action: string;
  generation: number;
  sentAt: Date;
  /** Reset by an operator, or released because no channel delivered the alert. */
  cleared: boolean;
};

const isDuplicateKey = (error: unknown) => error instanceof MongoServerError && error.code === 11000;

/**
 * Parley's transport for alert emails from an SMTP URL (`smtp://user:pass@host:587`) as config has checked it;
 * null when none is set.
 */
export function createMailTransport(smtpUrl: string | undefined): MailTransport | null {
  if (!smtpUrl) return null;
  const url = new URL(smtpUrl);
  // Nodemailer waits minutes by default; an alert should give up sooner. The URL's own settings win.
  const timeouts = { connectionTimeout: '10000', greetingTimeout: '10000', socketTimeout: '30000' };
  for (const [name, value] of Object.entries(timeouts))
    if (!url.searchParams.has(name)) url.searchParams.set(name, value);
  return nodemailer.createTransport(url.toString());
}

/**
 * What an alert is throttled by: its chatbot and action, and for structure changes a subject of their own (action
 * names cannot hold `/`), so a structure change never silences the next failure's alert or the other way round.
 */
function throttleSubject(alert: FailureAlert): string {
  return alert.kind === 'structure_changed' ? `${alert.action}${STRUCTURE_SUBJECT}` : alert.action;
}
const STRUCTURE_SUBJECT = '/structure';

function emailSubject(alert: FailureAlert): string {
  return alert.kind === 'structure_changed'
    ? `[Parley] Action ${alert.action}: the API's response changed structure, for chatbot ${alert.chatbotId}`
    : `[Parley] Action ${alert.action} failed for chatbot ${alert.chatbotId}`;
}

function emailText(alert: FailureAlert): string {
  const changed = alert.structureChanged ?? [];
  const structure = alert.kind === 'structure_changed';
  return [
    structure
      ? `An API behind an action of chatbot ${alert.chatbotId} answered with a response whose structure differs from the last one Parley saw. The call succeeded, but the reply may be missing fields.`
      : `An action of chatbot ${alert.chatbotId} failed and gave up.`,
    '',
    `Chatbot:         ${alert.chatbotId}`,
    `Action:          ${alert.action}`,
    `Step:            ${alert.step}`,
    ...(structure ? [] : [`Failure:         ${alert.failure}`]),
    `Message:         ${alert.message}`,
    ...(!structure && changed.length > 0
      ? [`Structure:       the response of step ${changed.join(', step ')} changed structure in this run`]
      : []),
    ...(structure && (alert.emptyFields ?? []).length > 0 ? [`Empty fields:    ${alert.emptyFields?.join(', ')}`] : []),
    `Conversation id: ${alert.conversationId}`,
    `Time:            ${alert.at}`,
    '',
    ...(changed.length > 0
      ? [
          `The test button lists the response's paths, to update response.fields: ` +
            `POST /v1/chatbots/${alert.chatbotId}/actions/${alert.action}/test`,
          '',
        ]
      : []),
    `Further ${structure ? 'structure-change ' : ''}alerts for this action are paused for an hour unless reset via ` +
      `POST /v1/chatbots/${alert.chatbotId}/actions/${alert.action}/alerts/reset`,
    '',
  ].join('\n');
}

/** Creates the failure-alert sender over the database, a mail transport and the egress. */
export function createAlerts({ db, mail, egress, logger, clock = () => new Date() }: AlertDeps) {
  const throttle = db.collection<ThrottleDoc>('alert_throttle');
  const throttleKey = (chatbotId: string, action: string) => `${chatbotId}:${action}`;

  /** The id of the claimed alert, or null when an alert went out within the hour. */
  async function claim(chatbotId: string, action: string, now: Date): Promise<string | null> {
    const latest = await throttle.findOne({ chatbotId, action }, { sort: { generation: -1 } });
    if (latest && !latest.cleared && latest.sentAt.getTime() > now.getTime() - ALERT_THROTTLE_MS) return null;
    const generation = (latest?.generation ?? 0) + 1;
    const _id = `${throttleKey(chatbotId, action)}:${generation}`;
    try {
      await throttle.insertOne({ _id, chatbotId, action, generation, sentAt: now, cleared: false });
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    // Only the latest two generations matter: a claimer reads one and inserts the next.
    await throttle.deleteMany({ chatbotId, action, generation: { $lt: generation - 1 } });
    return _id;
  }

  async function sendEmail(alert: FailureAlert, recipients: string[], log: Logger): Promise<number> {
    if (!mail.transport) {
      log.warn('alert emails configured but PARLEY_SMTP_URL is not set');
      return 0;
    }
    try {
      const info = await mail.transport.sendMail({
        from: mail.from,
        to: recipients,
        subject: emailSubject(alert),
        text: emailText(alert),
      });
      return info.accepted.length;
    } catch (error) {
      log.error({ reason: (error as Error).message }, 'failure alert email was not sent');
      return 0;
    }
  }

  async function postWebhook(alert: FailureAlert, webhook: string, log: Logger): Promise<'sent' | 'failed'> {
    // Webhook URLs often carry a token in their path or query: log only where they point.
    let where = 'the alert webhook';
    try {
      where = new URL(webhook).origin;
    } catch {
      // The egress reports the bad URL below.
    }
    const body = JSON.stringify({
      type: alert.kind === 'structure_changed' ? 'action.structure_changed' : 'action.failed',
      chatbot_id: alert.chatbotId,
      action: alert.action,
      step: alert.step,
      failure: alert.failure,
      message: alert.message,
      conversation_id: alert.conversationId,
      at: alert.at,
      ...(alert.structureChanged?.length ? { structure_changed: alert.structureChanged } : {}),
      ...(alert.emptyFields?.length ? { empty_fields: alert.emptyFields } : {}),
    });
    try {
      const response = await egress.send({
        method: 'POST',
        url: webhook,
        headers: { 'content-type': 'application/json' },
        body,
        timeoutMs: WEBHOOK_TIMEOUT_MS,
      });
      if (response.status >= 200 && response.status < 300) return 'sent';
      log.error({ where, status: response.status }, 'alert webhook answered with an error');
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      log.error({ where, reason }, 'alert webhook failed');
    }
    return 'failed';
  }

  return {
    /** Sends the alert unless one was sent for this chatbot+action in the last hour. Returns what happened. */
    async sendFailureAlert(alert: FailureAlert, settings: AlertSettings): Promise<AlertResult> {
      const recipients = settings.emails.slice(0, MAX_ALERT_EMAILS);
      if (recipients.length === 0 && !settings.webhook)
        return { sent: false, throttled: false, emailed: 0, webhook: 'none' };
      const log = logger.child({ chatbotId: alert.chatbotId, action: alert.action });

      const claimed = await claim(alert.chatbotId, throttleSubject(alert), clock());
      if (!claimed) {
        log.debug('failure alert throttled');
        return { sent: false, throttled: true, emailed: 0, webhook: 'none' };
      }

      const [emailed, webhook] = await Promise.all([
        recipients.length > 0 ? sendEmail(alert, recipients, log) : Promise.resolve(0),
        settings.webhook ? postWebhook(alert, settings.webhook, log) : Promise.resolve('none' as const),
      ]);
      const attempted = (recipients.length > 0 && mail.transport !== null) || webhook !== 'none';
      const sent = emailed > 0 || webhook === 'sent';
      if (attempted && !sent) {
        // Nobody heard about this failure: let the next one try again rather than stay silent for an hour.
        await throttle.updateOne({ _id: claimed }, { $set: { cleared: true } });
      }
      if (sent) log.info({ emailed, webhook }, 'failure alert sent');
      return { sent, throttled: false, emailed, webhook };
    },

    /** Clears the throttle so the next failure alerts again. Returns whether there was a throttle to clear. */
    /** Whether alert emails can be sent at all (an SMTP server is configured). */
    mailConfigured: mail.transport !== null,

    async resetThrottle(chatbotId: string, action: string): Promise<boolean> {
      const since = new Date(clock().getTime() - ALERT_THROTTLE_MS);
      const { modifiedCount } = await throttle.updateMany(
        {
          chatbotId,
          action: { $in: [action, `${action}${STRUCTURE_SUBJECT}`] },
          cleared: false,
          sentAt: { $gt: since },
        },
        { $set: { cleared: true } },
      );
      return modifiedCount > 0;
    },

    /** Creates the index the throttle looks up by; safe to call at every start. */
    async ensureIndexes(): Promise<void> {
      await throttle.createIndex({ chatbotId: 1, action: 1, generation: -1 });
    },
  };
}

/** Parley's failure-alert sender. */
export type Alerts = ReturnType<typeof createAlerts>;

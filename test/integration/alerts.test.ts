import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ALERT_THROTTLE_MS,
  createAlerts,
  createMailTransport,
  type AlertSettings,
  type FailureAlert,
  type MailTransport,
} from '../../infrastructure/alerts';
import { createEgress } from '../../infrastructure/egress';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { startSmtpServer } from '../support/smtp';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Failure alerts against FerretDB, a real SMTP server and a real webhook receiver. */
describe('failure alerts', () => {
  let mongo: MongoClient;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let hooks: FakeApi;
  let transport: MailTransport | null;
  // The webhook receiver is a local server: loopback opened explicitly, as in every test.
  const egress = createEgress({ policy: { allowLoopback: true, allowlist: [] }, connectTimeoutMs: 2_000 });
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  const from = 'Parley <alerts@parley.test>';
  let alerts: ReturnType<typeof createAlerts>;

  beforeAll(async () => {
    mongo = await MongoClient.connect(inject('mongodbUri'));
    smtp = await startSmtpServer();
    hooks = await startFakeApi((req) => (req.path.startsWith('/broken') ? { status: 500 } : { status: 204 }));
    transport = createMailTransport(smtp.url);
    alerts = createAlerts({
      db: mongo.db(`parley_alerts_${randomUUID().slice(0, 8)}`),
      mail: { transport, from },
      egress,
      logger,
      clock,
    });
    await alerts.ensureIndexes();
  });
  afterAll(async () => {
    transport?.close();
    await Promise.allSettled([smtp.close(), hooks.close(), egress.close(), mongo.close()]);
  });

  const newBot = () => `bot-${randomUUID().slice(0, 8)}`;
  const failure = (chatbotId: string, action = 'check_order_status'): FailureAlert => ({
    chatbotId,
    action,
    step: 'lookup',
    failure: 'http_server_error',
    message: 'GET http://api.acme.test/orders/12345 answered 503',
    conversationId: `conv-${randomUUID().slice(0, 8)}`,
    at: clock().toISOString(),
  });
  const mailsTo = (chatbotId: string) => smtp.messages.filter((mail) => mail.headers.includes(`chatbot ${chatbotId}`));
  const hooksFor = (chatbotId: string) =>
    hooks.requests.filter((req) => (JSON.parse(req.body) as { chatbot_id: string }).chatbot_id === chatbotId);
  const settings = (extra: Partial<AlertSettings> = {}): AlertSettings => ({
    emails: ['ops@acme.test', 'oncall@acme.test'],
    webhook: `${hooks.url}/hooks/alerts`,
    ...extra,
  });

  it('sends one email to every configured address and one webhook call for three failures within an hour', async () => {
    const bot = newBot();
    const first = failure(bot);
    const results = [];
    for (const alert of [first, failure(bot), failure(bot)]) {
      results.push(await alerts.sendFailureAlert(alert, settings()));
      offsetMs += 10 * 60 * 1000;
    }

    expect(results).toEqual([
      { sent: true, throttled: false, emailed: 2, webhook: 'sent' },
      { sent: false, throttled: true, emailed: 0, webhook: 'none' },
      { sent: false, throttled: true, emailed: 0, webhook: 'none' },
    ]);
    const mails = mailsTo(bot);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail?.from).toBe('alerts@parley.test');
    expect(mail?.to).toEqual(['ops@acme.test', 'oncall@acme.test']);
    expect(mail?.headers).toContain(`Subject: [Parley] Action check_order_status failed for chatbot ${bot}`);
    for (const line of [
      `Chatbot:         ${bot}`,
      'Action:          check_order_status',
      'Step:            lookup',
      'Failure:         http_server_error',
      'Message:         GET http://api.acme.test/orders/12345 answered 503',
      `Conversation id: ${first.conversationId}`,
      `Time:            ${first.at}`,
      `Further alerts for this action are paused for an hour unless reset via POST /v1/chatbots/${bot}/actions/check_order_status/alerts/reset`,
    ])
      expect(mail?.body).toContain(line);

    const calls = hooksFor(bot);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({
      type: 'action.failed',
      chatbot_id: bot,
      action: 'check_order_status',
      step: 'lookup',
      failure: 'http_server_error',
      message: 'GET http://api.acme.test/orders/12345 answered 503',
      conversation_id: first.conversationId,
      at: first.at,
    });
  });

  it('alerts again on the next failure after the throttle is reset', async () => {
    const bot = newBot();
    await alerts.sendFailureAlert(failure(bot), settings());
    expect((await alerts.sendFailureAlert(failure(bot), settings())).throttled).toBe(true);

    expect(await alerts.resetThrottle(bot, 'check_order_status')).toBe(true);
    expect(await alerts.resetThrottle(bot, 'check_order_status')).toBe(false);
    expect(await alerts.sendFailureAlert(failure(bot), settings())).toEqual({
      sent: true,
      throttled: false,
      emailed: 2,
      webhook: 'sent',
    });
    expect(mailsTo(bot)).toHaveLength(2);
    expect(hooksFor(bot)).toHaveLength(2);
    expect((await alerts.sendFailureAlert(failure(bot), settings())).throttled).toBe(true);
  });

  it('alerts again once an hour has passed since the last alert', async () => {
    const bot = newBot();
    await alerts.sendFailureAlert(failure(bot), settings());
    offsetMs += ALERT_THROTTLE_MS - 1000;
    expect((await alerts.sendFailureAlert(failure(bot), settings())).throttled).toBe(true);
    offsetMs += 1000;
    expect((await alerts.sendFailureAlert(failure(bot), settings())).sent).toBe(true);
    expect(mailsTo(bot)).toHaveLength(2);
    expect((await alerts.sendFailureAlert(failure(bot), settings())).throttled).toBe(true);
  });

  it('throttles each chatbot and action separately', async () => {
    const bot = newBot();
    const otherBot = newBot();
    expect((await alerts.sendFailureAlert(failure(bot), settings())).sent).toBe(true);
    expect((await alerts.sendFailureAlert(failure(bot, 'create_ticket'), settings())).sent).toBe(true);
    expect((await alerts.sendFailureAlert(failure(otherBot), settings())).sent).toBe(true);
    expect((await alerts.sendFailureAlert(failure(bot), settings())).throttled).toBe(true);
    expect(mailsTo(bot).map((mail) => /Subject: (.*)/.exec(mail.headers)?.[1])).toEqual([
      `[Parley] Action check_order_status failed for chatbot ${bot}`,
      `[Parley] Action create_ticket failed for chatbot ${bot}`,
    ]);
    expect(mailsTo(otherBot)).toHaveLength(1);
  });

  it('sends a single alert when failures race after the hour has passed', async () => {
    const bot = newBot();
    await alerts.sendFailureAlert(failure(bot), settings({ webhook: null }));
    offsetMs += ALERT_THROTTLE_MS;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => alerts.sendFailureAlert(failure(bot), settings({ webhook: null }))),
    );
    expect(results.filter((result) => result.sent)).toHaveLength(1);
    expect(results.filter((result) => result.throttled)).toHaveLength(7);
    expect(mailsTo(bot)).toHaveLength(2);
  });

  it('reports a webhook answering 500 as failed without throwing and still sends the email', async () => {
    const bot = newBot();
    const webhook = `${hooks.url}/broken/hook-token-s3cr3t`;
    expect(await alerts.sendFailureAlert(failure(bot), settings({ webhook }))).toEqual({
      sent: true,
      throttled: false,
      emailed: 2,
      webhook: 'failed',
    });
    expect(mailsTo(bot)).toHaveLength(1);
    expect(hooksFor(bot)).toHaveLength(1);
    const logged = logLines.filter((line) => line.includes(bot)).join('\n');
    expect(logged).toContain('alert webhook answered with an error');
    expect(logged).not.toContain('hook-token-s3cr3t');
    // The email got through, so the throttle holds.
    expect((await alerts.sendFailureAlert(failure(bot), settings({ webhook }))).throttled).toBe(true);
  });

  it('lets the next failure alert again when neither the email nor the webhook got through', async () => {
    const unreachable = createMailTransport(`smtp://127.0.0.1:${await closedPort()}`);
    const broken = createAlerts({
      db: mongo.db(`parley_alerts_${randomUUID().slice(0, 8)}`),
      mail: { transport: unreachable, from },
      egress,
      logger,
      clock,
    });
    const bot = newBot();
    const webhook = `${hooks.url}/broken/hook`;
    const result = await broken.sendFailureAlert(failure(bot), settings({ webhook }));
    expect(result).toEqual({ sent: false, throttled: false, emailed: 0, webhook: 'failed' });
    expect(logLines.filter((line) => line.includes(bot)).join('\n')).toContain('failure alert email was not sent');
    expect(await broken.sendFailureAlert(failure(bot), settings({ webhook }))).toEqual(result);
    expect(hooksFor(bot)).toHaveLength(2);
    unreachable?.close();
  });

  it('does not throw and reports emailed 0 when no mail transport is configured', async () => {
    expect(createMailTransport(undefined)).toBeNull();
    const withoutMail = createAlerts({
      db: mongo.db(`parley_alerts_${randomUUID().slice(0, 8)}`),
      mail: { transport: null, from },
      egress,
      logger,
      clock,
    });
    const bot = newBot();
    expect(await withoutMail.sendFailureAlert(failure(bot), settings({ webhook: null }))).toEqual({
      sent: false,
      throttled: false,
      emailed: 0,
      webhook: 'none',
    });
    expect(logLines.filter((line) => line.includes(bot)).join('\n')).toContain(
      'alert emails configured but PARLEY_SMTP_URL is not set',
    );
    expect(await withoutMail.sendFailureAlert(failure(newBot()), settings())).toEqual({
      sent: true,
      throttled: false,
      emailed: 0,
      webhook: 'sent',
    });
  });

  it('does nothing when neither emails nor a webhook are configured', async () => {
    const bot = newBot();
    const none = { emails: [], webhook: null };
    for (let i = 0; i < 2; i++)
      expect(await alerts.sendFailureAlert(failure(bot), none)).toEqual({
        sent: false,
        throttled: false,
        emailed: 0,
        webhook: 'none',
      });
    expect(await alerts.resetThrottle(bot, 'check_order_status')).toBe(false);
  });

  it('emails at most ten addresses', async () => {
    const bot = newBot();
    const emails = Array.from({ length: 12 }, (_, i) => `ops${i}@acme.test`);
    expect((await alerts.sendFailureAlert(failure(bot), settings({ emails, webhook: null }))).emailed).toBe(10);
    expect(mailsTo(bot)[0]?.to).toEqual(emails.slice(0, 10));
  });
});

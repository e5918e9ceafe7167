import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { ADMIN_KEY, orderStatusAction, startParley, type Parley } from '../support/parley';
import { startSmtpServer, type ReceivedMail } from '../support/smtp';
import { closeSignal } from '../../workflows/messages';

const SECRET = 'inbound-secret-0123456789';

/** A header of a received email, unfolded (`undefined` when absent). */
function header(mail: ReceivedMail, name: string): string | undefined {
  const unfolded = mail.headers.replace(/\r\n[ \t]+/g, ' ');
  const line = unfolded.split('\r\n').find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The text/plain part of a received email, decoded. */
function plainText(mail: ReceivedMail): string {
  const { raw } = mail;
  const start = raw.search(/content-type: text\/plain/i);
  const headersEnd = raw.indexOf('\r\n\r\n', start);
  const partHeaders = raw.slice(start, headersEnd);
  const end = raw.indexOf('\r\n--', headersEnd);
  const body = raw.slice(headersEnd + 4, end < 0 ? undefined : end);
  const lines = (text: string) => text.replace(/\r\n/g, '\n');
  if (/base64/i.test(partHeaders)) return lines(Buffer.from(body, 'base64').toString('utf8'));
  if (!/quoted-printable/i.test(partHeaders)) return lines(body);
  const bytes = body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return lines(Buffer.from(bytes, 'latin1').toString('utf8'));
}

/** An email conversation through the real stack: provider webhooks in, SMTP replies out to a real SMTP server. */
describe('the email channel', () => {
  let parley: Parley;
  let api: FakeApi;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let bot: string;

  const stockAction: ActionDefinitionInput = {
    name: 'check_stock',
    title: 'Check stock',
    description: 'Check whether a product is in stock',
    examples: ['is the blue mug in stock', 'do you have the tee in stock'],
    channels: ['chat'],
    steps: [{ id: 'stock', request: { method: 'GET', url: 'http://127.0.0.1:9/stock' } }],
    reply: { template: 'Yes, it is in stock.' },
  };

  const inbound = () => `/v1/chatbots/${bot}/email/inbound`;
  /** Emails the SMTP server received for an address. */
  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.to.includes(address));
  async function mailNumber(address: string, count: number): Promise<ReceivedMail> {
    const deadline = Date.now() + 30_000;
    while (mailsTo(address).length < count) {
      if (Date.now() > deadline) throw new Error(`no email number ${count} to ${address} within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return mailsTo(address)[count - 1] as ReceivedMail;
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    parley = await startParley({ smtpUrl: smtp.url });
    api = await startFakeApi((request) =>
      request.path.startsWith('/stock')
        ? { status: 200, body: { data: { inStock: true } } }
        : { status: 200, body: { data: { order: { status: 'shipped', eta: '2026-12-01' } } } },
    );
    stockAction.steps[0]!.request.url = `${api.url}/stock`;
    bot = await parley.createChatbot([], { greeting: 'Hi, this is Acme support.' });
    const saved = await parley
      .admin('put', `/v1/chatbots/${bot}/actions/check_order_status`)
      .send(orderStatusAction(api.url, { channels: ['email'] }))
      .expect(201);
    expect(saved.body.warnings).toEqual([
      'channels: this chatbot has no email_inbound secret, so it takes no email until one is set (PUT …/secrets/email_inbound), and an action offered only by email is never offered',
    ]);
    await parley.admin('put', `/v1/chatbots/${bot}/actions/check_stock`).send(stockAction).expect(201);
    await parley.admin('put', `/v1/chatbots/${bot}/secrets/email_inbound`).send({ value: SECRET }).expect(201);
    const again = await parley
      .admin('put', `/v1/chatbots/${bot}/actions/check_order_status`)
      .send(orderStatusAction(api.url, { channels: ['email'] }))
      .expect(200);
    expect(again.body.warnings).toEqual([]);
  });
  afterAll(async () => {
    await parley?.close();
    await Promise.allSettled([api?.close(), smtp?.close()]);
  });

  it('starts a conversation from a new email, collects an order number over two emails and replies by SMTP in the thread', async () => {
    // SendGrid's inbound parse: multipart/form-data, the raw headers in `headers`, the secret in the URL.
    const first = await parley.api
      .post(`${inbound()}?secret=${SECRET}`)
      .field('from', 'Ada Lovelace <ada@example.com>')
      .field('to', 'Acme Support <support@acme.test>')
      .field('subject', 'Where is my order?')
      .field('text', 'Hello, where is my order?\n\nSent from my iPhone')
      .field('headers', 'Message-ID: <m1.ada@example.com>\r\nSubject: Where is my order?\r\n')
      .attach('attachment1', Buffer.from('%PDF-1.4 receipt'), 'receipt.pdf')
      .expect(200);
    expect(first.body).toMatchObject({ accepted: true, continued: false });
    const conversationId = first.body.conversationId as string;

    const question = await mailNumber('ada@example.com', 1);
    expect(question.from).toBe('support@acme.test');
    expect(header(question, 'Subject')).toBe('Re: Where is my order?');
    expect(header(question, 'In-Reply-To')).toBe('<m1.ada@example.com>');
    expect(header(question, 'References')).toBe('<m1.ada@example.com>');
    expect(header(question, 'Auto-Submitted')).toBe('auto-replied');
    const questionId = header(question, 'Message-ID') as string;
    expect(questionId).toBe(`<parley.${conversationId}.3@acme.test>`);
    expect(plainText(question)).toBe('Hi, this is Acme support.\n\nWhat is your order number?\n');
    expect(question.raw).toMatch(/content-type: text\/html/i);

    // Postmark-like JSON with Basic auth: the reply, quoting the bot's question below the answer.
    const reply = {
      from: 'ada@example.com',
      to: 'support@acme.test',
      subject: 'Re: Where is my order?',
      text: `12345\n\nOn Sun, 29 Nov 2026 at 08:00, Acme Support <support@acme.test> wrote:\n> What is your order number?`,
      'message-id': '<m2.ada@example.com>',
      'in-reply-to': questionId,
      references: `<m1.ada@example.com> ${questionId}`,
    };
    const second = await parley.api.post(inbound()).auth('postmark', SECRET).send(reply).expect(200);
    expect(second.body).toEqual({ accepted: true, conversationId, continued: true });

    const answer = await mailNumber('ada@example.com', 2);
    expect(header(answer, 'Subject')).toBe('Re: Where is my order?');
    expect(header(answer, 'In-Reply-To')).toBe('<m2.ada@example.com>');
    expect(header(answer, 'References')).toBe(`<m1.ada@example.com> ${questionId} <m2.ada@example.com>`);
    expect(plainText(answer)).toBe('Your order is shipped (ETA 2026-12-01).\n');
    expect(api.requests.filter((request) => request.path === '/orders/12345')).toHaveLength(1);

    const transcript = await parley
      .admin('get', `/v1/chatbots/${bot}/conversations/${conversationId}/messages`)
      .expect(200);
    const visitorSaid = (transcript.body.messages as { from: string; message: { text?: string } }[])
      .filter((entry) => entry.from === 'visitor')
      .map((entry) => entry.message.text);
    expect(visitorSaid).toEqual(['Hello, where is my order?', '12345']);

    // The provider delivers the reply again: answered as taken, no second turn, no second email.
    const retried = await parley.api.post(inbound()).auth('postmark', SECRET).send(reply).expect(200);
    expect(retried.body).toMatchObject({ accepted: true, conversationId, duplicate: true });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(mailsTo('ada@example.com')).toHaveLength(2);
    expect(api.requests.filter((request) => request.path === '/orders/12345')).toHaveLength(1);

    // The email conversation's history replays with the current workflow code.
    const handle = parley.client.workflow.getHandle(`conversation:${bot}:${conversationId}`);
    await handle.signal(closeSignal, { reason: 'recorded' });
    await handle.result();
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history);
  });

  it('offers email-only actions by email and chat-only actions in chat, never the other way round', async () => {
    // Mailgun's route forward: a urlencoded form.
    const email = (text: string, id: string) =>
      parley.api
        .post(inbound())
        .auth('api', SECRET)
        .type('form')
        .send({
          recipient: 'support@acme.test',
          sender: 'bob@example.com',
          from: 'Bob <bob@example.com>',
          subject: 'Questions',
          'body-plain': text,
          'Message-Id': id,
        })
        .expect(200);
    await email('What can you do?', '<b1.bob@example.com>');
    const help = plainText(await mailNumber('bob@example.com', 1));
    expect(help).toContain('Check order status');
    expect(help).not.toContain('Check stock');
    // A new thread (no In-Reply-To): a conversation of its own, where the stock question runs nothing in stock.
    const stock = await email('Is the blue mug in stock?', '<b2.bob@example.com>');
    expect(stock.body).toMatchObject({ accepted: true, continued: false });
    const stockReply = plainText(await mailNumber('bob@example.com', 2));
    expect(stockReply).not.toContain('Yes, it is in stock.');
    expect(api.requests.some((request) => request.path.startsWith('/stock'))).toBe(false);

    const ordersBefore = api.requests.filter((request) => request.path.startsWith('/orders')).length;
    const chat = await parley.startConversation(bot);
    const chatHelp = (await chat.say('What can you do?')).join('\n');
    expect(chatHelp).toContain('Check stock');
    expect(chatHelp).not.toContain('Check order status');
    expect(await chat.say('is the blue mug in stock?')).toEqual(['Yes, it is in stock.']);
    expect((await chat.say('where is my order?')).join(' ')).not.toContain('order number');
    expect(api.requests.filter((request) => request.path.startsWith('/orders'))).toHaveLength(ordersBefore);
  });

  it('starts a new conversation in the thread when its conversation has closed or another sender replies', async () => {
    const post = (body: Record<string, unknown>) => parley.api.post(inbound()).auth('x', SECRET).send(body).expect(200);
    const opened = await post({
      from: 'cleo@example.com',
      to: 'support@acme.test',
      subject: 'Order',
      text: 'where is my order?',
      'message-id': '<c1.cleo@example.com>',
    });
    const ask = await mailNumber('cleo@example.com', 1);
    const askId = header(ask, 'Message-ID') as string;

    // Someone else answers in the thread: theirs is a conversation of its own, and the reply goes to them.
    const other = await post({
      from: 'dan@example.com',
      to: 'support@acme.test',
      subject: 'Re: Order',
      text: '23456',
      'message-id': '<d1.dan@example.com>',
      'in-reply-to': askId,
    });
    expect(other.body.conversationId).not.toBe(opened.body.conversationId);
    expect(other.body.continued).toBe(false);
    expect(header(await mailNumber('dan@example.com', 1), 'In-Reply-To')).toBe('<d1.dan@example.com>');

    await parley.client.workflow
      .getHandle(`conversation:${bot}:${opened.body.conversationId as string}`)
      .signal(closeSignal, { reason: 'test' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await post({
      from: 'cleo@example.com',
      to: 'support@acme.test',
      subject: 'Re: Order',
      text: 'where is my order 34567?',
      'message-id': '<c2.cleo@example.com>',
      'in-reply-to': askId,
      references: `<c1.cleo@example.com> ${askId}`,
    });
    expect(after.body.conversationId).not.toBe(opened.body.conversationId);
    const answer = await mailNumber('cleo@example.com', 2);
    expect(header(answer, 'In-Reply-To')).toBe('<c2.cleo@example.com>');
    expect(header(answer, 'References')).toBe(`<c1.cleo@example.com> ${askId} <c2.cleo@example.com>`);
    expect(plainText(answer)).toContain('Your order is shipped');
  });

  it('refuses bad inbound payloads with 400 naming the field, and other bodies with 415', async () => {
    const before = smtp.messages.length;
    const send = (body: Record<string, unknown>) => parley.api.post(inbound()).auth('x', SECRET).send(body);
    const noFrom = await send({ to: 'support@acme.test', text: 'hi' }).expect(400);
    expect(noFrom.body.error).toEqual({ code: 'invalid_request', message: "from: is required (the sender's address)" });
    const badTo = await send({ from: 'ada@example.com', to: 'support', text: 'hi' }).expect(400);
    expect(badTo.body.error.message).toBe('to: "support" holds no email address');
    const quoteOnly = await send({
      from: 'ada@example.com',
      to: 'support@acme.test',
      text: '> What is your order number?',
    }).expect(400);
    expect(quoteOnly.body.error.message).toBe('text: the email has no new text above the quoted reply');
    const notText = await send({ from: 'ada@example.com', to: 'support@acme.test', text: ['hi'] }).expect(400);
    expect(notText.body.error.message).toBe('text: must be a string');
    const plain = await parley.api.post(inbound()).auth('x', SECRET).type('text/plain').send('hello').expect(415);
    expect(plain.body.error.code).toBe('unsupported_media_type');
    const malformed = await parley.api.post(inbound()).auth('x', SECRET).type('json').send('{"from":').expect(400);
    expect(malformed.body.error.code).toBe('invalid_json');

    // A robot's auto-reply is taken and not answered.
    const automatic = await send({
      from: 'noreply@example.com',
      to: 'support@acme.test',
      text: 'I am out of the office.',
      headers: 'Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.com>\r\n',
    }).expect(200);
    expect(automatic.body).toMatchObject({ accepted: false });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.length).toBe(before);
  });

  it('answers 401 to a wrong or missing inbound secret, whichever chatbot is named', async () => {
    const email = { from: 'ada@example.com', to: 'support@acme.test', text: 'hi' };
    const wrong = await parley.api.post(inbound()).auth('x', 'not-the-secret').send(email).expect(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect(wrong.headers['www-authenticate']).toContain('Basic');
    await parley.api.post(`${inbound()}?secret=nope`).send(email).expect(401);
    await parley.api.post(inbound()).send(email).expect(401);
    await parley.api.post(inbound()).auth('admin', ADMIN_KEY).send(email).expect(401);
    await parley.api.post(inbound()).set('authorization', `Bearer ${ADMIN_KEY}`).send(email).expect(401);
    await parley.api.post(`/v1/chatbots/no-such-bot/email/inbound`).auth('x', SECRET).send(email).expect(401);
    const withoutSecret = await parley.createChatbot([]);
    await parley.api.post(`/v1/chatbots/${withoutSecret}/email/inbound`).auth('x', SECRET).send(email).expect(401);
  });

  it('answers 503 naming PARLEY_SMTP_URL when this Parley cannot send email, and takes nothing', async () => {
    const { services } = parley;
    const app = parley.appWith({ services: { ...services, email: { ...services.email, configured: false } } });
    const { default: request } = await import('supertest');
    const refused = await request(app)
      .post(inbound())
      .auth('x', SECRET)
      .send({ from: 'ada@example.com', to: 'support@acme.test', text: 'hi', 'message-id': '<nosmtp@example.com>' })
      .expect(503);
    expect(refused.body.error.message).toContain('PARLEY_SMTP_URL');
    expect(await services.email.lookup(bot, ['<nosmtp@example.com>'])).toEqual([]);
  });
});

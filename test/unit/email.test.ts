import { describe, expect, it } from 'vitest';
import type { ActionDefinition } from '../../shared/actions/action';
import { actionWarnings } from '../../shared/actions/save-warnings';
import { actionButtons, fallbackMessage, routableActions } from '../../shared/conversation/catalog';
import {
  emailArrived,
  emailDue,
  MAX_REFERENCES,
  nextEmail,
  startEmailThread,
  threadSubject,
} from '../../shared/conversation/email';
import { openConversation, type ActionCatalog, type ConversationState } from '../../shared/conversation/state';
import { markHandled } from '../../shared/conversation/transcript';
import { planTurn } from '../../shared/conversation/turn';
import { parseMailbox, readInboundEmail, threadKeys, type InboundEmail } from '../../shared/email/inbound';
import { renderEmailBody } from '../../shared/email/render';
import { htmlToText, newReplyText } from '../../shared/email/reply-text';
import { orderStatusAction, simpleAction } from './fixtures';

const NOW = '2026-03-03T10:00:00.000Z';

describe('the new text of an email reply', () => {
  it('drops a Gmail quote with its attribution, also when the attribution wraps', () => {
    const body = [
      '12345',
      '',
      'On Tue, 3 Mar 2026 at 10:00, Acme Support <support@acme.test> wrote:',
      '> What is your order number?',
    ].join('\r\n');
    expect(newReplyText(body)).toBe('12345');
    const wrapped =
      'It is 12345\n\nOn Tue, 3 Mar 2026 at 10:00, Acme Support <\nsupport@acme.test> wrote:\n> What is it?';
    expect(newReplyText(wrapped)).toBe('It is 12345');
  });

  it("drops Outlook's header block, separators, signatures and mobile footers", () => {
    expect(
      newReplyText('Yes please\n\nFrom: Acme <support@acme.test>\nSent: Tuesday\nTo: Ada\nSubject: Re: x\n\nOld'),
    ).toBe('Yes please');
    expect(newReplyText('Cancel it\n-----Original Message-----\nold text')).toBe('Cancel it');
    expect(newReplyText('Thanks\n________________________________\nFrom: Acme')).toBe('Thanks');
    expect(newReplyText('Where is my order?\n-- \nAda Lovelace\nAnalytical Engines Ltd')).toBe('Where is my order?');
    expect(newReplyText('Where is my order?\n\nSent from my iPhone')).toBe('Where is my order?');
  });

  it('keeps text written below the quote, and keeps a plain email whole', () => {
    expect(newReplyText('On Tue, 3 Mar 2026, Acme wrote:\n> What is your order number?\n\n12345')).toBe('12345');
    expect(newReplyText('Hello,\n\nmy order 12345 has not arrived.\nFrom: me')).toBe(
      'Hello,\n\nmy order 12345 has not arrived.\nFrom: me',
    );
  });

  it('reads hostile input in linear time', () => {
    const started = Date.now();
    newReplyText(`On ${'a '.repeat(50_000)}`);
    newReplyText(`${'-'.repeat(50_000)}x`);
    htmlToText('<'.repeat(100_000));
    htmlToText('<style'.repeat(20_000));
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reads an HTML-only body as text, without styles and with quotes marked', () => {
    const html =
      '<html><head><style>p{color:red}</style></head><body><p>Where is order 12345?</p>' +
      '<blockquote>On Monday, Acme wrote: old</blockquote></body></html>';
    expect(htmlToText(html)).toBe('Where is order 12345?\n\n> On Monday, Acme wrote: old');
    expect(newReplyText(htmlToText(html))).toBe('Where is order 12345?');
    expect(htmlToText('Fish &amp; chips&nbsp;&lt;3<br>bye')).toBe('Fish & chips <3\nbye');
  });
});

describe("reading providers' inbound webhooks", () => {
  const sent = (result: ReturnType<typeof readInboundEmail>): InboundEmail => {
    if ('problems' in result) throw new Error(result.problems.join('; '));
    return result.email;
  };

  it('reads the plain JSON shape', () => {
    const email = sent(
      readInboundEmail({
        from: 'Ada Lovelace <Ada@Example.com>',
        to: 'Acme Support <support@acme.test>',
        subject: 'Re: Where is my order?',
        text: '12345\n\nOn Tue, Acme wrote:\n> What is your order number?',
        'message-id': '<m2@example.com>',
        'in-reply-to': '<parley.c1.3@acme.test>',
        references: '<m1@example.com>\r\n <parley.c1.3@acme.test>',
      }),
    );
    expect(email).toEqual({
      from: { address: 'ada@example.com', name: 'Ada Lovelace' },
      inbox: 'support@acme.test',
      subject: 'Re: Where is my order?',
      text: '12345',
      messageId: '<m2@example.com>',
      inReplyTo: '<parley.c1.3@acme.test>',
      references: ['<m1@example.com>', '<parley.c1.3@acme.test>'],
      automatic: false,
    });
    expect(threadKeys(email)).toEqual(['<parley.c1.3@acme.test>', '<m1@example.com>']);
  });

  it("reads SendGrid's fields with the raw header block, and the envelope's recipient", () => {
    const email = sent(
      readInboundEmail({
        from: 'ada@example.com',
        to: 'Support <support@acme.test>, other@acme.test',
        envelope: '{"to":["orders@acme.test"],"from":"ada@example.com"}',
        subject: 'Help',
        text: 'Where is my order?',
        headers: 'Message-ID: <m1@example.com>\nReferences: <a@x>\n <b@x>\nAuto-Submitted: no\n',
      }),
    );
    expect(email.inbox).toBe('orders@acme.test');
    expect(email.messageId).toBe('<m1@example.com>');
    expect(email.references).toEqual(['<a@x>', '<b@x>']);
    expect(email.automatic).toBe(false);
  });

  it("reads Mailgun's and Postmark's spellings, and knows an auto-reply", () => {
    const mailgun = sent(
      readInboundEmail({
        recipient: 'support@acme.test',
        sender: 'ada@example.com',
        from: 'Ada <ada@example.com>',
        subject: 'Order',
        'body-plain': 'Order 12345 please',
        'Message-Id': '<mg@example.com>',
        'message-headers': JSON.stringify([
          ['In-Reply-To', '<prev@x>'],
          ['Auto-Submitted', 'auto-replied'],
        ]),
      }),
    );
    expect(mailgun).toMatchObject({ text: 'Order 12345 please', messageId: '<mg@example.com>', inReplyTo: '<prev@x>' });
    expect(mailgun.automatic).toBe(true);
    const postmark = sent(
      readInboundEmail({
        From: 'ada@example.com',
        To: 'support@acme.test',
        OriginalRecipient: 'support@acme.test',
        Subject: 'Order',
        MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817',
        TextBody: '',
        HtmlBody: '<p>Where is 12345?</p>',
        Headers: [{ Name: 'Message-ID', Value: '<pm@example.com>' }],
      }),
    );
    expect(postmark).toMatchObject({ text: 'Where is 12345?', messageId: '<pm@example.com>' });
  });

  it('names each missing or bad field', () => {
    expect(readInboundEmail({ to: 'support@acme.test', text: 'hi' })).toEqual({
      problems: ["from: is required (the sender's address)"],
    });
    expect(readInboundEmail({ from: 'nobody', to: 42, text: '> only a quote' })).toEqual({
      problems: [
        'from: "nobody" holds no email address',
        'to: must be a string',
        'text: the email has no new text above the quoted reply',
      ],
    });
    expect(readInboundEmail('text')).toEqual({
      problems: ["body: must be the email's fields (from, to, subject, text, message-id, …)"],
    });
  });

  it('reads mailboxes as mail clients write them', () => {
    expect(parseMailbox('"Lovelace, Ada" <ada@example.com>')).toEqual({
      address: 'ada@example.com',
      name: 'Lovelace, Ada',
    });
    expect(parseMailbox('ada@example.com, bob@example.com')).toEqual({ address: 'ada@example.com', name: null });
    expect(parseMailbox('Ada <not-an-address>')).toBeNull();
  });
});

describe('rendering bot messages as an email', () => {
  it('writes cards, links, images, galleries and buttons readably, as text and as escaped HTML', () => {
    const { text, html } = renderEmailBody([
      { type: 'text', text: 'Order <b>12345</b>:' },
      {
        type: 'card',
        title: 'Blue mug',
        subtitle: 'In stock',
        fields: [{ label: 'Price', value: '9 €' }],
        url: 'https://shop.acme.test/mug',
        buttons: [{ label: 'Buy', url: 'https://shop.acme.test/buy' }],
      },
      { type: 'link', text: 'Track it', url: 'https://track.acme.test/1' },
      { type: 'image', url: 'https://img.acme.test/mug.png', alt: 'The mug' },
      { type: 'gallery', cards: [{ title: 'Mug' }, { title: 'Tee' }] },
      {
        type: 'buttons',
        text: 'Cancel order 12345?',
        buttons: [
          { label: 'Yes', payload: 'confirm:yes' },
          { label: 'No', payload: 'confirm:no' },
        ],
      },
      { type: 'link', url: 'javascript:alert(1)', text: 'bad' },
    ]);
    expect(text).toBe(
      [
        'Order <b>12345</b>:',
        'Blue mug\nIn stock\nPrice: 9 €\nhttps://shop.acme.test/mug\nBuy: https://shop.acme.test/buy',
        'Track it: https://track.acme.test/1',
        'The mug: https://img.acme.test/mug.png',
        '1. Mug\n\n2. Tee',
        'Cancel order 12345?\nReply with one of:\n  - Yes\n  - No',
        'bad: javascript:alert(1)',
      ].join('\n\n') + '\n',
    );
    expect(html).toContain('<p>Order &lt;b&gt;12345&lt;/b&gt;:</p>');
    expect(html).toContain('<a href="https://shop.acme.test/mug">Blue mug</a>');
    expect(html).toContain('<img src="https://img.acme.test/mug.png" alt="The mug"');
    expect(html).toContain('<ul><li>Yes</li><li>No</li></ul>');
    expect(html).not.toContain('javascript:');
  });
});

describe('an email conversation', () => {
  const emailOnly = orderStatusAction({ channels: ['email'] });
  const chatOnly = simpleAction({
    name: 'check_stock',
    description: 'Check whether a product is in stock',
    examples: ['is the mug in stock'],
    triggers: [{ type: 'intent' }, { type: 'button', label: 'Check stock' }],
  });
  const catalog: ActionCatalog = {
    revision: 'r1',
    actions: [emailOnly, chatOnly].map((definition: ActionDefinition, index) => ({ version: index + 1, definition })),
  };

  function emailConversation(): ConversationState {
    return openConversation(
      {
        chatbotId: 'acme',
        conversationId: 'c1',
        visitor: { email: 'ada@example.com' },
        attributes: {},
        settings: { idleTimeoutMs: 60_000, greeting: 'Hi, this is Acme.', channel: 'email' },
        buttons: [],
        email: startEmailThread('ada@example.com', 'support@acme.test', 'Re: RE: Where is my order?'),
      },
      NOW,
    );
  }

  it('offers only the actions of its channel: buttons, routing, the LLM router and the fallback', () => {
    const definitions = catalog.actions.map((entry) => entry.definition);
    expect(actionButtons(definitions).map((button) => button.label)).toEqual(['Check stock']);
    expect(actionButtons(definitions, 'email').map((button) => button.label)).toEqual(['Track my order']);
    expect(routableActions(catalog).map((action) => action.name)).toEqual(['check_stock']);
    expect(routableActions(catalog, 'email').map((action) => action.name)).toEqual(['check_order_status']);
    const fallback = fallbackMessage({ ...catalog, actions: catalog.actions.slice(0, 1) }, true, 'email')[0];
    expect(fallback).toMatchObject({ type: 'buttons', buttons: [{ label: 'Track my order' }] });

    const state = emailConversation();
    const stock = planTurn(state, { kind: 'message', messageId: 'e1', text: 'is the mug in stock' }, catalog, NOW);
    expect(stock.run).toBeNull();
    const order = planTurn(state, { kind: 'message', messageId: 'e1', text: 'where is my order' }, catalog, NOW);
    expect(order.state.pending?.action.name).toBe('check_order_status');
    const chat = openConversation({ ...state, settings: { idleTimeoutMs: 60_000, greeting: null }, buttons: [] }, NOW);
    expect(
      planTurn(chat, { kind: 'message', messageId: 'c1', text: 'where is my order' }, catalog, NOW).state.pending,
    ).toBeNull();
  });

  it('replies once the visitor has written, threaded under their email, with what was not yet sent', () => {
    let state = emailConversation();
    expect(state.email?.subject).toBe('Where is my order?');
    // The greeting alone is not an email: nothing is due until the visitor's email is taken.
    expect(emailDue(state)).toBe(false);
    state = emailArrived(state, { messageId: '<m1@example.com>', references: [] });
    const turn = planTurn(state, { kind: 'message', messageId: 'e1', text: 'where is my order' }, catalog, NOW);
    state = markHandled(turn.state, 'e1', 2);
    expect(emailDue(state)).toBe(true);
    const first = nextEmail(state);
    expect(first?.email).toMatchObject({
      to: 'ada@example.com',
      inbox: 'support@acme.test',
      subject: 'Re: Where is my order?',
      messageId: '<parley.c1.3@acme.test>',
      inReplyTo: '<m1@example.com>',
      references: ['<m1@example.com>'],
      text: 'Hi, this is Acme.\n\nWhat is your order number?\n',
    });
    state = first?.state as ConversationState;
    expect(emailDue(state)).toBe(false);
    expect(nextEmail(state)).toBeNull();

    state = emailArrived(state, {
      messageId: '<m2@example.com>',
      references: ['<m1@example.com>', '<parley.c1.3@acme.test>'],
    });
    state = planTurn(state, { kind: 'message', messageId: 'e2', text: '12345' }, catalog, NOW).state;
    state = {
      ...state,
      transcript: [
        ...state.transcript,
        { seq: state.nextSeq, from: 'bot', at: NOW, message: { type: 'text', text: 'Shipped.' } },
      ],
      nextSeq: state.nextSeq + 1,
    };
    const second = nextEmail(state);
    expect(second?.email.inReplyTo).toBe('<m2@example.com>');
    expect(second?.email.references).toEqual(['<m1@example.com>', '<parley.c1.3@acme.test>', '<m2@example.com>']);
    expect(second?.email.text).toBe('Let me look that up.\n\nShipped.\n');
  });

  it('keeps References bounded: the thread root and the latest ids', () => {
    let state = emailConversation();
    for (let i = 0; i < 40; i += 1) state = emailArrived(state, { messageId: `<m${i}@x>`, references: [] });
    expect(state.email?.references).toHaveLength(MAX_REFERENCES);
    expect(state.email?.references[0]).toBe('<m0@x>');
    expect(state.email?.references.at(-1)).toBe('<m39@x>');
    expect(threadSubject('Fwd: AW: re[2]: Hello')).toBe('Hello');
  });
});

describe('email setup warnings', () => {
  const action = orderStatusAction({ channels: ['email'] });
  it('say what email needs: SMTP, then the chatbot inbound secret', () => {
    expect(actionWarnings(action, undefined, { llm: false, mail: false, secrets: ['acme_token'] })).toEqual([
      'channels: this Parley has no SMTP server (PARLEY_SMTP_URL), so it takes no email, and an action offered only by email is never offered',
    ]);
    expect(actionWarnings(action, undefined, { llm: false, mail: true, secrets: ['acme_token'] })).toEqual([
      'channels: this chatbot has no email_inbound secret, so it takes no email until one is set (PUT …/secrets/email_inbound), and an action offered only by email is never offered',
    ]);
    expect(
      actionWarnings(action, undefined, { llm: false, mail: true, secrets: ['acme_token', 'email_inbound'] }),
    ).toEqual([]);
  });
});

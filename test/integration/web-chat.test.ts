import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcmeApi } from '../../scripts/demo/acme-api';
import { DEMO_CHATBOT, DEMO_SECRET, seedDemo } from '../../scripts/demo/seed';
import { createStoreServer } from '../../scripts/demo/store-page';
import type { ActionDefinitionInput } from '../../shared/actions/action';
import { isFocused, launchChromium, screenshot, startCuttableProxy } from '../support/browser';
import { startFakeApi, type FakeApi } from '../support/fake-api';
import { ADMIN_KEY, startParley, type Parley } from '../support/parley';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Waits (without sleeping) until what `read` answers passes the assertion that follows. */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 20_000, interval: 100 });

/** The web chat on a page, found the way a visitor (and a screen reader) finds it: by role and name. */
function chatOn(page: Page) {
  return {
    launcher: page.getByRole('button', { name: /chat: Acme help/ }),
    dialog: page.getByRole('dialog', { name: 'Acme help' }),
    log: page.getByRole('log', { name: 'Conversation' }),
    input: page.getByRole('textbox', { name: 'Message' }),
    status: page.locator('.status'),
    /** What the bot and agents said, in order (each bubble's text). */
    said: () => page.locator('.log .line:not(.visitor) .bubble').allInnerTexts(),
    /** What the visitor said, in order. */
    visitorSaid: () => page.locator('.log .line.visitor .bubble').allInnerTexts(),
    /** How many lines say `text`. */
    count: (text: string) => page.locator('.log .line', { hasText: text }).count(),
    /** How many lines saying `text` the event stream or the transcript gave their `seq`. */
    sequenced: (text: string) => page.locator('.log .line[data-seq]', { hasText: text }).count(),
  };
}

/** The conversation the page's web chat keeps in sessionStorage. */
async function savedConversation(page: Page): Promise<{ conversationId: string; token: string }> {
  const stored = (await page.evaluate('JSON.stringify(Object.entries(sessionStorage))')) as string;
  const entry = (JSON.parse(stored) as [string, string][]).find(([key]) => key.startsWith('parley:'));
  const saved = entry ? (JSON.parse(entry[1]) as { conversation: { conversationId: string; token: string } }) : null;
  if (!saved?.conversation) throw new Error(`no saved conversation in sessionStorage: ${stored}`);
  return saved.conversation;
}

/** Counts, in the page, each time the typing indicator is shown. */
async function watchTyping(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(`(() => {
    const typing = document.querySelector('[data-parley-chat]').shadowRoot.querySelector('.typing');
    window.typingShown = 0;
    new MutationObserver(() => { if (!typing.hidden) window.typingShown += 1; })
      .observe(typing, { attributes: true, attributeFilter: ['hidden'] });
  })()`);
  return async () => (await page.evaluate('window.typingShown')) as number;
}

/**
 * The web chat (GET /widget.js) in headless Chromium, on the demo store page served from an origin of its own, through
 * the whole stack: the API, Temporal, FerretDB, a worker and the demo Acme API.
 */
describe('the web chat in a real browser', () => {
  let parley: Parley;
  let browser: Browser | null;
  let noBrowser: Error | null = null;
  let apiUrl: string;
  let storeUrl: string;
  let proxiedStoreUrl: string;
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
  const servers: Server[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    // Without a browser every test that needs one fails, saying how to install one (none is skipped).
    browser = await launchChromium().catch((error: unknown) => {
      noBrowser = error as Error;
      return null;
    });
    parley = await startParley();
    apiUrl = await parley.listen();
    proxy = await startCuttableProxy(Number(new URL(apiUrl).port));
    const acme = createAcmeApi(DEMO_SECRET.value);
    const store = createStoreServer({ api: apiUrl });
    const proxiedStore = createStoreServer({ api: proxy.url });
    servers.push(acme, store, proxiedStore);
    const acmeUrl = await listen(acme);
    storeUrl = await listen(store);
    proxiedStoreUrl = await listen(proxiedStore);
    await seedDemo(apiUrl, ADMIN_KEY, acmeUrl, { storeOrigins: [storeUrl, proxiedStoreUrl] });
  });
  afterAll(async () => {
    await Promise.allSettled(contexts.map((context) => context.close()));
    await browser?.close();
    await proxy?.close();
    await Promise.allSettled(servers.map(stop));
    await parley?.close();
  });

  /** A new browser window (its own sessionStorage), whose page errors and console errors are collected. */
  async function openPage(url: string) {
    if (!browser) throw noBrowser ?? new Error('Chromium did not start');
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    await page.goto(url);
    return { page, errors };
  }

  it('serves widget.js small and gzipped, with an ETag the browser revalidates', async () => {
    const first = await fetch(`${apiUrl}/widget.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('content-encoding')).toBe('gzip');
    expect(Number(first.headers.get('content-length'))).toBeLessThan(15 * 1024);
    expect(first.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const code = await first.text();
    expect(code).toMatch(/^\/\* Parley web chat \*\//);
    expect(code.length).toBeLessThan(40 * 1024);
    const etag = first.headers.get('etag') ?? '';
    expect(
      (await fetch(`${apiUrl}/widget.js`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } })).status,
    ).toBe(304);
  });

  it('asks, answers, runs a button, shows a gallery, takes a lead, delivers an agent message live, and resumes after a reload', async () => {
    const { page, errors } = await openPage(storeUrl);
    const chat = chatOn(page);
    // Every visitor event the page sends, to check each carries its own messageId (issue 14).
    const events: { kind: string; messageId: unknown }[] = [];
    page.on('request', (request) => {
      const event = /^\/v1\/conversations\/[^/]+\/(messages|buttons|lead)$/.exec(new URL(request.url()).pathname);
      if (request.method() === 'POST' && event) {
        events.push({ kind: event[1] ?? '', messageId: (request.postDataJSON() as { messageId?: unknown }).messageId });
      }
    });
    await expect(chat.launcher.getAttribute('aria-expanded')).resolves.toBe('false');
    await chat.launcher.click();
    await chat.dialog.waitFor();
    await eventually(chat.said).toEqual([DEMO_CHATBOT.greeting]);
    expect(await page.getByRole('group', { name: 'Options' }).getByRole('button').allInnerTexts()).toEqual([
      'Browse products',
      'Track my order',
      'Contact support',
    ]);
    expect(await isFocused(chat.input)).toBe(true);

    // Asks and answers: the turn's answer comes in the POST and on the stream; it is shown once, with its seq.
    const typingShown = await watchTyping(page);
    await chat.input.fill('where is my order?');
    await chat.input.press('Enter');
    await eventually(chat.said).toContain('What is your order number?');
    await chat.input.fill('12345');
    await chat.input.press('Enter');
    await eventually(chat.said).toContain('Order 12345 is shipped (ETA 2026-11-24).');
    expect(await typingShown()).toBeGreaterThanOrEqual(2);
    await eventually(() => chat.sequenced('Order 12345 is shipped')).toBe(1);
    expect(await chat.count('Order 12345 is shipped')).toBe(1);
    expect(await chat.count('Let me look that up.')).toBe(1);

    // A button: its reply (a gallery) arrives on the stream only.
    await page.getByRole('button', { name: 'Browse products' }).click();
    const gallery = page.getByRole('group', { name: '3 items' });
    await gallery.waitFor();
    const slide = (n: number) => gallery.getByRole('group', { name: `${n} of 3` });
    expect(await slide(1).isVisible()).toBe(true);
    expect(await slide(1).getByRole('heading').innerText()).toBe('Acme mug');
    expect(await slide(2).isVisible()).toBe(false);
    await gallery.getByRole('button', { name: 'Next' }).click();
    expect(await slide(2).isVisible()).toBe(true);
    expect(await slide(1).isVisible()).toBe(false);
    expect(await slide(2).innerText()).toContain('Acme T-shirt');
    expect(await slide(2).innerText()).toContain('$24.00');
    await eventually(() =>
      slide(2)
        .getByRole('img', { name: 'Acme T-shirt' })
        .evaluate((img: { naturalWidth: number }) => img.naturalWidth),
    ).toBeGreaterThan(0);
    expect(await chat.visitorSaid()).toEqual(['where is my order?', '12345', 'Browse products']);
    await screenshot(page, 'web-chat-gallery');

    // The lead form: refused without a contact, then sent; its reply arrives on the stream.
    await page.getByRole('button', { name: 'Leave your details' }).click();
    expect(await isFocused(page.getByRole('textbox', { name: 'Name' }))).toBe(true);
    await page.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Send details' }).click();
    expect(await page.getByRole('alert').innerText()).toBe('Please give your email address or phone number.');
    expect(await isFocused(page.getByRole('textbox', { name: 'Email' }))).toBe(true);
    await page.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');
    await page.getByRole('button', { name: 'Send details' }).click();
    await eventually(chat.said).toContain(
      'Thanks! Our team will get back to you within one working day (reference L-1001).',
    );
    expect(await page.getByRole('form', { name: 'Leave your details' }).isVisible()).toBe(false);

    // A handoff, then a person's message posted through the admin API: it reaches the page live, on the stream.
    await chat.input.fill('I want to talk to a human');
    await chat.input.press('Enter');
    await eventually(chat.said).toContain(
      "I'm connecting you with a person from our customer care team. They'll reply here.",
    );
    const { conversationId } = await savedConversation(page);
    const agentPath = `/v1/chatbots/${DEMO_CHATBOT.id}/conversations/${conversationId}/agent-messages`;
    await parley.admin('post', agentPath).send({ text: 'Hi, Sam here. Sorry for the wait!' }).expect(200);
    await eventually(chat.said).toContain('Hi, Sam here. Sorry for the wait!');
    expect(await page.locator('.log .line.agent').innerText()).toContain('Agent');
    await screenshot(page, 'web-chat-agent');
    expect(events.map((event) => event.kind)).toEqual(['messages', 'messages', 'buttons', 'lead', 'messages']);
    const ids = events.map((event) => event.messageId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(new Set(ids).size).toBe(ids.length);

    // A reload resumes the conversation: the same lines, once each, the panel open, and the stream followed on.
    const before = { said: await chat.said(), visitor: await chat.visitorSaid() };
    await page.reload();
    await chat.dialog.waitFor();
    await eventually(chat.said).toEqual(before.said);
    expect(await chat.visitorSaid()).toEqual(before.visitor);
    expect(await page.getByRole('group', { name: '3 items' }).count()).toBe(1);
    await parley.admin('post', agentPath).send({ text: 'Your replacement mug ships today.' }).expect(200);
    await eventually(chat.said).toContain('Your replacement mug ships today.');
    expect(await chat.count('Your replacement mug ships today.')).toBe(1);
    expect(await chat.count('Hi, Sam here.')).toBe(1);
    await screenshot(page, 'web-chat-resumed');
    expect(errors).toEqual([]);
  }, 120_000);

  it('is usable by keyboard alone: Tab to the launcher, Enter opens, buttons and the gallery by keys, Escape closes', async () => {
    const { page, errors } = await openPage(storeUrl);
    const chat = chatOn(page);
    for (let presses = 0; presses < 20 && !(await isFocused(chat.launcher)); presses += 1)
      await page.keyboard.press('Tab');
    expect(await isFocused(chat.launcher)).toBe(true);
    await page.keyboard.press('Enter');
    await chat.dialog.waitFor();
    expect(await chat.launcher.getAttribute('aria-expanded')).toBe('true');
    expect(await chat.launcher.getAttribute('aria-label')).toBe('Close chat: Acme help');
    expect(await isFocused(chat.input)).toBe(true);
    expect(await chat.log.getAttribute('aria-live')).toBe('polite');
    await eventually(chat.said).toEqual([DEMO_CHATBOT.greeting]);

    await page.keyboard.type('is CAP-03 in stock?');
    await page.keyboard.press('Enter');
    await eventually(chat.said).toContain('Acme cap: 7 in stock.');

    // Back from the composer to the opening's buttons, and a button pressed with Enter.
    const browse = page.getByRole('button', { name: 'Browse products' });
    for (let presses = 0; presses < 10 && !(await isFocused(browse)); presses += 1) {
      await page.keyboard.press('Shift+Tab');
    }
    expect(await isFocused(browse)).toBe(true);
    await page.keyboard.press('Enter');
    const gallery = page.getByRole('group', { name: '3 items' });
    await gallery.waitFor();
    const next = gallery.getByRole('button', { name: 'Next' });
    for (let presses = 0; presses < 10 && !(await isFocused(next)); presses += 1) await page.keyboard.press('Tab');
    expect(await isFocused(next)).toBe(true);
    await page.keyboard.press('Space');
    expect(await gallery.getByRole('group', { name: '2 of 3' }).isVisible()).toBe(true);
    await page.keyboard.press('ArrowRight');
    expect(await gallery.getByRole('group', { name: '3 of 3' }).isVisible()).toBe(true);
    expect(await gallery.innerText()).toContain('Acme cap');

    // Escape closes and gives the focus back to the launcher; Enter opens it again where it was.
    await page.keyboard.press('Escape');
    expect(await chat.dialog.isVisible()).toBe(false);
    expect(await isFocused(chat.launcher)).toBe(true);
    expect(await chat.launcher.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Enter');
    expect(await chat.dialog.isVisible()).toBe(true);
    expect(await isFocused(chat.input)).toBe(true);
    expect(await chat.said()).toContain('Acme cap: 7 in stock.');
    await screenshot(page, 'web-chat-keyboard');
    expect(errors).toEqual([]);
  }, 90_000);

  it('reconnects its event stream after the network drops, and delivers what was said meanwhile exactly once', async () => {
    const { page } = await openPage(proxiedStoreUrl);
    const chat = chatOn(page);
    await chat.launcher.click();
    await eventually(() => chat.sequenced(DEMO_CHATBOT.greeting)).toBe(1);
    const { conversationId } = await savedConversation(page);

    proxy.cut();
    await eventually(() => chat.status.innerText()).toBe('Reconnecting…');
    await parley
      .admin('post', `/v1/chatbots/${DEMO_CHATBOT.id}/conversations/${conversationId}/agent-messages`)
      .send({ text: 'Said while you were offline.' })
      .expect(200);
    proxy.restore();
    await eventually(chat.said).toContain('Said while you were offline.');
    await eventually(() => chat.status.innerText()).toBe('');
    expect(await chat.count('Said while you were offline.')).toBe(1);
    expect(await chat.count(DEMO_CHATBOT.greeting)).toBe(1);
  }, 90_000);

  describe('every message format', () => {
    let upstream: FakeApi;
    let formatsUrl: string;

    beforeAll(async () => {
      upstream = await startFakeApi(() => ({ status: 200, body: { ok: true } }));
      const chatbotId = `formats-${randomUUID().slice(0, 8)}`;
      const step = [{ id: 'call', request: { method: 'GET' as const, url: `${upstream.url}/anything` } }];
      const byButton = (name: string, label: string, reply: ActionDefinitionInput['reply']): ActionDefinitionInput => ({
        name,
        description: `Shows a ${label.toLowerCase()}`,
        triggers: [{ type: 'button', label }],
        steps: step,
        reply,
      });
      const picture = `${storeUrl}/images/MUG-01.svg`;
      const actions = [
        byButton('show_card', 'Card', {
          format: 'card',
          card: {
            title: 'Acme mug',
            subtitle: '$12.00',
            imageUrl: picture,
            url: 'https://shop.example/mug',
            fields: [{ label: 'In stock', value: '42' }],
          },
        }),
        byButton('show_link', 'Link', {
          template: 'Our returns policy:',
          format: 'link',
          link: { url: 'https://shop.example/returns', text: 'Returns policy' },
        }),
        byButton('show_image', 'Image', { format: 'image', image: { url: picture, alt: 'The Acme mug' } }),
        byButton('show_choices', 'Quick replies', {
          template: 'Which colour?',
          format: 'quick_replies',
          buttons: [
            { label: 'Red', payload: 'red' },
            { label: 'Blue', payload: 'blue' },
          ],
        }),
        byButton('show_markup', 'Markup', {
          template: '<img src=x onerror="window.pwned=1"> is just text',
          format: 'link',
          link: { url: 'javascript:window.pwned=1', text: 'Not a link' },
        }),
      ];
      const created = await parley.admin('post', '/v1/chatbots').send({ id: chatbotId, name: 'Formats' }).expect(201);
      for (const action of actions) {
        await parley.admin('put', `/v1/chatbots/${chatbotId}/actions/${action.name}`).send(action).expect(201);
      }
      const store = createStoreServer({
        api: apiUrl,
        chatbotId,
        publishableKey: created.body.publishableKey as string,
      });
      servers.push(store);
      formatsUrl = await listen(store);
      await parley
        .admin('patch', `/v1/chatbots/${chatbotId}`)
        .send({ greeting: 'Pick a format.', allowedOrigins: [formatsUrl] })
        .expect(200);
    });
    afterAll(async () => {
      await upstream?.close();
    });

    it('renders text, card, link, image, buttons and quick replies, and never runs what a message says as code', async () => {
      const { page, errors } = await openPage(formatsUrl);
      const chat = chatOn(page);
      await chat.launcher.click();
      await eventually(chat.said).toEqual(['Pick a format.']);
      const press = (name: string) =>
        page.getByRole('group', { name: 'Options' }).first().getByRole('button', { name }).click();

      await press('Card');
      const card = page.locator('.log article.card');
      await card.waitFor();
      expect(await card.getByRole('heading').innerText()).toMatch(/^Acme mug/);
      const title = card.getByRole('link', { name: /Acme mug/ });
      expect(await title.getAttribute('href')).toBe('https://shop.example/mug');
      expect(await title.getAttribute('target')).toBe('_blank');
      expect(await title.getAttribute('rel')).toBe('noopener noreferrer');
      expect(await card.locator('dl').innerText()).toMatch(/In stock\s+42/);
      await eventually(() =>
        card.getByRole('img', { name: 'Acme mug' }).evaluate((img: { naturalWidth: number }) => img.naturalWidth),
      ).toBeGreaterThan(0);

      await press('Link');
      const link = page.getByRole('link', { name: /Returns policy/ });
      await link.waitFor();
      expect(await link.getAttribute('href')).toBe('https://shop.example/returns');
      expect(await chat.said()).toContain('Our returns policy:');

      await press('Image');
      const image = page.locator('.log .image').getByRole('img', { name: 'The Acme mug' });
      await image.waitFor();
      await eventually(() => image.evaluate((img: { naturalWidth: number }) => img.naturalWidth)).toBeGreaterThan(0);

      await press('Quick replies');
      const choices = page.getByRole('group', { name: 'Which colour?' });
      await choices.waitFor();
      await choices.getByRole('button', { name: 'Blue' }).click();
      await eventually(() => choices.isVisible()).toBe(false);
      expect(await chat.visitorSaid()).toEqual(['Card', 'Link', 'Image', 'Quick replies', 'Blue']);
      expect(await isFocused(chat.input)).toBe(true);

      await press('Markup');
      await eventually(chat.said).toContain('<img src=x onerror="window.pwned=1"> is just text');
      expect(await page.locator('.log').getByRole('link', { name: 'Not a link' }).count()).toBe(0);
      expect(await chat.said()).toContain('Not a link');
      expect(await page.evaluate('window.pwned')).toBeUndefined();
      await screenshot(page, 'web-chat-formats');
      expect(errors).toEqual([]);
    }, 90_000);
  });
});

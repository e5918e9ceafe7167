import {
  createParleyClient,
  newMessageId,
  ParleyApiError,
  type Button,
  type ConversationRef,
  type LeadBody,
  type TranscriptEntry,
} from '../client/index';
import type { LeadField, WidgetConfig } from './config';
import { h, icon, ICONS, srOnly } from './dom';
import { renderMessage } from './render';
import { STYLES } from './styles';
import { createTranscript, type Change, type Line } from './transcript';

/**
 * The web chat on a page: a launcher that opens a panel with the conversation, a composer and (when configured) a
 * lead form. It talks to Parley through the typed client, every visitor event with its own message id (reused
 * when the visitor retries), shows the bot's messages from the turn's answer and from the live event stream
 * (merged by `seq`, so nothing shows twice), and keeps the conversation's id and token in the browser's storage
 * to resume it after a reload.
 */

/** What the browser keeps between page loads. */
type Saved = { conversation: ConversationRef | null; open: boolean };

/** How long the typing indicator waits for the reply to a button or lead, which arrives on the stream. */
const REPLY_WAIT_MS = 15_000;
/** Reconnection delays of the event stream: doubling from the first to the last. */
const RECONNECT_FIRST_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
/** The status line while the client sends an event again after a network error or a 503. */
const RETRYING = 'Connection problem: trying again…';

function storageOf(config: WidgetConfig): Storage | null {
  try {
    if (config.persist === 'local') return window.localStorage;
    if (config.persist === 'session') return window.sessionStorage;
  } catch {
    // Storage can be blocked (privacy settings, sandboxed frames): the chat then lasts as long as the page.
  }
  return null;
}

/** What to tell the visitor when a call failed. */
function problem(error: unknown, fallback: string): string {
  if (error instanceof ParleyApiError) return error.message;
  return `${fallback} The chat service cannot be reached; check your connection.`;
}

/** The conversation can no longer be used: its token is refused, it is unknown, or it has closed. */
function gone(error: unknown): boolean {
  return error instanceof ParleyApiError && [401, 404, 409].includes(error.status);
}

const LEAD_LABELS: Record<LeadField, string> = {
  name: 'Name',
  email: 'Email',
  phone: 'Phone',
  message: 'Message (optional)',
};

let instances = 0;

/** Mounts the web chat in `host` (its shadow root holds everything) and resumes a saved conversation. */
export function mountChat(config: WidgetConfig, host: HTMLElement): void {
  instances += 1;
  const id = (name: string) => `parley-${instances}-${name}`;
  const client = createParleyClient({
    baseUrl: config.apiOrigin,
    onRetry: () => setStatus(RETRYING),
  });
  const transcript = createTranscript();
  const storage = storageOf(config);
  const storageKey = `parley:${config.apiOrigin}:${config.chatbotId}`;
  const nodes = new Map<number, HTMLElement>();

  let conversation: ConversationRef | null = null;
  let starting: Promise<ConversationRef | null> | null = null;
  let ended = false;
  let turnsRunning = 0;
  let awaitingReply: ReturnType<typeof setTimeout> | null = null;
  let unread = 0;
  let stream: EventSource | null = null;
  let reconnectDelay = RECONNECT_FIRST_MS;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  // The view.
  const shadow = host.attachShadow({ mode: 'open' });
  const badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  const launcherIcon = h('span', { 'aria-hidden': 'true' }, icon(ICONS.chat));
  const launcher = h(
    'button',
    { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': id('panel') },
    launcherIcon,
    badge,
  );
  const status = h('p', { class: 'status', role: 'status' });
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: 0 });
  const typing = h('div', { class: 'line typing', role: 'status', hidden: true });
  const input = h('input', {
    id: id('input'),
    type: 'text',
    autocomplete: 'off',
    maxlength: 4000,
    placeholder: 'Type your message…',
  });
  const composer = h(
    'form',
    { class: 'composer', onsubmit: (event: Event) => submitMessage(event) },
    h('label', { for: id('input'), class: 'sr' }, 'Message'),
    input,
    h('button', { type: 'submit', class: 'send', 'aria-label': 'Send' }, icon(ICONS.send)),
  );
  const lead = config.leadForm ? leadForm(config.leadForm) : null;
  const leadToggle = lead
    ? h(
        'button',
        { type: 'button', 'aria-expanded': 'false', 'aria-controls': id('lead'), onclick: () => toggleLead() },
        'Leave your details',
      )
    : null;
  const closeButton = h(
    'button',
    { type: 'button', 'aria-label': 'Close chat', onclick: () => close() },
    icon(ICONS.close),
  );
  const panel = h(
    'div',
    { class: 'panel', id: id('panel'), role: 'dialog', 'aria-labelledby': id('title'), hidden: true },
    h('div', { class: 'header' }, h('h2', { id: id('title') }, config.title), leadToggle, closeButton),
    status,
    log,
    typing,
    lead?.form ?? null,
    composer,
  );
  const root = h('div', { class: config.position === 'left' ? 'root left' : 'root' }, panel, launcher);
  root.style.setProperty('--accent', config.color);
  root.style.setProperty('--on-accent', config.textColor);
  shadow.append(h('style', {}, STYLES), root);

  launcher.addEventListener('click', () => (panel.hidden ? open(true) : close()));
  root.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || panel.hidden) return;
    event.preventDefault();
    if (lead && !lead.form.hidden) closeLead();
    else close();
  });
  window.addEventListener('online', () => {
    if (!stream && conversation && !ended) reconnectNow();
  });
  updateLauncher();

  // Showing lines.
  function speaker(line: Line): string {
    return line.from === 'visitor' ? 'You' : line.from === 'agent' ? 'Agent' : config.title;
  }

  function show(change: Change, counting = true): void {
    for (const line of change.added) {
      const wide = line.message.type === 'gallery' || line.message.type === 'card';
      const element = h(
        'div',
        {
          class: `line ${line.from}${wide ? ' wide' : ''}`,
          'data-from': line.from,
          'data-seq': line.seq ?? undefined,
        },
        line.from === 'agent' ? h('span', { class: 'who', 'aria-hidden': 'true' }, 'Agent') : null,
        srOnly(`${speaker(line)}: `),
        renderMessage(line.message, { press: (button, kind) => void press(button, kind) }),
      );
      if (line.from === 'visitor') answerQuickReplies();
      nodes.set(line.key, element);
      log.append(element);
      if (line.from !== 'visitor' && counting && panel.hidden) unread += 1;
    }
    for (const line of change.sequenced) {
      const element = nodes.get(line.key);
      if (element && line.seq !== null) element.dataset['seq'] = String(line.seq);
    }
    if (change.added.length > 0) {
      updateLauncher();
      scrollToEnd();
    }
  }

  /** Quick replies are for the moment they were offered: once the visitor has said something, they go. */
  function answerQuickReplies(): void {
    for (const group of log.querySelectorAll('.quick')) group.classList.add('answered');
  }

  function note(text: string, action?: { label: string; run: () => void }, className = 'note'): void {
    const element = h(
      'div',
      { class: className },
      h('span', {}, text),
      action ? h('button', { type: 'button', class: 'secondary', onclick: action.run }, action.label) : null,
    );
    log.append(element);
    scrollToEnd();
  }

  /** A failure the visitor can retry (the same event, with the same message id). */
  function failed(text: string, retry: () => void): void {
    const element = h('div', { class: 'error' });
    const again = h('button', { type: 'button', class: 'secondary' }, 'Retry');
    again.addEventListener('click', () => {
      element.remove();
      retry();
    });
    element.append(h('span', {}, text), again);
    log.append(element);
    scrollToEnd();
  }

  function scrollToEnd(): void {
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(text: string): void {
    if (status.textContent !== text) status.textContent = text;
  }

  function updateTyping(): void {
    const on = starting !== null || turnsRunning > 0 || awaitingReply !== null;
    if (on === !typing.hidden) return;
    typing.hidden = !on;
    typing.replaceChildren(
      ...(on
        ? [
            h(
              'div',
              { class: 'bubble', 'aria-hidden': 'true' },
              h('span', { class: 'dot' }),
              h('span', { class: 'dot' }),
              h('span', { class: 'dot' }),
            ),
            srOnly(`${config.title} is typing…`),
          ]
        : []),
    );
  }

  function expectReply(): void {
    if (awaitingReply !== null) clearTimeout(awaitingReply);
    awaitingReply = setTimeout(() => {
      awaitingReply = null;
      updateTyping();
    }, REPLY_WAIT_MS);
    updateTyping();
  }

  function replied(): void {
    if (awaitingReply === null) return;
    clearTimeout(awaitingReply);
    awaitingReply = null;
    updateTyping();
  }

  function updateLauncher(): void {
    const isOpen = !panel.hidden;
    root.classList.toggle('open', isOpen);
    launcher.setAttribute('aria-expanded', String(isOpen));
    const waiting = !isOpen && unread > 0 ? ` (${unread} new ${unread === 1 ? 'message' : 'messages'})` : '';
    launcher.setAttribute('aria-label', `${isOpen ? 'Close' : 'Open'} chat: ${config.title}${waiting}`);
    badge.hidden = isOpen || unread === 0;
    badge.textContent = String(unread);
    launcherIcon.replaceChildren(icon(isOpen ? ICONS.close : ICONS.chat));
  }

  // Opening and closing.
  function open(focusInput: boolean): void {
    panel.hidden = false;
    unread = 0;
    updateLauncher();
    save();
    scrollToEnd();
    if (!conversation && !ended) void ensureConversation();
    if (focusInput) input.focus();
  }

  function close(): void {
    const focusInside = panel.contains(shadow.activeElement);
    panel.hidden = true;
    updateLauncher();
    save();
    if (focusInside) launcher.focus();
  }

  // Keeping the conversation across reloads.
  function save(): void {
    const saved: Saved = { conversation, open: !panel.hidden };
    try {
      storage?.setItem(storageKey, JSON.stringify(saved));
    } catch {
      // A full or blocked storage only costs the resume.
    }
  }

  function saved(): Saved | null {
    try {
      const text = storage?.getItem(storageKey);
      if (!text) return null;
      const value = JSON.parse(text) as Partial<Saved>;
      const ref = value.conversation;
      const valid = ref && typeof ref.conversationId === 'string' && typeof ref.token === 'string';
      return {
        conversation: valid ? { conversationId: ref.conversationId, token: ref.token } : null,
        open: !!value.open,
      };
    } catch {
      return null;
    }
  }

  // The conversation.
  function ensureConversation(): Promise<ConversationRef | null> {
    if (conversation) return Promise.resolve(conversation);
    starting ??= (async () => {
      try {
        const started = await client.startConversation(config.chatbotId, config.publishableKey);
        conversation = { conversationId: started.conversationId, token: started.token };
        ended = false;
        save();
        show(transcript.addReply(started.messages, transcript.lines.length));
        connect();
        return conversation;
      } catch (error) {
        failed(problem(error, 'The chat could not start.'), () => void ensureConversation());
        return null;
      } finally {
        starting = null;
        updateTyping();
      }
    })();
    updateTyping();
    return starting;
  }

  /** Reads a saved conversation's transcript, then follows its stream from there. */
  async function resume(ref: ConversationRef): Promise<void> {
    conversation = ref;
    try {
      const entries = await client.transcript(ref, transcript.lastSeq);
      for (const entry of entries) show(transcript.addEntry(entry), false);
      connect();
    } catch (error) {
      if (gone(error)) {
        conversation = null;
        save();
        if (!panel.hidden) void ensureConversation();
        return;
      }
      failed(problem(error, 'The conversation could not be loaded.'), () => void resume(ref));
    }
  }

  function endConversation(text: string): void {
    ended = true;
    conversation = null;
    disconnect();
    replied();
    save();
    note(text, { label: 'Start a new conversation', run: () => restart() });
  }

  function restart(): void {
    ended = false;
    transcript.clear();
    nodes.clear();
    log.replaceChildren();
    void ensureConversation().then((started) => started && input.focus());
  }

  function submitMessage(event: Event): void {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    if (ended) restart();
    void send(text);
  }

  async function send(text: string): Promise<void> {
    const ref = await ensureConversation();
    if (!ref) return;
    const { line, mark } = transcript.addVisitor(text);
    show({ added: [line], sequenced: [] });
    await deliver(ref, text, newMessageId(), mark);
  }

  /** Sends a message and shows its turn's answer; a failure offers to send it again with the same id. */
  async function deliver(ref: ConversationRef, text: string, messageId: string, mark: number): Promise<void> {
    turnsRunning += 1;
    updateTyping();
    try {
      const reply = await client.sendMessage(ref, { text, messageId });
      if (status.textContent === RETRYING) setStatus('');
      show(transcript.addReply(reply.messages, mark));
    } catch (error) {
      if (gone(error)) endConversation('This conversation has ended.');
      else failed(problem(error, 'Your message was not sent.'), () => void deliver(ref, text, messageId, mark));
    } finally {
      turnsRunning -= 1;
      updateTyping();
    }
  }

  async function press(button: Button, kind: 'button' | 'quick_reply'): Promise<void> {
    const payload = button.payload;
    if (payload === undefined) return;
    if (ended) restart();
    const ref = await ensureConversation();
    if (!ref) return;
    const { line } = transcript.addVisitor(button.label);
    show({ added: [line], sequenced: [] });
    if (kind === 'quick_reply') input.focus();
    const messageId = newMessageId();
    await dispatch(() => client.clickButton(ref, { payload, messageId }), 'Your choice was not sent.');
  }

  /** Sends a button or lead (answered 202: the replies come on the stream), expecting a reply. */
  async function dispatch(call: () => Promise<unknown>, failure: string): Promise<boolean> {
    expectReply();
    try {
      await call();
      return true;
    } catch (error) {
      replied();
      if (gone(error)) endConversation('This conversation has ended.');
      else failed(problem(error, failure), () => void dispatch(call, failure));
      return false;
    }
  }

  // The live event stream: the bot's and agents' messages as they are said, resumed after the last `seq`.
  function connect(): void {
    if (stream || !conversation || ended) return;
    const ref = conversation;
    if (reconnectTimer !== null) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
    void client.eventStreamUrl(ref, transcript.lastSeq).then(
      (url) => {
        if (conversation !== ref || stream) return;
        const source = new EventSource(url);
        stream = source;
        source.addEventListener('open', () => {
          reconnectDelay = RECONNECT_FIRST_MS;
          setStatus('');
        });
        source.addEventListener('message', (event) => {
          const entry = JSON.parse((event as MessageEvent<string>).data) as TranscriptEntry;
          const change = transcript.addEntry(entry);
          if (entry.from !== 'visitor' && (change.added.length > 0 || change.sequenced.length > 0)) replied();
          show(change);
        });
        source.addEventListener('closed', () => {
          source.close();
          stream = null;
          endConversation('This conversation has ended.');
        });
        // A broken stream is reopened by us, with a fresh stream token and the last seq (the browser's own retry
        // would reuse a token that expires after a minute).
        source.addEventListener('error', () => {
          source.close();
          if (stream === source) stream = null;
          if (ended || conversation !== ref) return;
          setStatus('Reconnecting…');
          scheduleReconnect();
        });
      },
      (error: unknown) => {
        if (gone(error)) endConversation('This conversation has ended.');
        else {
          setStatus('Reconnecting…');
          scheduleReconnect();
        }
      },
    );
  }

  function scheduleReconnect(): void {
    if (reconnectTimer !== null) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  function reconnectNow(): void {
    reconnectDelay = RECONNECT_FIRST_MS;
    connect();
  }

  function disconnect(): void {
    stream?.close();
    stream = null;
    if (reconnectTimer !== null) clearTimeout(reconnectTimer);
    reconnectTimer = null;
  }

  // The lead form.
  function leadForm(fields: LeadField[]) {
    const problemText = h('p', { class: 'problem', role: 'alert' });
    const controls = new Map<LeadField, HTMLInputElement | HTMLTextAreaElement>();
    const labelled = fields.map((field) => {
      const control =
        field === 'message'
          ? h('textarea', { id: id(`lead-${field}`), rows: 2, maxlength: 2000 })
          : h('input', {
              id: id(`lead-${field}`),
              type: field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text',
              autocomplete: field === 'phone' ? 'tel' : field,
              maxlength: field === 'email' ? 320 : field === 'phone' ? 40 : 200,
            });
      controls.set(field, control);
      return h('label', { for: id(`lead-${field}`) }, LEAD_LABELS[field], control);
    });
    const form = h(
      'form',
      { class: 'lead', id: id('lead'), hidden: true, novalidate: true, 'aria-labelledby': id('lead-title') },
      h('h3', { id: id('lead-title') }, 'Leave your details'),
      ...labelled,
      problemText,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => closeLead() }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, 'Send details'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = (field: LeadField) => controls.get(field)?.value.trim() || undefined;
      const body: LeadBody = {
        ...(value('name') ? { name: value('name') } : {}),
        ...(value('email') ? { email: value('email') } : {}),
        ...(value('phone') ? { phone: value('phone') } : {}),
        ...(value('message') ? { fields: { message: value('message') ?? '' } } : {}),
      };
      if (!body.email && !body.phone) {
        problemText.textContent = `Please give your ${fields.includes('email') ? 'email address' : 'phone number'}${
          fields.includes('email') && fields.includes('phone') ? ' or phone number' : ''
        }.`;
        (controls.get('email') ?? controls.get('phone'))?.focus();
        return;
      }
      problemText.textContent = '';
      void sendLead(body);
    });

    async function sendLead(body: LeadBody): Promise<void> {
      if (ended) restart();
      const ref = await ensureConversation();
      if (!ref) return;
      const messageId = newMessageId();
      expectReply();
      try {
        await client.submitLead(ref, { ...body, messageId });
      } catch (error) {
        replied();
        if (gone(error)) {
          closeLead();
          endConversation('This conversation has ended.');
        } else problemText.textContent = problem(error, 'Your details were not sent.');
        return;
      }
      form.reset();
      closeLead();
      note('You sent your details.');
      input.focus();
    }

    return { form, first: () => controls.get(fields[0] as LeadField) };
  }

  function toggleLead(): void {
    if (!lead) return;
    if (lead.form.hidden) {
      lead.form.hidden = false;
      leadToggle?.setAttribute('aria-expanded', 'true');
      lead.first()?.focus();
    } else closeLead();
  }

  function closeLead(): void {
    if (!lead || lead.form.hidden) return;
    const focusInside = lead.form.contains(shadow.activeElement);
    lead.form.hidden = true;
    leadToggle?.setAttribute('aria-expanded', 'false');
    if (focusInside) leadToggle?.focus();
  }

  // Start: resume what this browser was talking about, open if it was open (or the page asks).
  const previous = saved();
  if (previous?.conversation) void resume(previous.conversation);
  if (previous?.open || config.openOnLoad) open(false);
}

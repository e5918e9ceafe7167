import type { BotMessage, Button } from '../client/index';
import { h, icon, ICONS, safeUrl, srOnly } from './dom';

/**
 * How each bot message format is shown: text, card, link, image, gallery, buttons and quick replies. Everything a
 * message says goes in as text; links and images must be http(s).
 */

type Card = Extract<BotMessage, { type: 'card' }> extends infer C ? Omit<C, 'type'> : never;

/** What the rendered controls do. */
export type RenderActions = {
  /** A button or quick reply with a payload was pressed. */
  press: (button: Button, kind: 'button' | 'quick_reply') => void;
};

const NEW_TAB = ' (opens in a new tab)';

/** A link that opens in a new tab, or plain text when its URL may not be followed. */
function link(url: string | undefined, content: string, className?: string): HTMLElement {
  const href = safeUrl(url);
  if (!href) return h('span', { class: className }, content);
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: className }, content, srOnly(NEW_TAB));
}

/** Buttons as a group: a payload button is pressed in the conversation, a URL button opens its page. */
function buttonRow(
  buttons: Button[],
  label: string | undefined,
  kind: 'button' | 'quick_reply',
  actions: RenderActions,
) {
  return h(
    'div',
    { class: kind === 'quick_reply' ? 'choices quick' : 'choices', role: 'group', 'aria-label': label ?? 'Options' },
    ...buttons.map((button) =>
      button.payload === undefined
        ? link(button.url, button.label, 'choice')
        : h('button', { type: 'button', class: 'choice', onclick: () => actions.press(button, kind) }, button.label),
    ),
  );
}

function card(content: Card, actions: RenderActions, extra: Record<string, string> = {}): HTMLElement {
  const image = safeUrl(content.imageUrl);
  return h(
    'article',
    { class: 'card', ...extra },
    image ? h('img', { src: image, alt: content.title, loading: 'lazy' }) : null,
    h(
      'div',
      { class: 'card-body' },
      h('h3', {}, content.url ? link(content.url, content.title) : content.title),
      content.subtitle ? h('p', { class: 'subtitle' }, content.subtitle) : null,
      content.fields?.length
        ? h('dl', {}, ...content.fields.flatMap((field) => [h('dt', {}, field.label), h('dd', {}, field.value)]))
        : null,
      content.buttons?.length ? buttonRow(content.buttons, content.title, 'button', actions) : null,
    ),
  );
}

/** A gallery: one card at a time, with previous/next buttons (and arrow keys) and where you are ("2 of 3"). */
function gallery(cards: Card[], actions: RenderActions): HTMLElement {
  const count = cards.length;
  const slides = cards.map((content, index) =>
    card(content, actions, {
      role: 'group',
      'aria-roledescription': 'slide',
      'aria-label': `${index + 1} of ${count}`,
    }),
  );
  const position = h('span', { class: 'position', 'aria-live': 'polite' });
  const previous = h('button', { type: 'button', class: 'nav', 'aria-label': 'Previous' }, icon(ICONS.previous));
  const next = h('button', { type: 'button', class: 'nav', 'aria-label': 'Next' }, icon(ICONS.next));
  let current = 0;
  const show = (index: number) => {
    current = Math.max(0, Math.min(count - 1, index));
    slides.forEach((slide, at) => (slide.hidden = at !== current));
    position.textContent = `${current + 1} of ${count}`;
    // A button that becomes disabled would drop the keyboard focus: it moves to the other one.
    const focused = root.getRootNode() instanceof ShadowRoot ? (root.getRootNode() as ShadowRoot).activeElement : null;
    previous.disabled = current === 0;
    next.disabled = current === count - 1;
    if (focused === next && next.disabled) previous.focus();
    if (focused === previous && previous.disabled) next.focus();
  };
  previous.addEventListener('click', () => show(current - 1));
  next.addEventListener('click', () => show(current + 1));
  const root = h(
    'div',
    { class: 'gallery', role: 'group', 'aria-roledescription': 'carousel', 'aria-label': `${count} items` },
    h('div', { class: 'slides' }, ...slides),
    count > 1 ? h('div', { class: 'gallery-nav' }, previous, position, next) : null,
  );
  root.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      if ((event.target as HTMLElement).closest('input, textarea')) return;
      show(current + (event.key === 'ArrowRight' ? 1 : -1));
      event.preventDefault();
    }
  });
  show(0);
  return root;
}

/** The elements that show one bot (or agent) message. */
export function renderMessage(message: BotMessage, actions: RenderActions): HTMLElement {
  switch (message.type) {
    case 'text':
      return h('div', { class: 'bubble' }, message.text);
    case 'card': {
      const { type: _type, ...content } = message;
      return card(content, actions);
    }
    case 'link':
      return h('div', { class: 'bubble' }, link(message.url, message.text ?? message.url));
    case 'image': {
      const src = safeUrl(message.url);
      const alt = message.alt ?? 'Image';
      return src
        ? h(
            'a',
            { class: 'image', href: src, target: '_blank', rel: 'noopener noreferrer' },
            h('img', { src, alt, loading: 'lazy' }),
            srOnly(NEW_TAB),
          )
        : h('div', { class: 'bubble' }, alt);
    }
    case 'gallery':
      return gallery(message.cards, actions);
    case 'buttons':
      return h(
        'div',
        { class: 'with-choices' },
        message.text ? h('div', { class: 'bubble' }, message.text) : null,
        buttonRow(message.buttons, message.text, 'button', actions),
      );
    case 'quick_replies':
      return h(
        'div',
        { class: 'with-choices' },
        message.text ? h('div', { class: 'bubble' }, message.text) : null,
        buttonRow(message.replies, message.text, 'quick_reply', actions),
      );
  }
}

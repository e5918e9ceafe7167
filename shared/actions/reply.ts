import type { ReplyDefinition } from './reply-schema';
import type { Json, JsonObject } from '../json';
import type { BotMessage, Button } from '../messages';
import { renderData } from './render-data';
import { lookupPath, renderText, valueAsText, type TemplateContext } from './template';

/**
 * Reply composition: an action's reply definition rendered into structured bot messages — text, card,
 * link, image, gallery (a card per array element), buttons or quick replies — plus an optional action button.
 */

type CardTemplate = NonNullable<ReplyDefinition['card']>;
type Card = Extract<BotMessage, { type: 'card' }> extends infer C ? Omit<C, 'type'> : never;

function renderCard(card: CardTemplate, context: TemplateContext): Card {
  const render = (template: string | undefined) => (template === undefined ? undefined : renderText(template, context));
  const out: Card = { title: renderText(card.title, context) };
  const subtitle = render(card.subtitle);
  const imageUrl = render(card.imageUrl);
  const url = render(card.url);
  if (subtitle) out.subtitle = subtitle;
  if (imageUrl) out.imageUrl = imageUrl;
  if (url) out.url = url;
  if (card.fields?.length) {
    out.fields = card.fields.map((field) => ({
      label: renderText(field.label, context),
      value: renderText(field.value, context),
    }));
  }
  return out;
}

function renderButton(button: { label: string; payload?: string; url?: string }, context: TemplateContext): Button {
  const label = renderText(button.label, context);
  return button.url !== undefined
    ? { label, url: renderText(button.url, context) }
    : { label, payload: button.payload ?? label };
}

/** One button per element of the array `reply.itemButtons.items` names (at most `max`); none without it. */
function itemButtons(reply: ReplyDefinition, context: TemplateContext): Button[] {
  const spec = reply.itemButtons;
  const items = spec ? lookupPath(context, spec.items) : undefined;
  if (!spec || !Array.isArray(items)) return [];
  return items.slice(0, spec.max).flatMap((item): Button[] => {
    const each = { ...context, item };
    const label = renderText(spec.label, each).slice(0, 80);
    if (!label) return [];
    if (spec.url !== undefined) return [{ label, url: renderText(spec.url, each) }];
    const payload = renderText(spec.payload ?? '', each).slice(0, 256);
    return payload ? [{ label, payload }] : [];
  });
}

/** A readable default for fields when there is neither a template nor an API message. */
function fieldLines(fields: JsonObject): string | null {
  const lines = Object.entries(fields)
    .filter(([, value]) => value !== null && typeof value !== 'object')
    .map(([key, value]) => `${key.replace(/_/g, ' ')}: ${valueAsText(value)}`);
  return lines.length ? lines.join('\n') : null;
}

/** How a reply without a template reads the data (conversations recorded before readable replies list fields). */
export type ReplyOptions = { readable?: boolean };

/**
 * What a reply without a template says, readably: with `say: "message"` (the default) the API's `message`
 * verbatim, else the data rendered; with `say: "data"`, a `data` string verbatim, else the data rendered (the
 * `message` is the API's log line). "Done." only when nothing came back.
 */
function readableFallback(
  reply: ReplyDefinition,
  last: { message: string | null; fields: JsonObject } | null,
): BotMessage[] {
  if (!last) return [{ type: 'text', text: 'Done.' }];
  if (reply.say === 'message' && last.message) return [{ type: 'text', text: last.message }];
  const { message: _logLine, ...fields } = last.fields;
  const data = reply.say === 'data' ? (fields['data'] ?? fields) : fields;
  const rendered = renderData(typeof data === 'string' ? data : (data as JsonObject));
  return rendered.length ? rendered : [{ type: 'text', text: 'Done.' }];
}

/**
 * Renders the reply of a successful run. `last` is the last successful step's API message and fields:
 * without a template the API's `message` is said verbatim, else the data is rendered (readable replies) or the
 * fields listed (older conversations).
 */
export function renderReply(
  reply: ReplyDefinition,
  context: TemplateContext,
  last: { message: string | null; fields: JsonObject } | null,
  options: ReplyOptions = {},
): BotMessage[] {
  const explicit = reply.template !== null ? renderText(reply.template, context) : null;
  const readable = options.readable && explicit === null ? readableFallback(reply, last) : null;
  const readableText = readable?.length === 1 && readable[0]?.type === 'text' ? readable[0].text : null;
  const fallback = options.readable ? readableText : (last?.message ?? (last ? fieldLines(last.fields) : null));
  const textOf = (whenAlone: string | null) => explicit ?? whenAlone;
  const messages: BotMessage[] = [];
  const sayText = (value: string | null) => {
    if (value) messages.push({ type: 'text', text: value });
  };

  switch (reply.format) {
    case 'text':
      if (readable) messages.push(...readable);
      else sayText(textOf(fallback ?? 'Done.'));
      break;
    case 'card':
      sayText(explicit);
      if (reply.card) messages.push({ type: 'card', ...renderCard(reply.card, context) });
      break;
    case 'link':
      sayText(explicit);
      if (reply.link) {
        const text = reply.link.text === undefined ? undefined : renderText(reply.link.text, context);
        messages.push({ type: 'link', url: renderText(reply.link.url, context), ...(text ? { text } : {}) });
      }
      break;
    case 'image':
      sayText(explicit);
      if (reply.image) {
        const alt = reply.image.alt === undefined ? undefined : renderText(reply.image.alt, context);
        messages.push({ type: 'image', url: renderText(reply.image.url, context), ...(alt ? { alt } : {}) });
      }
      break;
    case 'gallery': {
      sayText(explicit);
      const gallery = reply.gallery;
      const items = gallery ? lookupPath(context, gallery.items) : undefined;
      const list: Json[] = Array.isArray(items) ? items.slice(0, gallery?.max ?? 10) : [];
      if (gallery && list.length) {
        messages.push({ type: 'gallery', cards: list.map((item) => renderCard(gallery.card, { ...context, item })) });
      } else if (!explicit) {
        sayText('No results.');
      }
      break;
    }
    case 'buttons':
    case 'quick_replies': {
      const text = textOf(fallback);
      const buttons = (reply.buttons ?? []).map((button) => renderButton(button, context));
      messages.push(
        reply.format === 'buttons'
          ? { type: 'buttons', ...(text ? { text } : {}), buttons }
          : { type: 'quick_replies', ...(text ? { text } : {}), replies: buttons },
      );
      break;
    }
  }
  const perItem = itemButtons(reply, context);
  if (perItem.length) {
    messages.push(
      reply.format === 'quick_replies'
        ? { type: 'quick_replies', replies: perItem }
        : { type: 'buttons', buttons: perItem },
    );
  }
  if (reply.actionButton) {
    const { label, url, action } = reply.actionButton;
    const button: Button =
      url !== undefined
        ? { label: renderText(label, context), url: renderText(url, context) }
        : { label: renderText(label, context), payload: `action:${action}` };
    messages.push({ type: 'buttons', buttons: [button] });
  }
  return messages;
}

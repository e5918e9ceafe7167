import type { BotMessage, Button } from '../messages';

/**
 * The bot's messages as an email: plain text that reads well in any mail client, and simple HTML beside it. Cards,
 * galleries, links and images become their words and addresses; buttons and quick replies become a list of what the
 * visitor can reply with, since an email cannot press them. Pure: workflow code composes replies with it.
 */

/** An email body in both forms. */
export type EmailBody = { text: string; html: string };

type Card = Extract<BotMessage, { type: 'card' }>;

const isWebUrl = (url: string | undefined): url is string => url !== undefined && /^https?:\/\//i.test(url);

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const paragraph = (text: string) => `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`;
const link = (label: string, url: string) =>
  isWebUrl(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : escapeHtml(label);

/** The buttons as what can be replied (payload buttons) and where to go (link buttons). */
function buttonLines(buttons: Button[]): { replies: string[]; links: { label: string; url: string }[] } {
  const replies: string[] = [];
  const links: { label: string; url: string }[] = [];
  for (const button of buttons) {
    if (isWebUrl(button.url)) links.push({ label: button.label, url: button.url });
    else replies.push(button.label);
  }
  return { replies, links };
}

function buttonsText(buttons: Button[]): string[] {
  const { replies, links } = buttonLines(buttons);
  const lines: string[] = [];
  if (replies.length) lines.push('Reply with one of:', ...replies.map((label) => `  - ${label}`));
  for (const { label, url } of links) lines.push(`${label}: ${url}`);
  return lines;
}

function buttonsHtml(buttons: Button[]): string {
  const { replies, links } = buttonLines(buttons);
  let html = '';
  if (replies.length) {
    html += `<p>Reply with one of:</p><ul>${replies.map((label) => `<li>${escapeHtml(label)}</li>`).join('')}</ul>`;
  }
  if (links.length) html += `<p>${links.map(({ label, url }) => link(label, url)).join('<br>')}</p>`;
  return html;
}

function cardText(card: Omit<Card, 'type'>): string[] {
  const lines = [card.title];
  if (card.subtitle) lines.push(card.subtitle);
  for (const field of card.fields ?? []) lines.push(`${field.label}: ${field.value}`);
  if (isWebUrl(card.url)) lines.push(card.url);
  if (isWebUrl(card.imageUrl)) lines.push(`Image: ${card.imageUrl}`);
  lines.push(...buttonsText(card.buttons ?? []));
  return lines;
}

function cardHtml(card: Omit<Card, 'type'>): string {
  let html = `<div style="border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:8px 0">`;
  html += `<p><strong>${isWebUrl(card.url) ? link(card.title, card.url) : escapeHtml(card.title)}</strong>`;
  if (card.subtitle) html += `<br>${escapeHtml(card.subtitle)}`;
  html += '</p>';
  if (isWebUrl(card.imageUrl)) {
    html += `<p><img src="${escapeHtml(card.imageUrl)}" alt="${escapeHtml(card.title)}" style="max-width:100%"></p>`;
  }
  const fields = card.fields ?? [];
  if (fields.length) {
    html += `<table>${fields
      .map(
        (field) => `<tr><td><strong>${escapeHtml(field.label)}</strong></td><td>${escapeHtml(field.value)}</td></tr>`,
      )
      .join('')}</table>`;
  }
  return html + buttonsHtml(card.buttons ?? []) + '</div>';
}

/** One message as plain text. */
export function messageText(message: BotMessage): string {
  switch (message.type) {
    case 'text':
      return message.text;
    case 'card':
      return cardText(message).join('\n');
    case 'link':
      return message.text ? `${message.text}: ${message.url}` : message.url;
    case 'image':
      return message.alt ? `${message.alt}: ${message.url}` : `Image: ${message.url}`;
    case 'gallery':
      return message.cards
        .map((card, index) => cardText({ ...card, title: `${index + 1}. ${card.title}` }).join('\n'))
        .join('\n\n');
    case 'buttons':
      return [...(message.text ? [message.text] : []), ...buttonsText(message.buttons)].join('\n');
    case 'quick_replies':
      return [...(message.text ? [message.text] : []), ...buttonsText(message.replies)].join('\n');
  }
}

/** One message as HTML. */
export function messageHtml(message: BotMessage): string {
  switch (message.type) {
    case 'text':
      return paragraph(message.text);
    case 'card':
      return cardHtml(message);
    case 'link':
      return `<p>${link(message.text ?? message.url, message.url)}</p>`;
    case 'image':
      return isWebUrl(message.url)
        ? `<p><img src="${escapeHtml(message.url)}" alt="${escapeHtml(message.alt ?? '')}" style="max-width:100%"></p>`
        : paragraph(messageText(message));
    case 'gallery':
      return message.cards.map((card) => cardHtml(card)).join('');
    case 'buttons':
      return (message.text ? paragraph(message.text) : '') + buttonsHtml(message.buttons);
    case 'quick_replies':
      return (message.text ? paragraph(message.text) : '') + buttonsHtml(message.replies);
  }
}

/** The bot's messages as one email body: messages apart by a blank line (text) or as blocks (HTML). */
export function renderEmailBody(messages: BotMessage[]): EmailBody {
  const text = messages.map(messageText).join('\n\n') + '\n';
  const html =
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">' +
    messages.map(messageHtml).join('') +
    '</body></html>';
  return { text, html };
}

import { VISITOR_LIMITS } from '../security/visitor-limits';
import { htmlToText, newReplyText } from './reply-text';

/**
 * An inbound email as providers' "inbound parse" webhooks post it, read into one shape. Parley takes the fields by
 * name, case-insensitively, in the spellings of the common providers:
 *
 * | Field       | Read from (first present)                                                                 |
 * | ----------- | ----------------------------------------------------------------------------------------- |
 * | from        | `from` (SendGrid, Mailgun, Postmark, plain JSON), else the From header                     |
 * | to          | `recipient` (Mailgun), `OriginalRecipient` (Postmark), SendGrid's `envelope`, `to`, header |
 * | subject     | `subject`, else the Subject header                                                        |
 * | text        | `text`, `body-plain`, `TextBody`, `stripped-text`, `StrippedTextReply`; else the HTML part (`html`, `body-html`, `HtmlBody`) as text |
 * | message-id  | the Message-ID header, else `message-id` / `messageId`                                     |
 * | in-reply-to | the In-Reply-To header, else `in-reply-to` / `inReplyTo`                                   |
 * | references  | the References header, else `references`                                                   |
 *
 * Headers come from `headers` (SendGrid's raw header block, or Postmark's `[{Name, Value}]`) or `message-headers`
 * (Mailgun's JSON list of pairs). Pure; every scan is linear in the length of what was sent.
 */

/**
 * The chatbot secret an email provider authenticates its inbound webhook with (the HTTP Basic password, or
 * `?secret=`): set with `PUT /v1/chatbots/:botId/secrets/email_inbound`.
 */
export const EMAIL_INBOUND_SECRET = 'email_inbound';

/** A mailbox: its address (lower case) and display name. */
export type Mailbox = { address: string; name: string | null };

/** An inbound email, read. */
export type InboundEmail = {
  from: Mailbox;
  /** The address the visitor wrote to. */
  inbox: string;
  subject: string;
  /** What the visitor newly wrote: quoted text, signature and footers removed, at most a message's length. */
  text: string;
  /** Its Message-ID (`<…>`), when it has one. */
  messageId: string | null;
  inReplyTo: string | null;
  /** The thread's Message-IDs from References, oldest first. */
  references: string[];
  /** Sent by a robot (Auto-Submitted other than `no`, or Precedence bulk, junk or auto_reply): not answered. */
  automatic: boolean;
};

/** The most Message-IDs read from References. */
const MAX_REFERENCES = 50;
/** The longest Message-ID kept. */
const MAX_MESSAGE_ID = 250;
/** The longest subject kept. */
const MAX_SUBJECT = 500;
/** The most characters of any one field that are read. */
const MAX_FIELD = 200_000;

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** Whether a string is an email address Parley can write to (one @, no spaces or brackets, a dot in the domain). */
export function isAddress(value: string): boolean {
  if (value.length > 320 || !ADDRESS.test(value)) return false;
  const domain = value.slice(value.lastIndexOf('@') + 1);
  return domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.');
}

/** The first mailbox of an address field (`Ada <ada@example.com>`, `ada@example.com`, a list), or null. */
export function parseMailbox(value: string): Mailbox | null {
  const text = value.slice(0, 2000).trim();
  const open = text.indexOf('<');
  let address: string;
  let name: string | null = null;
  if (open >= 0) {
    const close = text.indexOf('>', open);
    if (close < 0) return null;
    address = text.slice(open + 1, close).trim();
    const display = text.slice(0, open).trim();
    name = (display.startsWith('"') && display.endsWith('"') ? display.slice(1, -1) : display).trim() || null;
  } else {
    address = text.split(/[\s,;]+/).find((part) => part.includes('@')) ?? '';
  }
  address = address.toLowerCase();
  return isAddress(address) ? { address, name: name ? name.slice(0, 200) : null } : null;
}

/** The Message-IDs in a header value (`<a@x> <b@y>`), each with its angle brackets. */
export function messageIds(value: string): string[] {
  const ids: string[] = [];
  const text = value.slice(0, MAX_FIELD);
  let at = 0;
  for (;;) {
    const open = text.indexOf('<', at);
    if (open < 0) break;
    const close = text.indexOf('>', open);
    if (close < 0) break;
    const id = text.slice(open + 1, close).trim();
    if (id && id.length <= MAX_MESSAGE_ID && !/\s/.test(id)) ids.push(`<${id}>`);
    at = close + 1;
  }
  if (ids.length === 0) {
    // Some senders leave the brackets out.
    const bare = text.trim();
    if (bare && bare.length <= MAX_MESSAGE_ID && !/\s/.test(bare)) ids.push(`<${bare}>`);
  }
  return ids;
}

type Fields = Map<string, unknown>;

/** Header name (lower case) to its first value. */
function headersOf(fields: Fields): Map<string, string> {
  const headers = new Map<string, string>();
  const add = (name: unknown, value: unknown) => {
    if (typeof name !== 'string' || typeof value !== 'string') return;
    const key = name.trim().toLowerCase();
    if (!headers.has(key)) headers.set(key, value.trim());
  };
  const raw = fields.get('headers');
  if (typeof raw === 'string') {
    // SendGrid: the raw header block; continuation lines are unfolded first.
    for (const line of raw
      .slice(0, MAX_FIELD)
      .replace(/\r?\n[ \t]+/g, ' ')
      .split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) add(line.slice(0, colon), line.slice(colon + 1));
    }
  } else if (Array.isArray(raw)) {
    // Postmark: [{ Name, Value }].
    for (const header of raw.slice(0, 500)) {
      if (typeof header === 'object' && header !== null) {
        const entry = header as Record<string, unknown>;
        add(entry['Name'] ?? entry['name'], entry['Value'] ?? entry['value']);
      }
    }
  }
  const pairs = fields.get('message-headers');
  if (typeof pairs === 'string') {
    // Mailgun: a JSON list of [name, value] pairs.
    try {
      const parsed: unknown = JSON.parse(pairs.slice(0, MAX_FIELD));
      if (Array.isArray(parsed)) {
        for (const pair of parsed.slice(0, 500)) if (Array.isArray(pair)) add(pair[0], pair[1]);
      }
    } catch {
      // Unreadable headers: the fields alone are read.
    }
  }
  return headers;
}

/** A field's text when it is a non-empty string; `problems` learns of a field that is there but not text. */
function textField(fields: Fields, names: string[], problems: string[]): string | null {
  for (const name of names) {
    const value = fields.get(name);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      problems.push(`${name}: must be a string`);
      return null;
    }
    if (value.trim() !== '') return value.slice(0, MAX_FIELD);
  }
  return null;
}

/** The first recipient of SendGrid's `envelope` (`{"to": ["…"], "from": "…"}`). */
function envelopeRecipient(fields: Fields): string | null {
  const envelope = fields.get('envelope');
  if (typeof envelope !== 'string') return null;
  try {
    const parsed = JSON.parse(envelope.slice(0, 10_000)) as { to?: unknown };
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    return typeof to === 'string' ? to : null;
  } catch {
    return null;
  }
}

/**
 * Reads an inbound email from a provider's webhook body (its fields, from JSON or a form), or answers what is wrong
 * with it, each problem naming the field: `from` and `to` need an address, and the email needs some new text.
 */
export function readInboundEmail(body: unknown): { email: InboundEmail } | { problems: string[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { problems: ["body: must be the email's fields (from, to, subject, text, message-id, …)"] };
  }
  const fields: Fields = new Map(Object.entries(body).map(([name, value]) => [name.toLowerCase(), value]));
  const problems: string[] = [];
  const headers = headersOf(fields);
  const header = (name: string) => headers.get(name) || null;

  // A field already named as not text is not also named as missing.
  const named = (field: string) => problems.some((problem) => problem.startsWith(`${field}:`));
  const fromText = textField(fields, ['from'], problems) ?? header('from');
  const parsedFrom = fromText === null ? null : parseMailbox(fromText);
  // Postmark sends the display name apart.
  const fromName = fields.get('fromname');
  const from =
    parsedFrom && !parsedFrom.name && typeof fromName === 'string' && fromName.trim()
      ? { ...parsedFrom, name: fromName.trim().slice(0, 200) }
      : parsedFrom;
  if (fromText === null) {
    if (!named('from')) problems.push("from: is required (the sender's address)");
  } else if (!from) problems.push(`from: "${fromText.slice(0, 80)}" holds no email address`);

  const toText =
    textField(fields, ['recipient', 'originalrecipient'], problems) ??
    envelopeRecipient(fields) ??
    textField(fields, ['to'], problems) ??
    header('to');
  const to = toText === null ? null : parseMailbox(toText);
  if (toText === null) {
    if (!named('to') && !named('recipient')) problems.push('to: is required (the address the email was sent to)');
  } else if (!to) problems.push(`to: "${toText.slice(0, 80)}" holds no email address`);

  const subject = (textField(fields, ['subject'], problems) ?? header('subject') ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_SUBJECT);

  const plain = textField(fields, ['text', 'body-plain', 'textbody', 'stripped-text', 'strippedtextreply'], problems);
  const html = plain === null ? textField(fields, ['html', 'body-html', 'htmlbody'], problems) : null;
  let text: string | null = null;
  if (plain === null && html === null) {
    if (!named('text') && !named('html')) problems.push("text: is required (the email's plain-text body)");
  } else {
    text = newReplyText(plain ?? htmlToText(html ?? '')).slice(0, VISITOR_LIMITS.messageChars);
    if (text === '') problems.push('text: the email has no new text above the quoted reply');
  }

  const idText = header('message-id') ?? textField(fields, ['message-id', 'messageid'], problems);
  const replyText = header('in-reply-to') ?? textField(fields, ['in-reply-to', 'inreplyto'], problems);
  const referencesText = header('references') ?? textField(fields, ['references'], problems);

  if (problems.length > 0 || !from || !to || text === null) return { problems };
  const automatic = header('auto-submitted');
  const precedence = (header('precedence') ?? '').toLowerCase();
  return {
    email: {
      from,
      inbox: to.address,
      subject,
      text,
      messageId: idText === null ? null : (messageIds(idText)[0] ?? null),
      inReplyTo: replyText === null ? null : (messageIds(replyText)[0] ?? null),
      references: referencesText === null ? [] : messageIds(referencesText).slice(-MAX_REFERENCES),
      automatic:
        (automatic !== null && automatic.toLowerCase() !== 'no') || ['bulk', 'junk', 'auto_reply'].includes(precedence),
    },
  };
}

/**
 * The Message-IDs that may name the conversation an email continues, the likeliest first: the one it answers, then
 * its References from the newest back. At most 20.
 */
export function threadKeys(email: Pick<InboundEmail, 'inReplyTo' | 'references'>): string[] {
  const keys = [...(email.inReplyTo ? [email.inReplyTo] : []), ...[...email.references].reverse()];
  return [...new Set(keys)].slice(0, 20);
}

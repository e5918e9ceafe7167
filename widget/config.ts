/**
 * The web chat's settings, read from its `<script>` tag's data attributes. Pure: the caller passes the attributes,
 * the script's URL and a colour check (the browser's `CSS.supports`), so the rules are tested without a browser.
 */

/** The lead form's fields, in the order they are shown; `message` goes to the lead's `fields.message`. */
export const LEAD_FIELDS = ['name', 'email', 'phone', 'message'] as const;
export type LeadField = (typeof LEAD_FIELDS)[number];

/** Where browsers keep the conversation between page loads. */
export type Persistence = 'session' | 'local' | 'none';

export type WidgetConfig = {
  /** `data-chatbot`: the chatbot's id. */
  chatbotId: string;
  /** `data-key`: the chatbot's publishable key (`pk_…`). */
  publishableKey: string;
  /** `data-api`: Parley's origin; by default the origin widget.js was loaded from. */
  apiOrigin: string;
  /** `data-title`: the panel's heading and the name the bot's lines are read out with. */
  title: string;
  /** `data-color`: the launcher's, header's and the visitor's bubbles' colour. */
  color: string;
  /** `data-text-color`: text on that colour. */
  textColor: string;
  /** `data-position`: the corner the launcher sits in. */
  position: 'right' | 'left';
  /** `data-lead-form`: the lead form's fields (comma-separated), or null for no lead form. */
  leadForm: LeadField[] | null;
  /** `data-open`: open the chat when the page loads. */
  openOnLoad: boolean;
  /** `data-persist`: where the conversation is kept across reloads (sessionStorage by default). */
  persist: Persistence;
};

/** A setting that cannot be used, named by its attribute. */
export class WidgetConfigError extends Error {}

const DEFAULTS = { title: 'Chat', color: '#1f6feb', textColor: '#ffffff' };

/**
 * The settings the data attributes give (`dataset` of the script tag: `data-lead-form` is `leadForm`), with
 * defaults; throws WidgetConfigError naming the attribute when a required one is missing or a value is unusable.
 */
export function readConfig(
  data: Record<string, string | undefined>,
  scriptUrl: string | null,
  isColor: (value: string) => boolean,
): WidgetConfig {
  const required = (name: 'chatbot' | 'key') => {
    const value = data[name]?.trim();
    if (!value) throw new WidgetConfigError(`data-${name} is required`);
    return value;
  };
  const colour = (attribute: string, value: string | undefined, fallback: string) => {
    if (value === undefined || value.trim() === '') return fallback;
    if (!isColor(value.trim())) throw new WidgetConfigError(`${attribute}="${value}" is not a CSS colour`);
    return value.trim();
  };
  const origin = data['api']?.trim() || scriptUrl;
  let apiOrigin: string;
  try {
    const url = new URL(origin ?? '');
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    apiOrigin = url.origin;
  } catch {
    throw new WidgetConfigError('data-api must be the origin of the Parley API, e.g. https://chat.example.com');
  }
  const position = data['position']?.trim() || 'right';
  if (position !== 'right' && position !== 'left') throw new WidgetConfigError('data-position must be right or left');
  const persist = data['persist']?.trim() || 'session';
  if (persist !== 'session' && persist !== 'local' && persist !== 'none') {
    throw new WidgetConfigError('data-persist must be session, local or none');
  }
  return {
    chatbotId: required('chatbot'),
    publishableKey: required('key'),
    apiOrigin,
    title: data['title']?.trim() || DEFAULTS.title,
    color: colour('data-color', data['color'], DEFAULTS.color),
    textColor: colour('data-text-color', data['textColor'], DEFAULTS.textColor),
    position,
    leadForm: leadFields(data['leadForm']),
    openOnLoad: data['open'] !== undefined && data['open'] !== 'false',
    persist,
  };
}

/** `data-lead-form`: absent or "false" for none, "true" (or empty) for name, email and phone, else a field list. */
function leadFields(value: string | undefined): LeadField[] | null {
  if (value === undefined || value.trim() === 'false') return null;
  if (value.trim() === '' || value.trim() === 'true') return ['name', 'email', 'phone'];
  const fields = value.split(',').map((field) => field.trim().toLowerCase());
  const unknown = fields.filter((field) => !(LEAD_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) {
    throw new WidgetConfigError(`data-lead-form: unknown field ${unknown.join(', ')} (use ${LEAD_FIELDS.join(', ')})`);
  }
  if (!fields.includes('email') && !fields.includes('phone')) {
    throw new WidgetConfigError('data-lead-form needs email or phone: a lead is reached by one of them');
  }
  return LEAD_FIELDS.filter((field) => fields.includes(field));
}

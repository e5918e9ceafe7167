import { isJsonObject, type Json, type JsonObject } from '../json';
import type { BotMessage } from '../messages';
import { valueAsText } from './template';

/**
 * Readable replies from data when an action has no template: labels from field names ("tracking_number" →
 * "Tracking number"), nested objects indented, lists as bullets, and arrays of objects that have a title or name
 * (and maybe an image) as a gallery. Pure.
 */

/** Cards a gallery shows at most, and list entries a text shows at most. */
export const RENDER_LIMITS = { cards: 10, items: 20, depth: 4 } as const;

/** Keys of the response conventions (said, merged or checked elsewhere), never shown as data. */
const CONVENTION_KEYS = new Set(['success', 'attributes']);

const TITLE_KEYS = ['title', 'name', 'label', 'product_name', 'productName', 'heading'];
const SUBTITLE_KEYS = ['subtitle', 'description', 'summary', 'price', 'status'];
const IMAGE_KEYS = ['image', 'image_url', 'imageUrl', 'thumbnail', 'thumbnail_url', 'picture', 'photo', 'img'];
const URL_KEYS = ['url', 'link', 'href', 'permalink'];

/** A field name as a label: "tracking_number", "trackingNumber" and "tracking-number" → "Tracking number". */
export function fieldLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  const label = words.replace(/\b(id|url|sku|eta|api|vat)\b/g, (word) => word.toUpperCase());
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function isScalar(value: Json | undefined): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function firstString(object: JsonObject, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = object[key];
    if (isScalar(value) && String(value).trim() !== '') return String(value);
  }
  return undefined;
}

function isEmpty(value: Json | undefined): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isJsonObject(value)) return Object.keys(value).every((key) => CONVENTION_KEYS.has(key) || isEmpty(value[key]));
  return false;
}

/** An object in one line: "Name: Mug, Stock: 3". */
function inline(object: JsonObject): string {
  return Object.entries(object)
    .filter(([key, value]) => isScalar(value) && !CONVENTION_KEYS.has(key))
    .map(([key, value]) => `${fieldLabel(key)}: ${valueAsText(value)}`)
    .join(', ');
}

function lines(value: Json, indent: string, depth: number): string[] {
  if (isScalar(value)) return [`${indent}${valueAsText(value)}`];
  if (Array.isArray(value)) {
    const shown = value.slice(0, RENDER_LIMITS.items).flatMap((item): string[] => {
      if (isScalar(item)) return [`${indent}- ${valueAsText(item)}`];
      if (isJsonObject(item)) {
        const title = firstString(item, TITLE_KEYS);
        const rest = inline(Object.fromEntries(Object.entries(item).filter(([, v]) => String(v) !== title)));
        const line = [title, rest].filter(Boolean).join(' — ');
        return line ? [`${indent}- ${line}`] : [];
      }
      return [];
    });
    if (value.length > RENDER_LIMITS.items) shown.push(`${indent}- … and ${value.length - RENDER_LIMITS.items} more`);
    return shown;
  }
  if (!isJsonObject(value) || depth > RENDER_LIMITS.depth) return [];
  return Object.entries(value).flatMap(([key, field]): string[] => {
    if (CONVENTION_KEYS.has(key) || isEmpty(field)) return [];
    const label = fieldLabel(key);
    if (isScalar(field)) return [`${indent}${label}: ${valueAsText(field)}`];
    if (Array.isArray(field) && field.every(isScalar) && field.length <= 5)
      return [`${indent}${label}: ${field.map((item) => valueAsText(item)).join(', ')}`];
    const nested = lines(field as Json, Array.isArray(field) ? indent : `${indent}  `, depth + 1);
    return nested.length ? [`${indent}${label}:`, ...nested] : [];
  });
}

type Card = Extract<BotMessage, { type: 'gallery' }>['cards'][number];

function card(item: JsonObject): Card | null {
  const title = firstString(item, TITLE_KEYS);
  if (!title) return null;
  const out: Card = { title };
  const subtitle = firstString(item, SUBTITLE_KEYS);
  const imageUrl = firstString(item, IMAGE_KEYS);
  const url = firstString(item, URL_KEYS);
  if (subtitle) out.subtitle = subtitle;
  if (imageUrl) out.imageUrl = imageUrl;
  if (url) out.url = url;
  const used = new Set([...TITLE_KEYS, ...SUBTITLE_KEYS, ...IMAGE_KEYS, ...URL_KEYS]);
  const fields = Object.entries(item)
    .filter(([key, value]) => !used.has(key) && isScalar(value) && !/(^|_)id$/i.test(key))
    .slice(0, 5)
    .map(([key, value]) => ({ label: fieldLabel(key), value: valueAsText(value) }));
  if (fields.length) out.fields = fields;
  return out;
}

/** The one array of titled objects the data is about (the data itself, or its only array field), if any. */
function galleryItems(value: Json): JsonObject[] | null {
  const titled = (items: Json[]) =>
    items.length > 0 && items.every((item) => isJsonObject(item) && firstString(item, TITLE_KEYS) !== undefined)
      ? (items as JsonObject[])
      : null;
  if (Array.isArray(value)) return titled(value);
  if (!isJsonObject(value)) return null;
  const arrays = Object.entries(value).filter(([key, field]) => !CONVENTION_KEYS.has(key) && Array.isArray(field));
  const others = Object.entries(value).filter(
    ([key, field]) => !CONVENTION_KEYS.has(key) && !Array.isArray(field) && !isEmpty(field),
  );
  const only = arrays.length === 1 && others.length === 0 ? arrays[0] : undefined;
  return only ? titled(only[1] as Json[]) : null;
}

/**
 * What came back, as messages a visitor can read: text lines (labels, indentation, bullets), or a gallery for an
 * array of titled objects (with images when they have them). Empty when there is nothing to show. A body with a
 * `data` field and nothing else worth showing is rendered through it.
 */
export function renderData(value: Json): BotMessage[] {
  let data = value;
  if (isJsonObject(data) && data['data'] !== undefined) {
    const rest = Object.entries(data).filter(
      ([key]) => key !== 'data' && key !== 'message' && !CONVENTION_KEYS.has(key),
    );
    if (rest.every(([, field]) => isEmpty(field))) data = data['data'] as Json;
  }
  if (isEmpty(data)) return [];
  if (isScalar(data)) return [{ type: 'text', text: valueAsText(data) }];
  const items = galleryItems(data);
  if (items) {
    const cards = items.slice(0, RENDER_LIMITS.cards).flatMap((item) => card(item) ?? []);
    const more =
      items.length > RENDER_LIMITS.cards
        ? [{ type: 'text' as const, text: `Showing ${RENDER_LIMITS.cards} of ${items.length}.` }]
        : [];
    return [{ type: 'gallery', cards }, ...more];
  }
  const text = lines(data, '', 0).join('\n');
  return text ? [{ type: 'text', text }] : [];
}

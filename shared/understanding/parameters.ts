import type * as Chrono from 'chrono-node';
import type { ParameterDefinition } from '../actions/parameter-schema';
import type { Json } from '../json';
import { OperatorPattern } from '../actions/pattern';
import { naturalQuestion } from '../conversation/questions';

/**
 * Parameter collection: typed extraction of an action's parameters from visitor text, validation of
 * answers, and the question to ask for what is missing. Pure and deterministic.
 */

export type Extraction = { ok: true; value: Json } | { ok: false; reason: string };

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const PHONE = /\+?\d[\d\s().-]{5,}\d/;
const NUMBER = /-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|-?\d+(?:[.,]\d+)?/;
const ISO_DATE = /\b(\d{4})-(\d{2})-(\d{2})\b/;
const YES =
  /^(y|yes|yeah|yep|yup|sure|ok|okay|correct|right|true|confirm|absolutely|of course|please do|go ahead|definitely)\b/i;
const NO = /^(n|no|nope|nah|false|cancel|not really|no thanks|don'?t|do not)\b/i;
const ORDINAL_DAY = /\bthe (\d{1,2})(?:st|nd|rd|th)\b/i;
/** Phrases that point back in time: "last Monday", "yesterday", "3 days ago", "this past Friday". */
const PAST_PHRASE = /\b(last|yesterday|ago|previous|past)\b/i;

/**
 * How collection reads visitor text. `natural` (conversations started since natural collection; off for older
 * histories, which must replay as recorded): past phrases resolve to the past, and questions are written from the
 * description when there is no prompt.
 */
export type CollectionOptions = { natural?: boolean };

/** Compiled patterns by source (null: the matcher cannot run it): compiling costs far more than matching. */
const compiled = new Map<string, OperatorPattern | null>();
const COMPILED_PATTERNS = 256;
let never: OperatorPattern | undefined;

/** An operator pattern on the linear-time matcher, or null when the matcher cannot run it. */
function tryCompile(source: string): OperatorPattern | null {
  const known = compiled.get(source);
  if (known !== undefined) return known;
  let pattern: OperatorPattern | null;
  try {
    pattern = new OperatorPattern(source);
  } catch {
    pattern = null;
  }
  if (compiled.size >= COMPILED_PATTERNS) compiled.clear();
  compiled.set(source, pattern);
  return pattern;
}

/**
 * An operator pattern on the linear-time matcher, never on RegExp: no visitor answer can make a pattern backtrack.
 * One the matcher cannot run (saved before patterns were checked) matches nothing.
 */
function compilePattern(source: string): OperatorPattern {
  return tryCompile(source) ?? (never ??= OperatorPattern.matchingNothing());
}

function patternOf(param: ParameterDefinition): OperatorPattern | null {
  return param.pattern === undefined ? null : compilePattern(param.pattern);
}

/** Finds a value for the pattern in free text: the whole text first, then each word, then an unanchored search. */
function matchPattern(pattern: OperatorPattern, text: string): string | null {
  const trimmed = text.trim();
  if (pattern.test(trimmed)) return trimmed;
  for (const word of trimmed.split(/\s+/)) {
    const cleaned = word.replace(/^[#("'[]+|[)"'.,!?;:\]]+$/g, '');
    if (cleaned && pattern.test(cleaned)) return cleaned;
  }
  const unanchored = tryCompile(pattern.source.replace(/^\^/, '').replace(/\$$/, '')) ?? pattern;
  return unanchored.exec(trimmed)?.text ?? null;
}

/**
 * Looks for a parameter's value in a message. `answering` is true when the message answers the question
 * for this parameter, so free text may be taken whole. Returns null when the message holds no candidate.
 */
export function extractParameter(
  param: ParameterDefinition,
  message: string,
  answering: boolean,
  now?: string,
  options: CollectionOptions = {},
): Extraction | null {
  if (param.array) return extractList(param, message, answering, now, options);
  return extractSingle(param, message, answering, now, options);
}

let chronoModule: typeof Chrono | undefined;
/**
 * chrono-node, loaded on first use: each workflow instantiates the modules it loads, and a date parser is the
 * largest of them, so only conversations that read a date in words pay for it.
 */
function chrono(): typeof Chrono {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose (see above)
  return (chronoModule ??= require('chrono-node') as typeof Chrono);
}

/**
 * A date in the message as YYYY-MM-DD, relative expressions ("tomorrow", "next friday", "the 3rd") resolved
 * against `now` in UTC so the same message always gives the same date, whatever the worker's time zone.
 * `dates` says which way an expression without a direction ("Monday") resolves: `past` backwards, `future` and
 * `any` forwards; phrases that point back ("last Monday", "yesterday") always resolve to the past.
 * Without `dates`, every expression resolves forward (how older conversations read dates).
 */
export function extractDate(text: string, now: string | undefined, dates?: 'future' | 'past' | 'any'): string | null {
  const iso = ISO_DATE.exec(text);
  if (iso) return iso[0];
  if (now === undefined) return null;
  const reference = { instant: new Date(now), timezone: 'UTC' };
  const forwardDate = dates === undefined || (dates !== 'past' && !PAST_PHRASE.test(text));
  const parsed = chrono().parse(text, reference, { forwardDate })[0];
  const pad = (value: number) => String(value).padStart(2, '0');
  if (parsed) {
    const { start } = parsed;
    return `${start.get('year')}-${pad(start.get('month') ?? 1)}-${pad(start.get('day') ?? 1)}`;
  }
  const ordinal = ORDINAL_DAY.exec(text);
  if (ordinal) {
    const day = Number(ordinal[1]);
    const today = new Date(now);
    let year = today.getUTCFullYear();
    let month = today.getUTCMonth() + (day < today.getUTCDate() ? 1 : 0);
    if (month > 11) {
      month = 0;
      year += 1;
    }
    const candidate = new Date(Date.UTC(year, month, day));
    if (candidate.getUTCDate() === day) return `${year}-${pad(month + 1)}-${pad(day)}`;
  }
  return null;
}

/** A list parameter: each part of "A, B and C" extracted on its own; any part that is not valid spoils the answer. */
function extractList(
  param: ParameterDefinition,
  message: string,
  answering: boolean,
  now?: string,
  options: CollectionOptions = {},
): Extraction | null {
  const parts = message
    .split(/\s*(?:,|;|&|\band\b)\s*/i)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const single = { ...param, array: false };
  const values: Json[] = [];
  for (const part of parts) {
    const found = extractSingle(single, part, answering, now, options);
    if (found?.ok) values.push(found.value);
    else if (answering) return { ok: false, reason: found?.reason ?? invalidReason(param) };
  }
  if (values.length === 0) return answering ? { ok: false, reason: invalidReason(param) } : null;
  return { ok: true, value: values };
}

function extractSingle(
  param: ParameterDefinition,
  message: string,
  answering: boolean,
  now?: string,
  options: CollectionOptions = {},
): Extraction | null {
  const text = message.trim();
  const pattern = patternOf(param);
  let candidate: Json | null = null;
  switch (param.type) {
    case 'email':
      candidate = EMAIL.exec(text)?.[0] ?? null;
      break;
    case 'phone':
      candidate = PHONE.exec(text)?.[0]?.replace(/[\s().-]/g, '') ?? null;
      break;
    case 'number': {
      const found = NUMBER.exec(text)?.[0] ?? ORDINAL_DAY.exec(text)?.[1];
      // "1,000" and "1,000.5" use thousands separators; "12,5" uses a decimal comma.
      const normalized =
        found && /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(found) ? found.replace(/,/g, '') : found?.replace(',', '.');
      candidate = normalized === undefined ? null : Number(normalized);
      break;
    }
    case 'date':
      candidate = extractDate(text, now, param.dates ?? (options.natural ? 'any' : undefined));
      break;
    case 'boolean':
      candidate = YES.test(text) ? true : NO.test(text) ? false : null;
      break;
    case 'enum': {
      const lower = text.toLowerCase();
      const mentions = (word: string) => new RegExp(`\\b${escapeRegExp(word.toLowerCase())}\\b`).test(lower);
      candidate =
        param.values?.find((value) => mentions(value) || (param.synonyms?.[value] ?? []).some(mentions)) ?? null;
      break;
    }
    case 'text':
      candidate = pattern ? matchPattern(pattern, text) : answering && text.length > 0 ? text : null;
      break;
  }
  if (candidate === null && pattern && param.type !== 'text') candidate = matchPattern(pattern, text);
  if (candidate === null) return answering ? { ok: false, reason: invalidReason(param) } : null;
  if (pattern && !pattern.test(String(candidate))) {
    return answering ? { ok: false, reason: invalidReason(param) } : null;
  }
  const wrongWay =
    param.type === 'date' && now !== undefined ? dateDirectionProblem(param, String(candidate), now) : null;
  if (wrongWay) return answering ? { ok: false, reason: wrongWay } : null;
  return { ok: true, value: candidate };
}

/** Why a date is on the wrong side of today for a parameter that says `dates: past | future`, or null. */
function dateDirectionProblem(param: ParameterDefinition, date: string, now: string): string | null {
  const today = now.slice(0, 10);
  if (param.dates === 'past' && date > today) return 'Please give a date that is not in the future.';
  if (param.dates === 'future' && date < today) return 'Please give a date that is not in the past.';
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function label(param: ParameterDefinition): string {
  return (param.description || param.name.replace(/_/g, ' ')).replace(/\.$/, '');
}

/** Why an answer was not accepted, in words for the visitor. */
export function invalidReason(param: ParameterDefinition): string {
  switch (param.type) {
    case 'email':
      return 'That does not look like an email address.';
    case 'phone':
      return 'That does not look like a phone number.';
    case 'number':
      return 'Please answer with a number.';
    case 'date':
      return 'Please give a date, like 2026-12-24 or "next Friday".';
    case 'boolean':
      return 'Please answer yes or no.';
    case 'enum':
      return `Please choose one of: ${(param.values ?? []).join(', ')}.`;
    case 'text':
      return `That does not look like a valid ${label(param).toLowerCase()}.`;
  }
}

/** The question that asks the visitor for a parameter: its prompt, else one written from its description and type. */
export function promptFor(param: ParameterDefinition, options: CollectionOptions = {}): string {
  if (param.prompt) return param.prompt;
  if (options.natural) return naturalQuestion(param);
  const what = label(param);
  return `What is your ${what.charAt(0).toLowerCase()}${what.slice(1)}?`;
}

/** Messages that abandon the action being collected. */
export function isCancellation(message: string): boolean {
  return /^\s*(cancel|stop|never ?mind|forget it|nevermind|quit|abort)\b/i.test(message);
}

/** The first required parameter that has no value yet, if any. */
export function nextMissing(
  params: ParameterDefinition[],
  values: Record<string, Json>,
): ParameterDefinition | undefined {
  return params.find((param) => param.required && !(param.name in values));
}

/** Values for optional parameters that were not given but have defaults. */
export function withDefaults(params: ParameterDefinition[], values: Record<string, Json>): Record<string, Json> {
  const out = { ...values };
  for (const param of params) if (!(param.name in out) && param.default !== undefined) out[param.name] = param.default;
  return out;
}

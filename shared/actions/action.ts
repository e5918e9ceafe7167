import { z } from 'zod';
import { neverCallableProblem, policyBlockWarning, type EgressPolicy } from '../security/address-policy';
import { isResponsePath } from './extract';
import { isJsonObject, JsonSchema, type Json } from '../json';
import { patternProblem } from './pattern';
import {
  jsonTemplateReferences,
  nestedTemplateReferences,
  singleBraceOnlyReferences,
  templateProblem,
  templateReferences,
} from './template';

/**
 * The action model: what an operator defines (as JSON) for one custom API action of a chatbot.
 * Validated on save; errors name the path of the bad field.
 */

export const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/**
 * Variables every template may read, besides parameters, `attributes.*`, `steps.<id>.*` and `secrets.*`.
 * Untrusted: `user_message`, `user_email`, `user_name`, `visitor_id`, `attributes.*` and parameters come from the
 * visitor unverified, so an action must never let them decide whose data it returns.
 */
export const SYSTEM_VARIABLES = [
  'user_message',
  'trigger_message',
  'user_email',
  'user_name',
  'conversation_id',
  'chatbot_id',
  'visitor_id',
  'action_id',
  'timestamp',
] as const;

/** Names a parameter cannot take: they would shadow a system variable or a template namespace. */
const RESERVED_NAMES: string[] = [...SYSTEM_VARIABLES, 'attributes', 'steps', 'secrets'];

const templateString = z.string().max(8192);

export const ParameterTypeSchema = z.enum(['text', 'number', 'date', 'email', 'phone', 'boolean', 'enum']);

/** One value the action needs from the visitor before it can call the API. */
export const ParameterSchema = z
  .object({
    name: z.string().regex(IDENTIFIER, 'must start with a letter and contain only letters, digits and _'),
    type: ParameterTypeSchema.default('text'),
    description: z.string().max(500).default(''),
    required: z.boolean().default(true),
    /** Runs on RE2, a linear-time matcher (shared/pattern.ts): no backreferences or lookaround. */
    pattern: z
      .string()
      .max(500)
      .superRefine((source, ctx) => {
        try {
          new RegExp(source);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a valid regular expression' });
          return;
        }
        const problem = patternProblem(source);
        if (problem) ctx.addIssue({ code: 'custom', message: `cannot be used: ${problem}` });
      })
      .optional(),
    values: z.array(z.string().min(1).max(200)).max(100).optional(),
    /** Other words visitors use for enum values: { "large": ["big", "XL"] }. */
    synonyms: z.record(z.string(), z.array(z.string().min(1).max(100)).max(50)).optional(),
    /** The parameter holds a list ("A, B and C"). */
    array: z.boolean().default(false),
    default: JsonSchema.optional(),
    prompt: z.string().max(1000).optional(),
    /**
     * Which way a date without a direction ("Monday") resolves: `future`, `past`, or `any` (phrases that point
     * back, like "last Monday", resolve to the past). `past` and `future` also refuse dates on the wrong side.
     */
    dates: z.enum(['future', 'past', 'any']).optional(),
  })
  .strict()
  .superRefine((param, ctx) => {
    if (param.dates !== undefined && param.type !== 'date') {
      ctx.addIssue({ code: 'custom', path: ['dates'], message: 'dates applies to date parameters (type "date")' });
    }
    if (param.type === 'enum' && !param.values?.length) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum parameter needs at least one value' });
    }
    for (const key of Object.keys(param.synonyms ?? {})) {
      if (!param.values?.includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['synonyms', key], message: `"${key}" is not one of the values` });
      }
    }
  });
export type ParameterDefinition = z.infer<typeof ParameterSchema>;

/**
 * How a step's attempts are retried. The longest wait between attempts is never shorter than the first (Temporal
 * refuses such a policy when the activity is scheduled, which would stall the conversation): left out, it is
 * 10 s or the first wait if that is longer; written shorter than the first wait, it is refused on save.
 */
export const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(2),
    initialIntervalMs: z.number().int().min(10).max(60_000).default(500),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maxIntervalMs: z.number().int().min(10).max(300_000).optional(),
  })
  .strict()
  .superRefine((retry, ctx) => {
    if (retry.maxIntervalMs !== undefined && retry.maxIntervalMs < retry.initialIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxIntervalMs'],
        message: `must be at least initialIntervalMs (${retry.initialIntervalMs})`,
      });
    }
  })
  .transform((retry) => ({
    ...retry,
    maxIntervalMs: retry.maxIntervalMs ?? Math.max(10_000, retry.initialIntervalMs),
  }));
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

const secretName = z.string().regex(IDENTIFIER, 'must be a secret name (letters, digits, _)');

/** Auth presets; each refers to a named secret of the chatbot, resolved only inside the HTTP activity. */
export const AuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), secret: secretName }).strict(),
  z.object({ type: z.literal('basic'), username: templateString.min(1), secret: secretName }).strict(),
  z
    .object({
      type: z.literal('api_key'),
      in: z.enum(['header', 'query']).default('header'),
      name: z.string().regex(HEADER_NAME, 'must be a valid header or query parameter name'),
      secret: secretName,
    })
    .strict(),
]);
export type AuthDefinition = z.infer<typeof AuthSchema>;

/** An HTTP request template. */
/**
 * A URL template whose scheme, host and port are fixed text, so no value — least of all visitor text — can
 * change where the request goes; variables belong in the path and query.
 */
const UrlTemplateSchema = templateString.min(1).superRefine((url, ctx) => {
  const origin = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!origin || !['http', 'https'].includes((origin[1] ?? '').toLowerCase())) {
    ctx.addIssue({ code: 'custom', message: 'must start with http:// or https://' });
    return;
  }
  if (/[{}]/.test(origin[2] ?? '')) {
    ctx.addIssue({
      code: 'custom',
      message: "the URL's host and port must be fixed; put variables in the path or query",
    });
  }
  if (/(^|\/)\.\.?(\/|$|\?|#)/.test(url.slice(origin[0].length))) {
    ctx.addIssue({ code: 'custom', message: 'the URL path must not contain . or .. segments' });
  }
  const host = urlHost(url);
  const never = host === null ? null : neverCallableProblem(host);
  if (never) ctx.addIssue({ code: 'custom', message: never });
});

/** The host of a URL (template) whose scheme, host and port are fixed text, as URL parsing reads it; null if none. */
export function urlHost(url: string): string | null {
  const origin = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!origin || /[{}]/.test(origin[2] ?? '')) return null;
  try {
    return new URL(`${origin[0]}/`).hostname || null;
  } catch {
    return null;
  }
}

/** An alert webhook: http(s) only, never a destination Parley can never call. */
const WebhookUrlSchema = z
  .string()
  .max(2048)
  .superRefine((url, ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL' });
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `must start with http:// or https:// (not ${parsed.protocol}//)` });
      return;
    }
    const never = neverCallableProblem(parsed.hostname);
    if (never) ctx.addIssue({ code: 'custom', message: never });
  });

/** A header value template: no literal line breaks or NUL (values are checked again after rendering). */
const HeaderTemplateSchema = templateString.regex(/^[^\r\n\0]*$/, 'must not contain a line break or NUL character');

export const RequestSchema = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    url: UrlTemplateSchema,
    query: z.record(z.string().min(1).max(256), templateString).default({}),
    headers: z
      .record(z.string().regex(HEADER_NAME, 'must be a valid HTTP header name'), HeaderTemplateSchema)
      .default({}),
    auth: AuthSchema.default({ type: 'none' }),
    /** `json` (nested template; GraphQL `{"query": ...}` included), `form` (urlencoded) or `raw` text. */
    bodyType: z.enum(['json', 'form', 'raw']).default('json'),
    body: JsonSchema.nullable().default(null),
    /** Content type of a raw body. */
    contentType: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\r\n]*$/, 'must be one line')
      .optional(),
    /**
     * How values are escaped in a raw body: `xml` (`& < > " '` as entities) or `none`. Default: `xml` when the
     * content type is XML (`application/xml`, `text/xml`, `…+xml`), else `none`.
     */
    escape: z.enum(['xml', 'none']).optional(),
    /** Wrap the JSON body as { action_id, conversation_id, chatbot_id, trigger, payload, metadata }. */
    envelope: z.boolean().default(false),
    /** Add the visitor's profile (id, name, email, phone, locale, last_message, attributes) as `visitor`. */
    visitorProfile: z.boolean().default(false),
    /** Redirects to follow (0-3); each hop is checked like the first, credentials dropped across origins. */
    followRedirects: z.number().int().min(0).max(3).default(0),
    /** Sign the request per Standard Webhooks with the chatbot's `webhook_signing` secret. */
    sign: z.boolean().default(false),
  })
  .strict()
  .superRefine((request, ctx) => {
    if (request.bodyType === 'form' && request.body !== null) {
      const ok = isJsonObject(request.body) && Object.values(request.body).every((value) => typeof value === 'string');
      if (!ok)
        ctx.addIssue({ code: 'custom', path: ['body'], message: 'a form body is an object of string templates' });
    }
    if (request.bodyType === 'raw' && request.body !== null && typeof request.body !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'a raw body is a text template' });
    }
    if (request.escape !== undefined && request.bodyType !== 'raw') {
      ctx.addIssue({ code: 'custom', path: ['escape'], message: 'escape applies to raw bodies (bodyType "raw")' });
    }
    if (request.bodyType !== 'json' && (request.envelope || request.visitorProfile)) {
      ctx.addIssue({ code: 'custom', path: ['bodyType'], message: 'envelope and visitorProfile need a json body' });
    }
  });
export type RequestDefinition = z.infer<typeof RequestSchema>;

export const ResponseSchema = z
  .object({
    fields: z
      .record(z.string(), z.string().refine(isResponsePath, 'must be a path like data.items[0].name or items[*].sku'))
      .superRefine((fields, ctx) => {
        for (const key of Object.keys(fields)) {
          if (IDENTIFIER.test(key)) continue;
          const hint = isResponsePath(key)
            ? `, e.g. {"${key.split(/[.[]/).pop()?.replace(/\W/g, '') || 'value'}": "${key}"}`
            : '';
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `"${key}" is not a field name: name each field (letters, digits, _) and put the response path on the right${hint}`,
          });
        }
      })
      .default({}),
    responseType: z.enum(['json', 'text']).default('json'),
    /** Status codes that count as success besides 2xx (e.g. 404 when "not found" is an answer). */
    acceptStatus: z.array(z.number().int().min(100).max(599)).max(20).default([]),
  })
  .strict();

/** A condition on values known so far; a step with `when` runs only if every condition holds. */
export const ConditionSchema = z
  .object({
    path: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, 'must be a variable path like steps.lookup.status'),
    op: z.enum(['equals', 'not_equals', 'exists', 'not_exists', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte']),
    value: JsonSchema.optional(),
  })
  .strict()
  .superRefine((condition, ctx) => {
    const { op, value } = condition;
    if ((op === 'exists' || op === 'not_exists') && value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} takes no value` });
    } else if ((op === 'in' || op === 'not_in') && !Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} needs an array value` });
    } else if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} needs a number value` });
    } else if ((op === 'equals' || op === 'not_equals') && value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${op} needs a value` });
    }
  });
export type Condition = z.infer<typeof ConditionSchema>;

/**
 * Chat-sized defaults: a step that keeps failing gives up within about 6.5 s (two attempts of at most 3 s and
 * half a second between), under the 8 s a visitor waits by default before the turn answers with what it has.
 */
export const DEFAULT_STEP_TIMEOUT_MS = 3_000;
const DEFAULT_RETRY = { maxAttempts: 2, initialIntervalMs: 500, backoffCoefficient: 2, maxIntervalMs: 10_000 };

export const StepSchema = z
  .object({
    id: z.string().regex(IDENTIFIER, 'must start with a letter and contain only letters, digits and _'),
    when: z.union([ConditionSchema, z.array(ConditionSchema).min(1).max(10)]).optional(),
    request: RequestSchema,
    response: ResponseSchema.default({ fields: {}, responseType: 'json', acceptStatus: [] }),
    timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_STEP_TIMEOUT_MS),
    retry: RetryPolicySchema.default(DEFAULT_RETRY),
    onError: z
      .object({
        then: z
          .union([z.enum(['stop', 'continue']), z.string().regex(/^goto:[A-Za-z][A-Za-z0-9_]{0,63}$/)])
          .default('stop'),
        reply: z.string().max(2000).optional(),
        /** Say the API's own error `message` (from a JSON error body; never the raw body) instead of `reply`. */
        sayMessage: z.boolean().optional(),
      })
      .strict()
      .default({ then: 'stop' }),
    /** Undo request run (in reverse order) when a later step fails and the chain stops: a saga. */
    compensate: z
      .object({
        request: RequestSchema,
        timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_STEP_TIMEOUT_MS),
        retry: RetryPolicySchema.default(DEFAULT_RETRY),
      })
      .strict()
      .optional(),
  })
  .strict();
export type StepDefinition = z.infer<typeof StepSchema>;

const CardTemplateSchema = z
  .object({
    title: templateString.min(1),
    subtitle: templateString.optional(),
    imageUrl: templateString.optional(),
    url: templateString.optional(),
    fields: z
      .array(z.object({ label: templateString, value: templateString }).strict())
      .max(20)
      .optional(),
  })
  .strict();

const ReplyButtonSchema = z
  .object({
    label: templateString.min(1),
    payload: z.string().min(1).max(256).optional(),
    url: templateString.optional(),
  })
  .strict()
  .refine(
    (button) => (button.payload === undefined) !== (button.url === undefined),
    'a button needs a payload or a url',
  );

/** How the visitor is answered when the chain succeeds. */
export const ReplySchema = z
  .object({
    /** Text (logic-less, sections over arrays). Without one: the API's `message`, else the extracted fields. */
    template: z.string().max(8192).nullable().default(null),
    format: z.enum(['text', 'card', 'link', 'image', 'gallery', 'buttons', 'quick_replies']).default('text'),
    card: CardTemplateSchema.optional(),
    link: z
      .object({ url: templateString.min(1), text: templateString.optional() })
      .strict()
      .optional(),
    image: z
      .object({ url: templateString.min(1), alt: templateString.optional() })
      .strict()
      .optional(),
    gallery: z
      .object({
        /** Variable path to an array, e.g. steps.search.products; card templates read each element as `item`. */
        items: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/),
        card: CardTemplateSchema,
        max: z.number().int().min(1).max(10).default(10),
      })
      .strict()
      .optional(),
    buttons: z.array(ReplyButtonSchema).min(1).max(10).optional(),
    /**
     * One button per element of an API array (e.g. steps.search.items): `label`, and `payload` or `url`, are
     * templates reading the element as `item`. A pressed payload reaches the conversation as what the visitor said.
     */
    itemButtons: z
      .object({
        items: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/),
        label: templateString.min(1),
        payload: templateString.min(1).optional(),
        url: templateString.optional(),
        max: z.number().int().min(1).max(10).default(10),
      })
      .strict()
      .refine((button) => (button.payload === undefined) !== (button.url === undefined), 'needs a payload or a url')
      .optional(),
    /** A button shown with the reply: a link (`url`) or one that fires an action again (`action`). */
    actionButton: z
      .object({
        label: templateString.min(1),
        url: templateString.optional(),
        action: z.string().regex(ACTION_NAME).optional(),
      })
      .strict()
      .refine((button) => (button.url === undefined) !== (button.action === undefined), 'needs a url or an action')
      .optional(),
    /** Guidance for the optional LLM composer. */
    instructions: z.string().max(4000).nullable().default(null),
    /**
     * Without a template, which response convention the reply follows: `message` (the API's `message` is said
     * verbatim, else its data is shown) or `data` (a `data` string is said, else the data is shown; `message` is
     * a log line and never said).
     */
    say: z.enum(['message', 'data']).default('message'),
  })
  .strict()
  .superRefine((reply, ctx) => {
    const needs: Record<string, keyof typeof reply | null> = {
      text: null,
      card: 'card',
      link: 'link',
      image: 'image',
      gallery: 'gallery',
      buttons: 'buttons',
      quick_replies: 'buttons',
    };
    const field = needs[reply.format];
    if (field && reply[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `format "${reply.format}" needs reply.${field}` });
    }
  });
export type ReplyDefinition = z.infer<typeof ReplySchema>;

export const TriggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('intent') }).strict(),
  z.object({ type: z.literal('button'), label: z.string().min(1).max(80) }).strict(),
  z.object({ type: z.literal('lead_captured') }).strict(),
  /** Fired when the conversation is handed to a person (e.g. to open a ticket or tell the helpdesk). */
  z.object({ type: z.literal('handoff') }).strict(),
]);

/** A complete action definition as an operator writes it. */
export const ActionDefinitionSchema = z
  .object({
    name: z.string().regex(ACTION_NAME, 'must match ^[A-Za-z][A-Za-z0-9_]{0,63}$'),
    /** What visitors see for this action in fallback replies and "did you mean" buttons (default: the name made readable). */
    title: z.string().trim().min(1).max(80).optional(),
    description: z.string().min(1, 'is required: say when the bot should use this action').max(1000),
    examples: z.array(z.string().min(1).max(500)).max(200).default([]),
    channels: z
      .array(z.enum(['chat', 'email']))
      .min(1)
      .default(['chat']),
    triggers: z
      .array(TriggerSchema)
      .min(1)
      .default([{ type: 'intent' }]),
    triggeredResponse: z.string().max(2000).nullable().default(null),
    parameters: z.array(ParameterSchema).max(50).default([]),
    /** Ask yes/no before running: a prompt, `false` for never, or null (default: ask when a step DELETEs). */
    confirm: z
      .union([z.object({ prompt: z.string().min(1).max(1000) }).strict(), z.literal(false)])
      .nullable()
      .default(null),
    steps: z.array(StepSchema).min(1, 'an action needs at least one step').max(20),
    reply: ReplySchema.default({ template: null, format: 'text', instructions: null, say: 'message' }),
    limits: z
      .object({ maxPerConversation: z.number().int().min(1).nullable().default(null) })
      .strict()
      .default({ maxPerConversation: null }),
    closeConversation: z
      .object({ farewell: z.string().max(2000) })
      .strict()
      .nullable()
      .default(null),
    alerts: z
      .object({
        /** A list, or one string of comma- or semicolon-separated addresses. */
        emails: z
          .preprocess(
            (value) =>
              typeof value === 'string'
                ? value
                    .split(/[,;]/)
                    .map((address) => address.trim())
                    .filter(Boolean)
                : value,
            z.array(z.string().email()).max(10, 'at most 10 alert addresses'),
          )
          .default([]),
        webhook: WebhookUrlSchema.nullable().default(null),
      })
      .strict()
      .default({ emails: [], webhook: null }),
  })
  .strict()
  .superRefine((action, ctx) => {
    checkUnique(
      action.parameters.map((p) => p.name),
      ['parameters'],
      'parameter',
      ctx,
    );
    action.parameters.forEach((param, index) => {
      if (RESERVED_NAMES.includes(param.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', index, 'name'],
          message: `"${param.name}" is a reserved template variable`,
        });
      }
    });
    checkUnique(
      action.steps.map((s) => s.id),
      ['steps'],
      'step id',
      ctx,
    );
    const params = new Set(action.parameters.map((p) => p.name));
    const stepIds = action.steps.map((step) => step.id);
    action.steps.forEach((step, index) => {
      const scope: Scope = { params, steps: new Set(stepIds.slice(0, index)), secrets: true, item: false };
      checkRequest(step.request, scope, ['steps', index, 'request'], ctx);
      const conditions = step.when === undefined ? [] : Array.isArray(step.when) ? step.when : [step.when];
      conditions.forEach((condition, c) => {
        const where = Array.isArray(step.when) ? ['steps', index, 'when', c, 'path'] : ['steps', index, 'when', 'path'];
        checkReferences([condition.path], { ...scope, secrets: false }, where, ctx);
      });
      const then = step.onError.then;
      if (then.startsWith('goto:') && !stepIds.includes(then.slice(5))) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'onError', 'then'],
          message: `no step "${then.slice(5)}" to go to`,
        });
      }
      if (then === `goto:${step.id}`) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'onError', 'then'],
          message: 'a step cannot go to itself',
        });
      }
      if (step.compensate) {
        const own = { ...scope, steps: new Set(stepIds.slice(0, index + 1)) };
        checkRequest(step.compensate.request, own, ['steps', index, 'compensate', 'request'], ctx);
      }
    });
    const messageScope: Scope = { params, steps: new Set(stepIds), secrets: false, item: false };
    const reply = action.reply;
    const texts: [string | undefined, (string | number)[], Scope?][] = [
      [reply.template ?? undefined, ['reply', 'template']],
      [reply.link?.url, ['reply', 'link', 'url']],
      [reply.link?.text, ['reply', 'link', 'text']],
      [reply.image?.url, ['reply', 'image', 'url']],
      [reply.image?.alt, ['reply', 'image', 'alt']],
      [reply.actionButton?.label, ['reply', 'actionButton', 'label']],
      [reply.actionButton?.url, ['reply', 'actionButton', 'url']],
      ...(reply.buttons ?? []).flatMap((button, b): [string | undefined, (string | number)[]][] => [
        [button.label, ['reply', 'buttons', b, 'label']],
        [button.url, ['reply', 'buttons', b, 'url']],
      ]),
      ...cardTexts(reply.card, ['reply', 'card'], messageScope),
      ...cardTexts(reply.gallery?.card, ['reply', 'gallery', 'card'], { ...messageScope, item: true }),
      [
        action.confirm ? action.confirm.prompt : undefined,
        ['confirm', 'prompt'],
        { ...messageScope, steps: new Set() },
      ],
      [action.triggeredResponse ?? undefined, ['triggeredResponse'], { ...messageScope, steps: new Set() }],
      [action.closeConversation?.farewell, ['closeConversation', 'farewell']],
    ];
    for (const [text, path, scope] of texts)
      if (text !== undefined) checkTemplate(text, scope ?? messageScope, path, ctx);
    if (reply.gallery) checkReferences([reply.gallery.items], messageScope, ['reply', 'gallery', 'items'], ctx);
    if (reply.itemButtons) {
      const each = { ...messageScope, item: true };
      checkReferences([reply.itemButtons.items], messageScope, ['reply', 'itemButtons', 'items'], ctx);
      for (const key of ['label', 'payload', 'url'] as const) {
        const template = reply.itemButtons[key];
        if (template !== undefined) checkTemplate(template, each, ['reply', 'itemButtons', key], ctx);
      }
    }
  });

function cardTexts(
  card: z.infer<typeof CardTemplateSchema> | undefined,
  path: (string | number)[],
  scope: Scope,
): [string | undefined, (string | number)[], Scope][] {
  if (!card) return [];
  return [
    [card.title, [...path, 'title'], scope],
    [card.subtitle, [...path, 'subtitle'], scope],
    [card.imageUrl, [...path, 'imageUrl'], scope],
    [card.url, [...path, 'url'], scope],
    ...(card.fields ?? []).flatMap((field, f): [string, (string | number)[], Scope][] => [
      [field.label, [...path, 'fields', f, 'label'], scope],
      [field.value, [...path, 'fields', f, 'value'], scope],
    ]),
  ];
}

function checkTemplate(template: string, scope: Scope, path: (string | number)[], ctx: z.RefinementCtx) {
  const problem = templateProblem(template);
  if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
  else {
    // `{name}` with a name the template cannot read stays literal text (GraphQL, JSON in a raw body): not an error.
    const literal = new Set(singleBraceOnlyReferences(template));
    const refs = templateReferences(template).filter((ref) => !literal.has(ref) || !unknownReference(ref, scope));
    checkReferences(refs, scope, path, ctx);
    // Inside sections names are relative to elements, except secrets, which are checked wherever they appear.
    const nestedSecrets = nestedTemplateReferences(template).filter((ref) => ref.split('.')[0] === 'secrets');
    checkReferences(nestedSecrets, scope, path, ctx);
  }
}

function checkRequest(request: RequestDefinition, scope: Scope, path: (string | number)[], ctx: z.RefinementCtx) {
  checkTemplate(request.url, scope, [...path, 'url'], ctx);
  for (const [key, value] of Object.entries(request.query)) checkTemplate(value, scope, [...path, 'query', key], ctx);
  for (const [key, value] of Object.entries(request.headers))
    checkTemplate(value, scope, [...path, 'headers', key], ctx);
  if (request.auth.type === 'basic') checkTemplate(request.auth.username, scope, [...path, 'auth', 'username'], ctx);
  if (request.body !== null) {
    const bodyTemplates = typeof request.body === 'string' ? [request.body] : collectStrings(request.body);
    for (const text of bodyTemplates) checkTemplate(text, scope, [...path, 'body'], ctx);
  }
}

function collectStrings(value: Json): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(collectStrings);
  if (isJsonObject(value)) return Object.values(value).flatMap(collectStrings);
  return [];
}

/** A validated action definition. */
export type ActionDefinition = z.infer<typeof ActionDefinitionSchema>;
/** The JSON an operator writes (defaults not yet applied). */
export type ActionDefinitionInput = z.input<typeof ActionDefinitionSchema>;

/** An action as stored: the definition plus its version, so a conversation can pin the one it started with. */
export type StoredAction = { chatbotId: string; version: number; updatedAt: string; definition: ActionDefinition };

function checkUnique(values: string[], path: (string | number)[], what: string, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value))
      ctx.addIssue({ code: 'custom', path: [...path, index], message: `duplicate ${what} "${value}"` });
    seen.add(value);
  });
}

type Scope = { params: Set<string>; steps: Set<string>; secrets: boolean; item: boolean };

function checkReferences(refs: string[], scope: Scope, path: (string | number)[], ctx: z.RefinementCtx) {
  for (const ref of refs) {
    const problem = unknownReference(ref, scope);
    if (problem) ctx.addIssue({ code: 'custom', path, message: problem });
  }
}

/** Why a template variable is not available in a scope, or null when it is. */
function unknownReference(ref: string, scope: Scope): string | null {
  const [root, next] = ref.split('.');
  if (root === undefined) return `empty variable`;
  if ((SYSTEM_VARIABLES as readonly string[]).includes(ref) || scope.params.has(ref)) return null;
  if (root === 'attributes' && next !== undefined) return null;
  if (root === 'item' && scope.item) return null;
  if (root === 'steps') {
    if (next !== undefined && scope.steps.has(next)) return null;
    return `{{${ref}}} refers to step "${next ?? ''}", which does not run before this point`;
  }
  if (root === 'secrets') {
    if (!scope.secrets) return `{{${ref}}}: secrets can only be used in requests, never in messages`;
    return next !== undefined ? null : `{{${ref}}} needs a secret name`;
  }
  return `unknown variable {{${ref}}}: not a parameter, a system variable, attributes.*, steps.<id>.* or secrets.*`;
}

/** The chatbot secret (`whsec_…`) that signs requests marked `sign`. */
export const SIGNING_SECRET = 'webhook_signing';

/** Names of the secrets a request uses (auth presets and `{{secrets.x}}` references). */
export function secretNamesOf(request: RequestDefinition): string[] {
  const names = new Set<string>();
  if (request.auth.type !== 'none') names.add(request.auth.secret);
  if (request.sign) names.add(SIGNING_SECRET);
  const all = (template: string) => templateReferences(template, { nested: true });
  const refs = [
    ...all(request.url),
    ...Object.values(request.query).flatMap(all),
    ...Object.values(request.headers).flatMap(all),
    ...(request.auth.type === 'basic' ? all(request.auth.username) : []),
    ...(request.body === null ? [] : jsonTemplateReferences(request.body, { nested: true })),
  ];
  for (const ref of refs) if (ref.startsWith('secrets.')) names.add(ref.slice('secrets.'.length));
  return [...names];
}

/**
 * Brings a definition recorded by an older Parley (in workflow history or carried state) up to the current
 * schema, filling defaults for fields added since. Null when it no longer validates.
 */
/**
 * The visitor-facing name of an action: its `title`, or its name made readable ("check_order_status" and
 * "checkOrderStatus" → "Check order status"). The description is written for the machine and never shown.
 */
export function actionTitle(action: Pick<ActionDefinition, 'name' | 'title'>): string {
  if (action.title) return action.title;
  const words = action.name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Whether a description has any words a router can learn from. */
export function hasRoutableWords(text: string): boolean {
  return /[\p{L}\p{N}]{2,}/u.test(text);
}

/** What this Parley has set up that an action may rely on: the optional LLM, alert mail, the chatbot's secrets. */
export type ParleySetup = { llm: boolean; mail: boolean; secrets: string[] };

/**
 * What an operator should know about a definition that saves but cannot work as intended, as sentences for
 * the `warnings` of the save response (an empty list when there is nothing to say). With the egress policy the
 * chatbot's calls run under (Parley's plus the chatbot's allowlist), destinations that policy refuses are named;
 * with this Parley's setup, settings that need what is not configured (an email channel, the LLM, SMTP, a secret).
 */
export function actionWarnings(action: ActionDefinition, egress?: EgressPolicy, setup?: ParleySetup): string[] {
  const warnings: string[] = [];
  if (egress) {
    const destinations: [string, string | null][] = [
      ...action.steps.flatMap((step, index): [string, string | null][] => [
        [`steps[${index}].request.url`, urlHost(step.request.url)],
        ...(step.compensate
          ? [
              [`steps[${index}].compensate.request.url`, urlHost(step.compensate.request.url)] as [
                string,
                string | null,
              ],
            ]
          : []),
      ]),
      ['alerts.webhook', action.alerts.webhook === null ? null : urlHost(action.alerts.webhook)],
    ];
    for (const [path, host] of destinations) {
      const blocked = host === null ? null : policyBlockWarning(host, egress);
      if (blocked) warnings.push(`${path}: ${blocked}; calls there will fail`);
    }
  }
  const byIntent = action.triggers.some((trigger) => trigger.type === 'intent');
  if (byIntent && action.examples.length === 0 && !hasRoutableWords(action.description)) {
    warnings.push(
      'description: has no words and there are no examples, so visitors can never reach this action by what they say',
    );
  }
  if (setup) warnings.push(...setupWarnings(action, setup));
  return warnings;
}

function setupWarnings(action: ActionDefinition, setup: ParleySetup): string[] {
  const warnings: string[] = [];
  if (action.channels.includes('email')) {
    warnings.push(
      action.channels.includes('chat')
        ? 'channels: this Parley has no email channel configured; the action is offered in chat only'
        : 'channels: this Parley has no email channel configured, so an action offered only by email is never offered',
    );
  }
  if (action.reply.instructions && !setup.llm) {
    warnings.push(
      'reply.instructions: no LLM is configured (PARLEY_LLM_*), so they are ignored and the reply is said as written',
    );
  }
  if (action.alerts.emails.length > 0 && !setup.mail) {
    warnings.push('alerts.emails: no SMTP server is configured (PARLEY_SMTP_URL), so alert emails are not sent');
  }
  action.steps.forEach((step, index) => {
    const requests: [string, RequestDefinition][] = [[`steps[${index}].request`, step.request]];
    if (step.compensate) requests.push([`steps[${index}].compensate.request`, step.compensate.request]);
    for (const [path, request] of requests) {
      for (const name of secretNamesOf(request).filter((secret) => !setup.secrets.includes(secret))) {
        warnings.push(
          `${path}: secret "${name}" is not set, so the call fails until it is saved (PUT …/secrets/${name})`,
        );
      }
    }
  });
  return warnings;
}

/**
 * A stored or recorded definition brought to the current schema, or null when it no longer validates. Parameter
 * patterns that today's save check refuses (saved before it existed) do not drop the action: they are kept as
 * written and match nothing at run time, so recorded catalogues keep every action they had.
 */
export function upgradeAction(definition: unknown): ActionDefinition | null {
  const parsed = ActionDefinitionSchema.safeParse(definition);
  if (parsed.success) return parsed.data;
  const refused = parsed.error.issues.filter((issue) => isPatternPath(issue.path));
  if (refused.length === 0 || refused.length !== parsed.error.issues.length || !isJsonObject(definition)) return null;
  const parameters = Array.isArray(definition['parameters']) ? definition['parameters'] : [];
  const patterns = new Map(refused.map((issue) => [Number(issue.path[1]), parameters[Number(issue.path[1])]]));
  const withoutPatterns = parameters.map((param: unknown, index) => {
    if (!patterns.has(index) || !isJsonObject(param)) return param;
    const { pattern: _refused, ...rest } = param;
    return rest;
  });
  const retried = ActionDefinitionSchema.safeParse({ ...definition, parameters: withoutPatterns });
  if (!retried.success) return null;
  const restored = retried.data.parameters.map((param, index) => {
    const original = patterns.get(index);
    return isJsonObject(original) && typeof original['pattern'] === 'string'
      ? { ...param, pattern: original['pattern'] }
      : param;
  });
  return { ...retried.data, parameters: restored };
}

function isPatternPath(path: PropertyKey[]): boolean {
  return path.length === 3 && path[0] === 'parameters' && typeof path[1] === 'number' && path[2] === 'pattern';
}

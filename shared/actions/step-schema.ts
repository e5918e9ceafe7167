import { z } from 'zod';
import { neverCallableProblem } from '../security/destination-checks';
import { isJsonObject } from '../json';
import { JsonSchema } from '../json-schema';
import { isResponsePath } from './extract';
import { jsonTemplateReferences, templateReferences } from './template';
import { templateString } from './reply-schema';
import { IDENTIFIER } from './vocabulary';

/** A step of an action: its HTTP request template, how the response is read, when it runs and how it retries. */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

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

/** A header value template: no literal line breaks or NUL (values are checked again after rendering). */
const HeaderTemplateSchema = templateString.regex(/^[^\r\n\0]*$/, 'must not contain a line break or NUL character');

/** An HTTP request template. */
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

import { z } from 'zod';
import { isResponsePath } from './extract';
import { JsonSchema, type Json } from './json';
import { jsonTemplateReferences, templateReferences } from './template';

/**
 * The action model: what an operator defines (as JSON) for one custom API action of a chatbot.
 * Validated on save; errors name the path of the bad field.
 */

export const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/** Variables every template may read, besides parameters, `attributes.*`, `steps.<id>.*` and `secrets.*`. */
export const SYSTEM_VARIABLES = [
  'user_message',
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
    pattern: z
      .string()
      .max(500)
      .refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    values: z.array(z.string().min(1).max(200)).max(100).optional(),
    default: JsonSchema.optional(),
    prompt: z.string().max(1000).optional(),
  })
  .strict()
  .superRefine((param, ctx) => {
    if (param.type === 'enum' && !param.values?.length) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'an enum parameter needs at least one value' });
    }
  });
export type ParameterDefinition = z.infer<typeof ParameterSchema>;

export const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(3),
    initialIntervalMs: z.number().int().min(10).max(60_000).default(500),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    maxIntervalMs: z.number().int().min(10).max(300_000).default(10_000),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const AuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('bearer'), secret: z.string().regex(IDENTIFIER) }).strict(),
]);

export const RequestSchema = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    url: templateString.min(1),
    query: z.record(z.string().min(1).max(256), templateString).default({}),
    headers: z.record(z.string().regex(HEADER_NAME, 'must be a valid HTTP header name'), templateString).default({}),
    auth: AuthSchema.default({ type: 'none' }),
    body: JsonSchema.nullable().default(null),
  })
  .strict();

export const ResponseSchema = z
  .object({
    fields: z
      .record(
        z.string().regex(IDENTIFIER, 'field names must be identifiers'),
        z.string().refine(isResponsePath, 'must be a path like data.items[0].name or items[*].sku'),
      )
      .default({}),
    responseType: z.enum(['json', 'text']).default('json'),
  })
  .strict();

export const StepSchema = z
  .object({
    id: z.string().regex(IDENTIFIER, 'must start with a letter and contain only letters, digits and _'),
    request: RequestSchema,
    response: ResponseSchema.default({ fields: {}, responseType: 'json' }),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    retry: RetryPolicySchema.default({
      maxAttempts: 3,
      initialIntervalMs: 500,
      backoffCoefficient: 2,
      maxIntervalMs: 10_000,
    }),
    onError: z
      .object({ then: z.literal('stop').default('stop'), reply: z.string().max(2000).optional() })
      .strict()
      .default({ then: 'stop' }),
  })
  .strict();
export type StepDefinition = z.infer<typeof StepSchema>;

export const TriggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('intent') }).strict(),
  z.object({ type: z.literal('button'), label: z.string().min(1).max(80) }).strict(),
  z.object({ type: z.literal('lead_captured') }).strict(),
]);

/** A complete action definition as an operator writes it. */
export const ActionDefinitionSchema = z
  .object({
    name: z.string().regex(ACTION_NAME, 'must match ^[A-Za-z][A-Za-z0-9_]{0,63}$'),
    description: z.string().min(1, 'is required: say when the bot should use this action').max(1000),
    examples: z.array(z.string().min(1).max(500)).max(200).default([]),
    triggers: z
      .array(TriggerSchema)
      .min(1)
      .default([{ type: 'intent' }]),
    triggeredResponse: z.string().max(2000).nullable().default(null),
    parameters: z.array(ParameterSchema).max(50).default([]),
    confirm: z
      .object({ prompt: z.string().min(1).max(1000) })
      .strict()
      .nullable()
      .default(null),
    steps: z.array(StepSchema).min(1, 'an action needs at least one step').max(20),
    reply: z
      .object({ template: z.string().max(8192).nullable().default(null) })
      .strict()
      .default({ template: null }),
    limits: z
      .object({ maxPerConversation: z.number().int().min(1).nullable().default(null) })
      .strict()
      .default({ maxPerConversation: null }),
    closeConversation: z
      .object({ farewell: z.string().max(2000) })
      .strict()
      .nullable()
      .default(null),
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
    action.steps.forEach((step, index) => {
      const earlier = new Set(action.steps.slice(0, index).map((s) => s.id));
      const check = (refs: string[], path: (string | number)[]) =>
        checkReferences(refs, { params, steps: earlier, secrets: true }, ['steps', index, 'request', ...path], ctx);
      check(templateReferences(step.request.url), ['url']);
      for (const [key, value] of Object.entries(step.request.query)) check(templateReferences(value), ['query', key]);
      for (const [key, value] of Object.entries(step.request.headers))
        check(templateReferences(value), ['headers', key]);
      if (step.request.body !== null) check(jsonTemplateReferences(step.request.body), ['body']);
    });
    const allSteps = new Set(action.steps.map((s) => s.id));
    const replyScope = { params, steps: allSteps, secrets: false };
    if (action.reply.template)
      checkReferences(templateReferences(action.reply.template), replyScope, ['reply', 'template'], ctx);
    if (action.confirm) {
      checkReferences(
        templateReferences(action.confirm.prompt),
        { params, steps: new Set(), secrets: false },
        ['confirm', 'prompt'],
        ctx,
      );
    }
  });

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

type Scope = { params: Set<string>; steps: Set<string>; secrets: boolean };

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

/** Names of the secrets an action's steps use (auth presets and `{{secrets.x}}` references). */
export function secretNamesOf(step: StepDefinition): string[] {
  const names = new Set<string>();
  if (step.request.auth.type === 'bearer') names.add(step.request.auth.secret);
  const refs = [
    ...templateReferences(step.request.url),
    ...Object.values(step.request.query).flatMap(templateReferences),
    ...Object.values(step.request.headers).flatMap(templateReferences),
    ...(step.request.body === null ? [] : jsonTemplateReferences(step.request.body as Json)),
  ];
  for (const ref of refs) if (ref.startsWith('secrets.')) names.add(ref.slice('secrets.'.length));
  return [...names];
}

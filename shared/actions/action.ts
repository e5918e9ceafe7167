import { z } from 'zod';
import { neverCallableProblem } from '../security/destination-checks';
import { isJsonObject, type Json } from '../json';
import { ParameterSchema } from './parameter-schema';
import { type CardTemplateSchema, ReplySchema } from './reply-schema';
import { StepSchema, type RequestDefinition } from './step-schema';
import { nestedTemplateReferences, singleBraceOnlyReferences, templateProblem, templateReferences } from './template';
import { ACTION_NAME, RESERVED_NAMES, SYSTEM_VARIABLES } from './vocabulary';

/**
 * The action model: what an operator defines (as JSON) for one custom API action of a chatbot.
 * Validated on save; errors name the path of the bad field.
 */

/** What starts an action: what the visitor says (intent), a button, a captured lead or a handoff. */
export const TriggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('intent') }).strict(),
  z.object({ type: z.literal('button'), label: z.string().min(1).max(80) }).strict(),
  z.object({ type: z.literal('lead_captured') }).strict(),
  /** Fired when the conversation is handed to a person (e.g. to open a ticket or tell the helpdesk). */
  z.object({ type: z.literal('handoff') }).strict(),
]);

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

/** Whether a description has any words a router can learn from. */
export function hasRoutableWords(text: string): boolean {
  return /[\p{L}\p{N}]{2,}/u.test(text);
}

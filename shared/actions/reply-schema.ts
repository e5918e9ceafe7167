import { z } from 'zod';
import { ACTION_NAME } from './vocabulary';

/** Any text field that is a template. */
export const templateString = z.string().max(8192);

/** The card a reply (or each element of a gallery) shows. */
export const CardTemplateSchema = z
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

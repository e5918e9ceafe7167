import { z } from 'zod';
import { JsonSchema } from '../json-schema';
import { patternProblem } from './pattern';
import { IDENTIFIER } from './vocabulary';

export const ParameterTypeSchema = z.enum(['text', 'number', 'date', 'email', 'phone', 'boolean', 'enum']);

/** One value the action needs from the visitor before it can call the API. */
export const ParameterSchema = z
  .object({
    name: z.string().regex(IDENTIFIER, 'must start with a letter and contain only letters, digits and _'),
    type: ParameterTypeSchema.default('text'),
    description: z.string().max(500).default(''),
    required: z.boolean().default(true),
    /** Runs on RE2, a linear-time matcher (shared/actions/pattern.ts): no backreferences or lookaround. */
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

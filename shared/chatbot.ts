import { z } from 'zod';
import { ID_PATTERN } from './ids';

/** A chatbot as an operator creates it. */
export const ChatbotInputSchema = z
  .object({
    id: z
      .string()
      .regex(ID_PATTERN, 'must be 1-64 letters, digits, _ or -, starting with a letter or digit')
      .optional(),
    name: z.string().min(1).max(200),
    greeting: z.string().max(2000).nullable().default(null),
    idleTimeoutMinutes: z.number().positive().max(10080).nullable().default(null),
    rateLimitPerMinute: z.number().int().min(1).max(100000).nullable().default(null),
  })
  .strict();
export type ChatbotInput = z.infer<typeof ChatbotInputSchema>;

/** Fields an operator may change on an existing chatbot. */
export const ChatbotPatchSchema = ChatbotInputSchema.omit({ id: true }).partial().strict();
export type ChatbotPatch = z.infer<typeof ChatbotPatchSchema>;

/** A stored chatbot. `catalogRevision` changes whenever one of its actions does. */
export type Chatbot = {
  id: string;
  name: string;
  greeting: string | null;
  idleTimeoutMinutes: number | null;
  rateLimitPerMinute: number | null;
  catalogRevision: string;
  createdAt: string;
  updatedAt: string;
};

/** A secret's name: what actions refer to as `secrets.<name>` or in an auth preset. */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const SecretInputSchema = z.object({ value: z.string().min(1).max(8192) }).strict();

/** The settings a new conversation of this chatbot starts with. */
export function conversationSettings(chatbot: Chatbot, defaultIdleTimeoutMinutes: number) {
  return {
    idleTimeoutMs: Math.round((chatbot.idleTimeoutMinutes ?? defaultIdleTimeoutMinutes) * 60_000),
    greeting: chatbot.greeting,
  };
}

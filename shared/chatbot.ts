import { z } from 'zod';
import { allowlistEntryProblem, allowlistEntryWarning } from './security/destination-checks';
import { DEFAULT_TURN_DEADLINE_SECONDS, TURN_DEADLINE_SECONDS } from './conversation/deadline';
import { ACTION_NAME } from './actions/vocabulary';
import { ID_PATTERN } from './ids';

/** A chatbot's handoff setting. Without one, a visitor asking for a person is told no one is available. */
export const HandoffSchema = z
  .object({
    /** Said when the conversation is handed to a person. */
    reply: z.string().min(1).max(2000).default("I'm connecting you with a person. They'll reply here shortly."),
    /**
     * An action of this chatbot fired on handoff (collecting what it needs first), e.g. one that opens a ticket;
     * without one, the first action with a `handoff` trigger.
     */
    action: z.string().regex(ACTION_NAME, 'must be an action name').nullable().default(null),
    /** Where the `handoff.requested` event is posted (http/https; the same egress rules as actions). */
    webhook: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s]+$/i, 'must be an http:// or https:// URL')
      .nullable()
      .default(null),
    /** Said when an agent hands the conversation back to the bot. */
    handBackReply: z.string().min(1).max(2000).default("You're back with the assistant. How can I help?"),
  })
  .strict();
/** A chatbot's own small-talk replies; a kind set to null is not answered (the message routes as usual). */
export const SmallTalkSchema = z
  .object({
    greeting: z.string().min(1).max(2000).nullable().optional(),
    thanks: z.string().min(1).max(2000).nullable().optional(),
    goodbye: z.string().min(1).max(2000).nullable().optional(),
    /** `{{abilities}}` is replaced by the list of what the bot can do. */
    help: z.string().min(1).max(2000).nullable().optional(),
  })
  .strict();
/** Bounds of a conversation's idle timeout: a minute (a shorter one closes before a visitor can answer) to a week. */
export const IDLE_TIMEOUT_MINUTES = { min: 1, max: 10080 } as const;

/** A chatbot as an operator creates it. */
export const ChatbotInputSchema = z
  .object({
    id: z
      .string()
      .regex(ID_PATTERN, 'must be 1-64 letters, digits, _ or -, starting with a letter or digit')
      .optional(),
    name: z.string().min(1).max(200),
    greeting: z.string().max(2000).nullable().default(null),
    idleTimeoutMinutes: z
      .number()
      .min(IDLE_TIMEOUT_MINUTES.min, `must be at least ${IDLE_TIMEOUT_MINUTES.min} minute`)
      .max(IDLE_TIMEOUT_MINUTES.max, `must be at most ${IDLE_TIMEOUT_MINUTES.max} minutes (a week)`)
      .nullable()
      .default(null),
    rateLimitPerMinute: z.number().int().min(1).max(100000).nullable().default(null),
    /** Seconds a visitor waits before a turn answers with what it has (default 8); the action runs on. */
    turnDeadlineSeconds: z
      .number()
      .min(TURN_DEADLINE_SECONDS.min, `must be at least ${TURN_DEADLINE_SECONDS.min} second`)
      .max(TURN_DEADLINE_SECONDS.max, `must be at most ${TURN_DEADLINE_SECONDS.max} seconds`)
      .nullable()
      .default(null),
    /** The key chat frontends send as `X-Parley-Key` to start conversations; generated when not given. */
    publishableKey: z
      .string()
      .regex(/^pk_[A-Za-z0-9_-]{16,64}$/, 'must look like pk_ followed by 16-64 letters, digits, _ or -')
      .optional(),
    /** Browser origins (scheme://host[:port]) allowed to call the chat API for this chatbot (CORS). */
    allowedOrigins: z
      .array(
        z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be an origin like https://shop.example.com'),
      )
      .max(50)
      .default([]),
    /** Private hosts or CIDRs this chatbot's actions may call (metadata addresses stay blocked). */
    egressAllowlist: z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9*.:/-]{1,255}$/, 'must be a host name, *.suffix, an IP address or a CIDR')
          .superRefine((entry, ctx) => {
            const problem = allowlistEntryProblem(entry);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
      )
      .max(50)
      .default([]),
    /** The chatbot's own replies to greetings, thanks, goodbyes and help (a kind set to null is not answered). */
    smallTalk: SmallTalkSchema.default({}),
    /** What happens when a visitor asks for a person: reply, action, webhook (null: no one is available). */
    handoff: HandoffSchema.nullable().default(null),
  })
  .strict();
export type ChatbotInput = z.infer<typeof ChatbotInputSchema>;

/** Fields an operator may change on an existing chatbot. */
export const ChatbotPatchSchema = ChatbotInputSchema.omit({ id: true }).partial().strict();
export type ChatbotPatch = z.infer<typeof ChatbotPatchSchema>;

/** A stored chatbot, as the admin API answers it. `catalogRevision` changes whenever one of its actions does. */
export const ChatbotSchema = z.object({
  id: z.string(),
  name: z.string(),
  greeting: z.string().nullable(),
  idleTimeoutMinutes: z.number().nullable(),
  rateLimitPerMinute: z.number().int().nullable(),
  turnDeadlineSeconds: z.number().nullable(),
  publishableKey: z.string(),
  allowedOrigins: z.array(z.string()),
  egressAllowlist: z.array(z.string()),
  smallTalk: SmallTalkSchema,
  handoff: HandoffSchema.nullable(),
  catalogRevision: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Chatbot = z.infer<typeof ChatbotSchema>;

/**
 * What an operator should know about chatbot settings that save but do not do what they seem to, as sentences for
 * the `warnings` of the save response (empty when there is nothing to say).
 */
export function chatbotWarnings(
  settings: Pick<ChatbotPatch, 'egressAllowlist' | 'handoff'>,
  actionNames?: string[],
): string[] {
  const warnings = (settings.egressAllowlist ?? []).flatMap((entry, index) => {
    const warning = allowlistEntryWarning(entry);
    return warning ? [`egressAllowlist[${index}]: ${warning}`] : [];
  });
  const action = settings.handoff?.action;
  if (action && actionNames && !actionNames.includes(action)) {
    warnings.push(`handoff.action: this chatbot has no action "${action}" yet, so a handoff fires none`);
  }
  return warnings;
}

/** A secret's name: what actions refer to as `secrets.<name>` or in an auth preset. */
export const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** A secret as saved through the API: its value, and the hosts it may be sent to. */
export const SecretInputSchema = z
  .object({
    value: z
      .string()
      .min(1)
      .max(8192)
      .regex(/^[^\0\r\n]*$/, 'must not contain NUL, CR or LF characters (a line break copied along with it?)'),
    /**
     * Where this secret may be sent: `[http(s)://]host[:port]`, host exact, `*.suffix` or an IP; without a port,
     * the scheme's default (80/443). Empty = wherever the action's URL points.
     */
    hosts: z
      .array(
        z
          .string()
          .regex(
            /^(https?:\/\/)?((\*\.)?[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:\d{1,5})?$/i,
            'must be [http(s)://]host[:port], host a name, *.suffix or an IP',
          ),
      )
      .max(20)
      .default([]),
  })
  .strict();

/** The settings a new conversation of this chatbot starts with. */
export function conversationSettings(chatbot: Chatbot, defaultIdleTimeoutMinutes: number) {
  return {
    // Clamped too, for chatbots saved before the bounds were checked.
    idleTimeoutMs: Math.round(
      Math.min(
        Math.max(chatbot.idleTimeoutMinutes ?? defaultIdleTimeoutMinutes, IDLE_TIMEOUT_MINUTES.min),
        IDLE_TIMEOUT_MINUTES.max,
      ) * 60_000,
    ),
    greeting: chatbot.greeting,
    // Chatbots saved before these settings existed have none.
    smallTalk: chatbot.smallTalk ?? {},
    handoff: chatbot.handoff ?? null,
    turnDeadlineMs: Math.round((chatbot.turnDeadlineSeconds ?? DEFAULT_TURN_DEADLINE_SECONDS) * 1000),
  };
}

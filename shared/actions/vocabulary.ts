/**
 * The names an action definition is written in. No validators here: workflow code reads these (through the test
 * detail's field discovery), and a workflow that loaded zod would carry it in every cached conversation.
 */

/** An action name. */
export const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** A parameter, step, field or secret name. */
export const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

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
export const RESERVED_NAMES: string[] = [...SYSTEM_VARIABLES, 'attributes', 'steps', 'secrets'];

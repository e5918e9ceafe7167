import {
  composeReply,
  mergedAttributes,
  templateContext,
  type RunEnvironment,
  type RunProgress,
} from '../actions/interpreter';
import { renderText } from '../actions/template';
import type { Json } from '../json';
import { text, type BotMessage } from '../messages';
import { mergeAttributes } from '../security/visitor-limits';
import { natural, type ActionRun, type ConversationState } from './state';
import { lastVisitorMessage, say } from './transcript';

/** Running an action from a conversation: the values its templates see, and what the conversation says after. Pure. */

/** The environment a run's templates see. */
export function runEnvironment(state: ConversationState, run: ActionRun, now: string): RunEnvironment {
  return pendingEnvironment(state, run, now);
}

export function pendingEnvironment(
  state: ConversationState,
  run: Pick<ActionRun, 'userMessage' | 'trigger'>,
  now: string,
): RunEnvironment {
  return {
    chatbotId: state.chatbotId,
    conversationId: state.conversationId,
    visitor: state.visitor,
    attributes: state.attributes,
    userMessage: run.userMessage,
    ...(natural(state) ? { lastMessage: lastVisitorMessage(state) } : {}),
    trigger: run.trigger,
    now,
  };
}

/** Finishes a run: merges attributes, says the reply, and closes the conversation when the action says so. */
export function completeRun(
  state: ConversationState,
  run: ActionRun,
  progress: RunProgress,
  now: string,
  composed: string | null = null,
): ConversationState {
  const attributes = mergeAttributes(state.attributes, mergedAttributes(progress));
  const counted = natural(state) && !progress.failure && progress.completed.length > 0;
  const runs = counted ? { ...state.runs, [run.action.name]: (state.runs[run.action.name] ?? 0) + 1 } : state.runs;
  const withAttributes = { ...state, attributes, runs };
  const context = templateContext(run.action, run.values, runEnvironment(withAttributes, run, now), progress);
  const reply = composeReply(run.action, context, progress, { readable: state.features?.readable === true });
  let next = say(withAttributes, withComposedText(reply, composed), now);
  if (run.action.closeConversation && !progress.failure) {
    next = say(next, [text(renderText(run.action.closeConversation.farewell, context))], now);
    next = { ...next, status: 'closed', closedReason: 'action' };
  }
  return next;
}

/**
 * What the LLM composer gets for a run whose reply has instructions: the deterministic reply as a draft and the
 * fields of the steps as data — for a failed run (readable replies) the error reply and why it failed. Null when
 * there is nothing to compose.
 */
export function composerInput(
  state: ConversationState,
  run: ActionRun,
  progress: RunProgress,
  now: string,
): { instructions: string; draft: string; data: Json } | null {
  const instructions = run.action.reply.instructions;
  const readable = state.features?.readable === true;
  if (!instructions || (progress.failure && !readable)) return null;
  const context = templateContext(run.action, run.values, runEnvironment(state, run, now), progress);
  const draft = composeReply(run.action, context, progress, { readable })
    .map((message) => ('text' in message && message.text ? message.text : ''))
    .filter(Boolean)
    .join('\n');
  const data = progress.failure
    ? { failed: true, reason: progress.failure.failure, steps: context['steps'] ?? {} }
    : (context['steps'] ?? {});
  return { instructions, draft, data: data as Json };
}

/** The reply with its first text replaced by the LLM composer's wording, when there is one. */
function withComposedText(messages: BotMessage[], composed: string | null): BotMessage[] {
  if (composed === null) return messages;
  const index = messages.findIndex((message) => message.type === 'text');
  if (index < 0) return [{ type: 'text', text: composed }, ...messages];
  return messages.map((message, i) => (i === index ? { type: 'text', text: composed } : message));
}

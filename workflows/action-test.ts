import { workflowInfo } from '@temporalio/workflow';
import type { ActionDefinition } from '../shared/actions/action';
import { composeReply, templateContext, type RunEnvironment, type RunProgress } from '../shared/actions/interpreter';
import type { Json, JsonObject } from '../shared/json';
import type { BotMessage } from '../shared/messages';
import type { CallReport } from '../shared/actions/step-result';
import { executeAction } from './run-action';

/** What the test button runs: one action with sample parameters, outside any conversation. */
export type ActionTestInput = {
  chatbotId: string;
  testId: string;
  action: ActionDefinition;
  version: number;
  parameters: Record<string, Json>;
  visitor: RunEnvironment['visitor'];
  attributes: JsonObject;
  /** What `user_message` and `trigger_message` read in the test run (absent in tests started before it existed). */
  message?: string;
};

/** Per call, the rendered request (secrets masked), the response and the fields; then the reply. */
export type ActionTestResult = {
  ok: boolean;
  failure: RunProgress['failure'];
  steps: CallReport[];
  structureChanged: boolean;
  reply: BotMessage[];
};

/**
 * Runs an action's real chain with sample parameters — the same interpreter and activities a conversation
 * uses — under its own workflow id, and reports what each call sent and received.
 */
export async function actionTest(input: ActionTestInput): Promise<ActionTestResult> {
  const env: RunEnvironment = {
    chatbotId: input.chatbotId,
    conversationId: `test-${input.testId}`,
    visitor: input.visitor,
    attributes: input.attributes,
    userMessage: input.message ?? '',
    ...(input.message === undefined ? {} : { lastMessage: input.message }),
    trigger: 'test',
    now: new Date(workflowInfo().startTime).toISOString(),
  };
  const { progress, calls } = await executeAction(
    { action: input.action, version: input.version, values: input.parameters, turn: 0, test: true },
    env,
  );
  const context = templateContext(input.action, input.parameters, env, progress);
  return {
    ok: progress.failure === null,
    failure: progress.failure,
    steps: calls,
    structureChanged: calls.some((call) => call.structureChanged),
    reply: composeReply(input.action, context, progress, { readable: true }),
  };
}

import {
  WithStartWorkflowOperation,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type Connection,
  type ConnectionOptions,
} from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { FailureType } from '../shared/failures';
import { conversationWorkflowId } from '../shared/ids';
import { conversation } from '../workflows/conversation';
import type { ConversationInput } from '../workflows/messages';
import { ApiError } from './errors';
import { retryAfterSeconds } from '../shared/security/traffic';

/** The search attribute operators filter conversations by in the Temporal UI: `ParleyChatbotId = "acme"`. */
export const ChatbotIdSearchAttribute = defineSearchAttributeKey('ParleyChatbotId', SearchAttributeType.KEYWORD);

/**
 * How the API connects to Temporal: a call Temporal cannot answer is retried three times over about half a second,
 * not ten times over twenty (the client's default), so an outage answers 503 within a couple of seconds.
 */
export function apiConnectionOptions(address: string): ConnectionOptions {
  return {
    address,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))],
  };
}

/** What the API needs of Temporal. */
export type TemporalDeps = { client: Client; taskQueue: string; searchAttributes: boolean };

/**
 * Registers Parley's search attributes on a namespace (the embedded dev server registers them at start;
 * an external cluster may need this once). Already-registered attributes are fine.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: {
        [ChatbotIdSearchAttribute.name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      },
    });
  } catch (error) {
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}

/**
 * Whether an update was refused because the conversation is closed: by its failure type, or — from workflows
 * that refused with a plain error before the type existed — by its message.
 */
function refusedAsClosed(error: WorkflowUpdateFailedError): boolean {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === FailureType.conversationClosed) return true;
  return /closed/.test(cause?.message ?? error.message);
}

/**
 * Maps Temporal client errors about a conversation whose record exists to API errors: a workflow that is
 * no longer running, or one that refuses with `ConversationClosed`, is a closed conversation; a message over the
 * conversation's budget (`RateLimited`) is 429 with Retry-After; an update the workflow's validator refused
 * otherwise is explained.
 */
export function conversationError(error: unknown): unknown {
  if (error instanceof WorkflowNotFoundError) return new ApiError('conversation_closed', 'the conversation is closed');
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === FailureType.rateLimited) {
      const [detail] = (cause.details ?? []) as [{ retryAfterMs?: number }?];
      return new ApiError('rate_limited', cause.message, retryAfterSeconds(detail?.retryAfterMs ?? 60_000));
    }
    return refusedAsClosed(error)
      ? new ApiError('conversation_closed', 'the conversation is closed')
      : new ApiError('invalid_request', cause?.message ?? error.message);
  }
  return error;
}

/**
 * The start of a conversation's workflow, for update-with-start (the chat start's `opening` update, an email's first
 * turn): its id, task queue and input, refused if the id is taken, tagged with the chatbot where search attributes
 * are registered.
 */
export function conversationStart(temporal: TemporalDeps, input: ConversationInput) {
  return new WithStartWorkflowOperation(conversation, {
    workflowId: conversationWorkflowId(input.chatbotId, input.conversationId),
    taskQueue: temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    ...(temporal.searchAttributes
      ? { typedSearchAttributes: [{ key: ChatbotIdSearchAttribute, value: input.chatbotId }] }
      : {}),
  });
}

import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import { conversationError } from '../../api/temporal';
import { FailureType } from '../../shared/failures';

const refused = (cause: Error) => conversationError(new WorkflowUpdateFailedError('update failed', cause));

describe('conversationError', () => {
  it('answers conversation_closed when the workflow refuses a message with a ConversationClosed failure', () => {
    const closed = ApplicationFailure.create({ type: FailureType.conversationClosed, message: 'no more messages' });
    expect(refused(closed)).toMatchObject({ code: 'conversation_closed', message: 'the conversation is closed' });
  });

  it('still knows a closed conversation from workflows that refused with a plain error', () => {
    expect(refused(new Error('the conversation is closed'))).toMatchObject({ code: 'conversation_closed' });
  });

  it('answers conversation_closed for a workflow that is no longer running', () => {
    expect(conversationError(new WorkflowNotFoundError('gone', 'conversation:a:b', undefined))).toBeInstanceOf(
      ApiError,
    );
  });

  it('explains any other refusal as an invalid request', () => {
    const other = ApplicationFailure.create({ type: 'Error', message: 'messageId is too long' });
    expect(refused(other)).toMatchObject({ code: 'invalid_request', message: 'messageId is too long' });
  });
});

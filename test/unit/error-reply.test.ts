import { describe, expect, it } from 'vitest';
import { StepSchema } from '../../shared/actions/step-schema';
import { failureReason, FailureType } from '../../shared/failures';
import { errorReply } from '../../shared/actions/interpreter';

const step = (onError: Record<string, unknown>) =>
  StepSchema.parse({ id: 's', request: { method: 'GET', url: 'https://api.example.com/' }, onError });
const failed = { ok: false as const, failure: 'http_client_error', message: 'answered 404', said: 'No such order.' };

describe('error replies', () => {
  it("says the API's message only for steps that opt in, else the error reply or the default (null)", () => {
    expect(errorReply(step({ reply: 'Sorry.', sayMessage: true }), failed)).toBe('No such order.');
    expect(errorReply(step({ reply: 'Sorry.' }), failed)).toBe('Sorry.');
    expect(errorReply(step({ sayMessage: true }), { ...failed, said: undefined })).toBeNull();
  });

  it('reports a timeout as `timeout`', () => {
    expect(failureReason(FailureType.timeout)).toBe('timeout');
  });
});

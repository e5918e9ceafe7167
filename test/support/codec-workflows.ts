import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';

/** Activities the payload codec test worker hosts. */
export type CodecTestActivities = {
  /** Returns its input with a suffix, so the value crosses the activity boundary both ways. */
  exclaim(text: string): Promise<string>;
  /** Throws a non-retryable ApplicationFailure carrying the text in its message and details. */
  failWith(text: string): Promise<never>;
};

const { exclaim, failWith } = proxyActivities<CodecTestActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** Sends its input through an activity and returns what came back. */
export async function echoWorkflow(input: { text: string }): Promise<{ text: string }> {
  return { text: await exclaim(input.text) };
}

/** Fails with a failure raised in workflow code whose cause is the activity's failure; both carry the text. */
export async function failingWorkflow(text: string): Promise<void> {
  try {
    await failWith(text);
  } catch (error) {
    throw ApplicationFailure.create({
      type: 'WorkflowSentinelFailure',
      message: `the workflow gave up on ${text}`,
      details: [{ text }],
      nonRetryable: true,
      cause: error as Error,
    });
  }
}

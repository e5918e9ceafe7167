import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

/**
 * The benchmark's baseline: a workflow whose Update returns at once, so a turn's cost can be stated as a
 * multiple of what Temporal itself costs for the same round trip on the same server.
 */

/** Answers at once with what it was sent. */
export const noopUpdate = defineUpdate<{ n: number }, [{ n: number }]>('noop');
/** Ends the workflow. */
export const noopStopSignal = defineSignal('stop');

/** Waits for Updates until told to stop. */
export async function noopWorkflow(): Promise<void> {
  let stopped = false;
  setHandler(noopUpdate, ({ n }) => ({ n }));
  setHandler(noopStopSignal, () => void (stopped = true));
  await condition(() => stopped);
}

import type { Logger } from 'pino';
import type { LiveBatch, LivePush } from '../infrastructure/live-events';

/** One API process to push to, and what it has not seen yet. */
export type LiveDelivery = { endpoint: string; batch: LiveBatch };

/**
 * Live delivery: pushes a conversation's new messages to the API processes whose visitors watch it. Best effort and
 * never retried — a visitor who missed a push catches up from the transcript when the stream reconnects — so a
 * process that is gone costs the turn at most the push timeout, never an error.
 */
export function createLiveActivities({ live, logger }: { live: Pick<LivePush, 'push'>; logger: Logger }) {
  return {
    /** Pushes each delivery; answers the endpoints that no longer watch (or cannot be reached), to be forgotten. */
    async publishLive(deliveries: LiveDelivery[]): Promise<{ gone: string[] }> {
      const results = await Promise.allSettled(deliveries.map(({ endpoint, batch }) => live.push(endpoint, batch)));
      const gone: string[] = [];
      results.forEach((result, index) => {
        const { endpoint, batch } = deliveries[index] as LiveDelivery;
        if (result.status === 'fulfilled' && result.value.watching) return;
        if (result.status === 'rejected') {
          logger.warn(
            { endpoint, conversationId: batch.conversationId, error: (result.reason as Error).message },
            'live push failed; the visitor catches up when the stream reconnects',
          );
        }
        gone.push(endpoint);
      });
      return { gone };
    },
  };
}

import type { PackedVector } from '../shared/understanding/semantic';
import { packVector } from '../shared/understanding/semantic';
import type { SentenceEncoder } from '../infrastructure/encoder';

/** Activities that help the conversation understand visitors: the sentence embedding behind semantic routing. */
export function createUnderstandingActivities({ encoder }: { encoder: SentenceEncoder | null }) {
  return {
    /**
     * A visitor message's sentence embedding, packed small for history (so replays route exactly as the turn
     * did); null when this worker has no encoder installed, and the turn then routes by words alone.
     */
    async embedText(input: { text: string }): Promise<PackedVector | null> {
      if (!encoder) return null;
      const [vector] = await encoder.embed([input.text]);
      return vector ? { encoder: encoder.id, vector: packVector(vector) } : null;
    },
  };
}

import { resolve } from 'node:path';
import { createSentenceEncoder, encoderInstalled, type SentenceEncoder } from '../../infrastructure/encoder';
import { DEFAULT_ENCODER_DIR } from '../../shared/config';

let shared: SentenceEncoder | null = null;

/**
 * The real sentence encoder the bootstrap installs, one per test process (it loads on first use). Tests never
 * fake it: a missing encoder fails with the command that installs it.
 */
export function testEncoder(): SentenceEncoder {
  const dir = resolve(__dirname, '../..', DEFAULT_ENCODER_DIR);
  if (!encoderInstalled(dir)) throw new Error(`no sentence encoder in ${dir}: run npm run bootstrap`);
  shared ??= createSentenceEncoder({ dir });
  return shared;
}

import pino, { type Logger } from 'pino';
import type { Config } from '../shared/config';

/**
 * Parley's structured logger (JSON lines). Built once by each composition root and passed down;
 * like config, never imported by workflow code (workflows log through Temporal's replay-aware `log`).
 */
export function createLogger(level: Config['logLevel'], name: string): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['authorization', '*.authorization', 'headers.authorization', 'token', '*.token'], censor: '***' },
  });
}

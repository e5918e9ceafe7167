import { Agent, type Dispatcher } from 'undici';

/** The HTTP dispatcher for the LLM endpoint (Parley's own configuration, so not the operators' egress). */
export function createLlmDispatcher(connectTimeoutMs: number): Dispatcher {
  return new Agent({ connect: { timeout: connectTimeoutMs } });
}

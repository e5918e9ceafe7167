import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { LlmSettings } from '../shared/understanding/llm';
import { DEFAULT_TRAFFIC_LIMITS } from '../shared/security/traffic';
import { createAlertActivities } from './alerts';
import { createCatalogActivities } from './catalog';
import { createEmailActivities } from './email';
import type { Egress } from '../infrastructure/egress';
import { createHandoffActivities } from './handoff';
import { createHttpActivities } from './http';
import { createLiveActivities } from './live';
import type { LivePush } from '../infrastructure/live-events';
import { createLlmActivities } from './llm';
import type { Services } from '../infrastructure/services';
import { createUnderstandingActivities } from './understanding';

/** Everything activities need from the outside world, built by the worker's composition root. */
export type ActivityDeps = {
  services: Services;
  egress: Egress;
  logger: Logger;
  defaultRateLimitPerMinute: number;
  /** API calls per minute one conversation may make (default DEFAULT_TRAFFIC_LIMITS'). */
  conversationCallsPerMinute?: number;
  /** The optional LLM (off when settings are null): router, extractor and composer activities. */
  llm: { settings: LlmSettings | null; dispatcher: Dispatcher };
  /** Pushes conversations' new messages to the API processes whose visitors watch them. */
  live: Pick<LivePush, 'push'>;
};

/** All of Parley's activities, composed from their factories. */
export function createActivities({
  services,
  egress,
  logger,
  defaultRateLimitPerMinute,
  conversationCallsPerMinute = DEFAULT_TRAFFIC_LIMITS.conversationCallsPerMinute,
  llm,
  live,
}: ActivityDeps) {
  const { store, callLog, rateLimiter, alerts, encoder } = services;
  return {
    ...createCatalogActivities({ store }),
    ...createUnderstandingActivities({ encoder, store }),
    ...createHttpActivities({
      egress,
      readSecrets: store.readSecrets,
      chatbotLimits: async (chatbotId) => {
        const chatbot = await store.getChatbot(chatbotId);
        return {
          rateLimitPerMinute: chatbot?.rateLimitPerMinute ?? defaultRateLimitPerMinute,
          conversationCallsPerMinute,
          egressAllowlist: chatbot?.egressAllowlist ?? [],
        };
      },
      callLog,
      rateLimiter,
      logger,
      metrics: services.metrics,
    }),
    ...createLlmActivities({ settings: llm.settings, dispatcher: llm.dispatcher, logger }),
    ...createHandoffActivities({ egress, logger }),
    ...createAlertActivities({ alerts }),
    ...createEmailActivities({ email: services.email }),
    ...createLiveActivities({ live, logger }),
  };
}

/** The activity interface workflows proxy (imported by workflows as a type only). */
export type Activities = ReturnType<typeof createActivities>;

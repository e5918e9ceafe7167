import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { AlertSettings, FailureAlert } from './alerts';
import { createCatalogActivities } from './catalog';
import { createHttpActivities } from './http';
import type { Services } from './services';

/** Everything activities need from the outside world, built by the worker's composition root. */
export type ActivityDeps = {
  services: Services;
  dispatcher: Dispatcher;
  logger: Logger;
  defaultRateLimitPerMinute: number;
};

/** All of Parley's activities, composed from their factories. */
export function createActivities({ services, dispatcher, logger, defaultRateLimitPerMinute }: ActivityDeps) {
  const { store, callLog, rateLimiter, alerts } = services;
  return {
    ...createCatalogActivities({ store }),
    ...createHttpActivities({
      dispatcher,
      readSecrets: store.readSecrets,
      rateLimitFor: async (chatbotId) =>
        (await store.getChatbot(chatbotId))?.rateLimitPerMinute ?? defaultRateLimitPerMinute,
      callLog,
      rateLimiter,
      logger,
    }),
    /** Emails and/or posts a failure alert, at most once per hour per action. */
    async sendFailureAlert(input: { alert: FailureAlert; settings: AlertSettings }) {
      return alerts.sendFailureAlert(input.alert, input.settings);
    },
  };
}

/** The activity interface workflows proxy (imported by workflows as a type only). */
export type Activities = ReturnType<typeof createActivities>;

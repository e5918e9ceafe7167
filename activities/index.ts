import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { createCatalogActivities } from './catalog';
import { createHttpActivities } from './http';
import type { Store } from './store';

/** Everything activities need from the outside world, built by the worker's composition root. */
export type ActivityDeps = { store: Store; dispatcher: Dispatcher; logger: Logger };

/** All of Parley's activities, composed from their factories. */
export function createActivities({ store, dispatcher, logger }: ActivityDeps) {
  return {
    ...createCatalogActivities({ store }),
    ...createHttpActivities({ dispatcher, readSecrets: store.readSecrets, logger }),
  };
}

/** The activity interface workflows proxy (imported by workflows as a type only). */
export type Activities = ReturnType<typeof createActivities>;

import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { createAlerts, type MailTransport } from './alerts';
import { createCallLog } from './call-log';
import { createRateLimiter } from './rate-limit';
import { createStore } from './store';

/** Settings of the MongoDB-backed services, from config. */
export type ServiceOptions = {
  logRetentionDays: number;
  mail: { transport: MailTransport | null; from: string };
  dispatcher: Dispatcher;
  logger: Logger;
};

/**
 * Parley's MongoDB-backed services — store, call log, rate limiter, alerts — over one database. Built by the
 * API and the worker alike, so both read and write the same data the same way.
 */
export function createServices(db: Db, options: ServiceOptions) {
  const store = createStore(db);
  const callLog = createCallLog(db, { retentionDays: options.logRetentionDays });
  const rateLimiter = createRateLimiter(db);
  const alerts = createAlerts({ db, mail: options.mail, dispatcher: options.dispatcher, logger: options.logger });
  return {
    store,
    callLog,
    rateLimiter,
    alerts,
    /** Creates every index (unique, TTL) the services rely on; safe at every start. */
    async ensureIndexes(): Promise<void> {
      await store.ensureIndexes();
      await callLog.ensureIndexes();
      await rateLimiter.ensureIndexes();
      await alerts.ensureIndexes();
    },
  };
}
export type Services = ReturnType<typeof createServices>;

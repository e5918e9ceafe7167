import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import { createAlerts, type MailTransport } from './alerts';
import { createCallLog } from './call-log';
import { createCatalogPublisher } from './catalog-publisher';
import { createEmailChannel } from './email';
import type { Egress } from './egress';
import type { SentenceEncoder } from './encoder';
import { createMetrics, type Metrics } from './metrics';
import { DEFAULT_EMAIL_IDLE_TIMEOUT_MINUTES } from '../shared/config';
import { createRateLimiter } from './rate-limit';
import type { KeyRing } from './secret-box';
import { createStore } from './store';

/** Settings of the MongoDB-backed services, from config. */
export type ServiceOptions = {
  secretKeys: KeyRing;
  logRetentionDays: number;
  mail: { transport: MailTransport | null; from: string };
  egress: Egress;
  logger: Logger;
  /** The sentence encoder for semantic routing (trained on when actions are saved); null routes by words alone. */
  encoder: SentenceEncoder | null;
  /**
   * The email channel's settings: replies' From (null: the address the visitor wrote to) and how long an email
   * conversation waits for the next email (default: a day). Replies go out through `mail.transport`.
   */
  email?: { from: string | null; idleTimeoutMinutes: number };
  /** This process's metrics (createRuntime's); absent: a registry of their own that nothing exposes. */
  metrics?: Metrics;
};

/**
 * Parley's MongoDB-backed services — store, catalogue publisher, call log, rate limiter, alerts, email channel — over one database. Built by the
 * API and the worker alike, so both read and write the same data the same way.
 */
export function createServices(db: Db, options: ServiceOptions) {
  const store = createStore(db, { secretKeys: options.secretKeys });
  const callLog = createCallLog(db, { retentionDays: options.logRetentionDays });
  const metrics = options.metrics ?? createMetrics();
  metrics.watchCallLogOutbox(() => callLog.outbox());
  const rateLimiter = createRateLimiter(db);
  // Per-second budgets (bursts of conversation starts) count under their own keys in the same collections.
  const burstLimiter = createRateLimiter(db, { windowMs: 1000 });
  const alerts = createAlerts({ db, mail: options.mail, egress: options.egress, logger: options.logger });
  const email = createEmailChannel({
    db,
    transport: options.mail.transport,
    from: options.email?.from ?? null,
    idleTimeoutMinutes: options.email?.idleTimeoutMinutes ?? DEFAULT_EMAIL_IDLE_TIMEOUT_MINUTES,
  });
  return {
    store,
    callLog,
    rateLimiter,
    burstLimiter,
    alerts,
    /** The email channel: which conversation an email thread belongs to, and replies by SMTP. */
    email,
    /** Trains and publishes a chatbot's catalogue after its actions change. */
    catalog: createCatalogPublisher({ store, encoder: options.encoder }),
    encoder: options.encoder,
    /** This process's metrics: the chat routes and the HTTP step record turns, routing, calls and refusals. */
    metrics,
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

import type { PayloadCodec } from '@temporalio/common';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../infrastructure/services';
import type { EgressPolicy } from '../shared/security/address-policy';
import { bearerToken, requireAdmin, sameSecret } from './auth';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../shared/security/visitor-limits';
import type { TrafficLimits, TrustProxy } from '../shared/security/traffic';
import { ApiError, errorHandler } from './errors';
import { createChatbotCache } from './chatbot-cache';
import { renderDocsPage } from './docs-page';
import { openApiDocument } from './openapi';
import { outageError } from './outages';
import { adminRoutes } from './routes/admin';
import { chatRoutes } from './routes/chat';
import { createConversationAccess } from './conversation-access';
import { createLiveHub } from './live';
import { livePushRoute, liveRoutes } from './routes/live';
import type { LiveSigning } from '../infrastructure/live-events';
import { codecRoutes } from './routes/codec';
import { emailRoutes } from './routes/email';
import { widgetScript } from './widget';
import type { TemporalDeps } from './temporal';

/** Everything the API needs; tests build these against real servers and never call listen(). */
export type AppDeps = {
  services: Services;
  temporal: TemporalDeps;
  adminKey: string;
  defaultIdleTimeoutMinutes: number;
  /** Budgets and caps per chatbot, conversation and client address. */
  traffic: TrafficLimits;
  /** Express's `trust proxy`: whose X-Forwarded-For names the client address (false: the socket's). */
  trustProxy: TrustProxy;
  /** The egress policy the worker calls under (without chatbots' allowlists): save responses warn about it. */
  egressPolicy: EgressPolicy;
  /** The optional LLM is configured (PARLEY_LLM_*). */
  llmEnabled: boolean;
  /** The Temporal codec server (for the UI and CLI), when payloads are encrypted. */
  codec?: { codec: PayloadCodec; allowedOrigin: string | null } | null;
  /**
   * Live delivery (event streams): how pushes and stream tokens are signed, and the URL workers push to this
   * process at (PARLEY_API_INTERNAL_URL). Without it, streams answer 503.
   */
  live?: { signing: LiveSigning; pushUrl: () => string } | null;
  logger: Logger;
};

/**
 * Refuses a request body that is not JSON (415) instead of reading it as `{}`. A request without a body passes.
 */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const length = req.get('content-length');
  const hasBody = req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
  if (hasBody && !req.is('application/json')) {
    const sent = req.get('content-type')?.slice(0, 100);
    throw new ApiError(
      'unsupported_media_type',
      `send the request body as JSON with Content-Type: application/json${sent ? ` (got ${sent})` : ' (none was sent)'}`,
    );
  }
  next();
};

/** Refuses a JSON body nested deeper than MAX_JSON_DEPTH before any validator walks it. */
const limitJsonDepth: RequestHandler = (req, _res, next) => {
  if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
    throw new ApiError('invalid_request', `the request body nests more than ${MAX_JSON_DEPTH} levels deep`);
  }
  next();
};

/** Builds Parley's Express app: chat routes, admin routes behind the admin key, health, API docs, JSON errors. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.trustProxy);
  if (deps.codec) {
    // Before the JSON parser: the codec routes take larger batches of payloads and parse them themselves.
    const isAdmin = (req: Parameters<typeof bearerToken>[0]) => {
      const token = bearerToken(req);
      return token !== undefined && sameSecret(token, deps.adminKey);
    };
    app.use(codecRoutes({ codec: deps.codec.codec, authorize: isAdmin, allowedOrigin: deps.codec.allowedOrigin }));
  }
  const live = deps.live
    ? { ...deps.live, hub: createLiveHub({ endpoint: deps.live.pushUrl, logger: deps.logger }) }
    : null;
  // Before the JSON parser too: a push's signature covers its exact bytes.
  if (live) app.use(livePushRoute(live));
  if (live) deps.services.metrics.watchLiveStreams(() => live.hub.size());
  // And email providers' inbound webhooks, which post forms as well as JSON.
  app.use(emailRoutes(deps));
  app.use(requireJsonBody);
  app.use(express.json({ limit: '256kb' }));
  app.use(limitJsonDepth);

  app.get('/healthz', async (_req, res) => {
    const check = async (probe: () => Promise<unknown>) =>
      probe().then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error: (error as Error).message }),
      );
    // Answered within a second whatever is down: each probe gets that long.
    const within = <T>(probe: Promise<T>) =>
      Promise.race([
        probe,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 1 s')), 1000).unref()),
      ]);
    const [temporal, mongodb] = await Promise.all([
      check(() =>
        deps.temporal.client.connection.withDeadline(Date.now() + 1000, () =>
          deps.temporal.client.workflowService.getSystemInfo({}),
        ),
      ),
      check(() => within(deps.services.store.ping())),
    ]);
    const ok = temporal.ok && mongodb.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', temporal, mongodb });
  });

  // Prometheus metrics of this process (README "Metrics"); a worker serves its own on PARLEY_WORKER_METRICS_PORT.
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await deps.services.metrics.exposition();
    res.set('content-type', contentType).send(body);
  });

  // The API's own description: OpenAPI 3.1 generated from the schemas the routes validate with, and a page of it.
  let docsPage: string | null = null;
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.get('/docs', (_req, res) => {
    docsPage ??= renderDocsPage(openApiDocument());
    res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(docsPage);
  });

  // The web chat: one script any page can embed (widget/).
  app.get('/widget.js', widgetScript());

  // Chat routes and event streams find conversations and check their tokens the same way.
  const conversations = createConversationAccess({ store: deps.services.store, temporal: deps.temporal });
  // Chat routes read chatbots through this cache; every admin write in this process makes it forget them. They come
  // before the event streams, so that their CORS (the chatbot's allowed origins) answers browsers for those too.
  const chatbots = createChatbotCache(deps.services.store);
  app.use(
    chatRoutes({
      ...deps,
      chatbots,
      conversations,
      store: deps.services.store,
      rateLimiter: deps.services.rateLimiter,
      burstLimiter: deps.services.burstLimiter,
      encoder: deps.services.encoder,
      metrics: deps.services.metrics,
    }),
  );
  if (live) app.use(liveRoutes({ ...live, conversations }));
  else {
    app.all(['/v1/conversations/:id/events', '/v1/conversations/:id/stream-token'], () => {
      throw new ApiError('unavailable', 'live delivery is not configured on this API process');
    });
  }
  app.use('/v1/chatbots', requireAdmin(deps.adminKey), chatbots.watchWrites, adminRoutes(deps));

  app.use((req, _res, next) => next(new ApiError('not_found', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler((error) => deps.logger.error({ err: error }, 'request failed'), outageError));
  return app;
}

import { z } from 'zod';
import { allowlistEntryProblem } from './security/destination-checks';
import {
  DEFAULT_TRAFFIC_LIMITS as TRAFFIC,
  parseTrustProxy,
  type TrafficLimits,
  type TrustProxy,
} from './security/traffic';

/**
 * Parley's configuration, parsed once from the environment at start-up and passed down.
 * Never imported by workflow code.
 */
const KEY_RING = /^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/=]{40,}(,[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/=]{40,})*$/;

/** How long an email conversation waits for the visitor's next email before it closes: a day. */
export const DEFAULT_EMAIL_IDLE_TIMEOUT_MINUTES = 1440;

/** Where the bootstrap installs the sentence encoder for semantic routing. */
export const DEFAULT_ENCODER_DIR = '.tools/models/all-minilm-l6-v2-q';

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    TEMPORAL_ADDRESS: z.string().min(1).optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('parley'),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
    MONGODB_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a plain database name')
      .default('parley'),
    PARLEY_ADMIN_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    PARLEY_DATA_DIR: z.string().min(1).default('.data'),
    PARLEY_STARTUP_WAIT_SECONDS: z.coerce
      .number({ error: 'must be a number of seconds' })
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1 second')
      .max(3600, 'must be at most 3600 seconds (an hour)')
      .optional(),
    PARLEY_IDLE_TIMEOUT_MINUTES: z.coerce.number().min(1).max(10080).default(30),
    PARLEY_HTTP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
    PARLEY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(TRAFFIC.chatbotCallsPerMinute),
    PARLEY_CONVERSATION_CALLS_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(TRAFFIC.conversationCallsPerMinute),
    PARLEY_VISITOR_MESSAGES_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(TRAFFIC.visitorMessagesPerMinute),
    PARLEY_CONCURRENT_TURNS: z.coerce.number().int().min(1).max(10000).default(TRAFFIC.concurrentTurns),
    PARLEY_CHATBOT_CONCURRENT_TURNS: z.coerce.number().int().min(1).max(1000).default(TRAFFIC.chatbotConcurrentTurns),
    PARLEY_STARTS_PER_ADDRESS_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(TRAFFIC.startsPerAddressPerMinute),
    PARLEY_STARTS_PER_CHATBOT_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(TRAFFIC.startsPerChatbotPerMinute),
    PARLEY_STARTS_PER_CHATBOT_PER_SECOND: z.coerce
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(TRAFFIC.startsPerChatbotPerSecond),
    PARLEY_TRUST_PROXY: z
      .string()
      .default('false')
      .transform((value, ctx) => {
        const parsed = parseTrustProxy(value);
        if (parsed === false || typeof parsed === 'number' || Array.isArray(parsed)) return parsed;
        ctx.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }),
    PARLEY_LOG_RETENTION_DAYS: z.coerce.number().min(1).max(365).default(7),
    PARLEY_SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
      // The URL may hold a password: the message never repeats it.
      .refine((url) => URL.canParse(url), 'is not a valid URL')
      .optional(),
    PARLEY_ALERT_FROM: z.string().min(3).default('Parley <parley@localhost>'),
    PARLEY_EMAIL_FROM: z
      .string()
      .max(320)
      .regex(
        /^([^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/,
        'must be an address like support@acme.test or Acme Support <support@acme.test>',
      )
      .optional(),
    PARLEY_EMAIL_IDLE_TIMEOUT_MINUTES: z.coerce
      .number({ error: 'must be a number of minutes' })
      .min(1, 'must be at least 1 minute')
      .max(10080, 'must be at most 10080 minutes (a week)')
      .default(DEFAULT_EMAIL_IDLE_TIMEOUT_MINUTES),
    PARLEY_SECRET_KEYS: z
      .string()
      .regex(KEY_RING, 'must be key-id:base64 entries, comma separated (openssl rand -base64 32 makes a key)')
      .optional(),
    PARLEY_PAYLOAD_KEYS: z
      .string()
      .regex(KEY_RING, 'must be key-id:base64 entries, comma separated (openssl rand -base64 32 makes a key)')
      .optional(),
    PARLEY_CODEC_CORS_ORIGIN: z
      .string()
      .regex(/^https?:\/\/[^/]+$/, 'must be an origin like http://localhost:8233')
      .optional(),
    PARLEY_API_INTERNAL_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL like http://api-1.internal:3000' })
      .optional(),
    PARLEY_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('false'),
    PARLEY_EGRESS_ALLOWLIST: z
      .string()
      .default('')
      .superRefine((list, ctx) => {
        for (const entry of list
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)) {
          const problem = allowlistEntryProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }
      }),
    PARLEY_LLM_BASE_URL: z.string().url().optional(),
    PARLEY_LLM_API_KEY: z.string().min(1).optional(),
    PARLEY_LLM_MODEL: z.string().min(1).optional(),
    PARLEY_LLM_TIMEOUT_MS: z.coerce.number().int().min(500).max(120000).default(15000),
    PARLEY_WORKER_METRICS_PORT: z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a port number')
      .min(0, 'must be a port number (0–65535)')
      .max(65535, 'must be a port number (0–65535)')
      .optional(),
    PARLEY_WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'must be host:port, like 0.0.0.0:9465')
      .optional(),
    PARLEY_ENCODER_DIR: z.string().min(1).default(DEFAULT_ENCODER_DIR),
    PARLEY_ENCODER_THREADS: z.coerce.number().int().min(1).max(16).default(1),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.PARLEY_ADMIN_KEY) {
      ctx.addIssue({ code: 'custom', path: ['PARLEY_ADMIN_KEY'], message: 'is required when NODE_ENV=production' });
    }
    if (env.NODE_ENV === 'production' && env.PARLEY_ALLOW_LOOPBACK === 'true') {
      ctx.addIssue({ code: 'custom', path: ['PARLEY_ALLOW_LOOPBACK'], message: 'must not be true in production' });
    }
    const temporalMetricsPort = Number(env.PARLEY_WORKER_METRICS_ADDRESS?.split(':').at(-1));
    if (env.PARLEY_WORKER_METRICS_PORT && env.PARLEY_WORKER_METRICS_PORT === temporalMetricsPort) {
      ctx.addIssue({
        code: 'custom',
        path: ['PARLEY_WORKER_METRICS_ADDRESS'],
        message:
          "must use another port than PARLEY_WORKER_METRICS_PORT (the Temporal SDK's metrics and Parley's are served apart)",
      });
    }
    if (env.PARLEY_LLM_BASE_URL !== undefined && env.PARLEY_LLM_MODEL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PARLEY_LLM_MODEL'],
        message: 'is required when PARLEY_LLM_BASE_URL is set',
      });
    }
  });

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  temporal: { address: string; namespace: string; taskQueue: string; embedded: boolean };
  mongodb: { uri: string; database: string; embedded: boolean };
  adminKey: string | undefined;
  dataDir: string;
  /** How long the API and the worker keep retrying Temporal and MongoDB at start-up before giving up. */
  startupWaitSeconds: number;
  defaultIdleTimeoutMinutes: number;
  http: { connectTimeoutMs: number };
  /** Budgets and caps that keep one chatbot, conversation or address from starving the others. */
  traffic: TrafficLimits;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client address. */
  trustProxy: TrustProxy;
  logRetentionDays: number;
  alerts: { smtpUrl: string | undefined; from: string };
  /**
   * The email channel: replies' From (null: the address the visitor wrote to) and how long an email conversation
   * waits for the next email. Replies go out through the alerts' SMTP server.
   */
  email: { from: string | null; idleTimeoutMinutes: number };
  /** Key ring spec for secrets at rest; required to run the API or the worker. */
  secretKeys: string | undefined;
  /** Key ring spec for Temporal payload encryption; off when unset. */
  payloadKeys: string | undefined;
  codecCorsOrigin: string | null;
  /** The base URL workers reach this API process at, to push live messages (default: loopback on `port`). */
  apiInternalUrl: string;
  egress: { allowLoopback: boolean; allowlist: string[] };
  llm: { baseUrl: string; apiKey: string | null; model: string; timeoutMs: number } | null;
  /** The sentence encoder's folder and how many threads one embedding may use. */
  encoder: { dir: string; threads: number };
  /**
   * The worker's metrics: the port of its own /metrics (Parley's metrics), and the host:port the Temporal SDK serves
   * its worker metrics at (its Prometheus exporter's /metrics); each off when null.
   */
  workerMetrics: { port: number | null; temporalAddress: string | null };
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
};

/** Default addresses of the embedded servers that `npm start` runs when nothing external is configured. */
export const EMBEDDED_DEFAULTS = {
  temporalAddress: '127.0.0.1:7233',
  temporalUiPort: 8233,
  mongodbUri: 'mongodb://127.0.0.1:27017/',
} as const;

/**
 * How long start-up waits for Temporal and MongoDB by default: in production a minute, so processes started
 * alongside their dependencies come up by themselves; elsewhere ten seconds, so a mistake shows soon.
 */
export const STARTUP_WAIT_SECONDS = { production: 60, development: 10, test: 10 } as const;

/** Raised when the environment does not parse; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment into a Config, or throws a ConfigError naming each bad variable, on one line. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`PORT=` in an env file) means unset, not zero or "".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? EMBEDDED_DEFAULTS.temporalAddress,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      embedded: e.TEMPORAL_ADDRESS === undefined,
    },
    mongodb: {
      uri: e.MONGODB_URI ?? EMBEDDED_DEFAULTS.mongodbUri,
      database: e.MONGODB_DB,
      embedded: e.MONGODB_URI === undefined,
    },
    adminKey: e.PARLEY_ADMIN_KEY,
    dataDir: e.PARLEY_DATA_DIR,
    startupWaitSeconds: e.PARLEY_STARTUP_WAIT_SECONDS ?? STARTUP_WAIT_SECONDS[e.NODE_ENV],
    defaultIdleTimeoutMinutes: e.PARLEY_IDLE_TIMEOUT_MINUTES,
    http: { connectTimeoutMs: e.PARLEY_HTTP_CONNECT_TIMEOUT_MS },
    traffic: {
      chatbotCallsPerMinute: e.PARLEY_RATE_LIMIT_PER_MINUTE,
      conversationCallsPerMinute: e.PARLEY_CONVERSATION_CALLS_PER_MINUTE,
      visitorMessagesPerMinute: e.PARLEY_VISITOR_MESSAGES_PER_MINUTE,
      concurrentTurns: e.PARLEY_CONCURRENT_TURNS,
      chatbotConcurrentTurns: e.PARLEY_CHATBOT_CONCURRENT_TURNS,
      startsPerAddressPerMinute: e.PARLEY_STARTS_PER_ADDRESS_PER_MINUTE,
      startsPerChatbotPerMinute: e.PARLEY_STARTS_PER_CHATBOT_PER_MINUTE,
      startsPerChatbotPerSecond: e.PARLEY_STARTS_PER_CHATBOT_PER_SECOND,
    },
    trustProxy: e.PARLEY_TRUST_PROXY,
    logRetentionDays: e.PARLEY_LOG_RETENTION_DAYS,
    alerts: { smtpUrl: e.PARLEY_SMTP_URL, from: e.PARLEY_ALERT_FROM },
    email: { from: e.PARLEY_EMAIL_FROM ?? null, idleTimeoutMinutes: e.PARLEY_EMAIL_IDLE_TIMEOUT_MINUTES },
    secretKeys: e.PARLEY_SECRET_KEYS,
    payloadKeys: e.PARLEY_PAYLOAD_KEYS,
    codecCorsOrigin: e.PARLEY_CODEC_CORS_ORIGIN ?? null,
    apiInternalUrl: (e.PARLEY_API_INTERNAL_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    egress: {
      allowLoopback: e.PARLEY_ALLOW_LOOPBACK === 'true',
      allowlist: e.PARLEY_EGRESS_ALLOWLIST.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    },
    llm:
      e.PARLEY_LLM_BASE_URL && e.PARLEY_LLM_MODEL
        ? {
            baseUrl: e.PARLEY_LLM_BASE_URL,
            apiKey: e.PARLEY_LLM_API_KEY ?? null,
            model: e.PARLEY_LLM_MODEL,
            timeoutMs: e.PARLEY_LLM_TIMEOUT_MS,
          }
        : null,
    encoder: { dir: e.PARLEY_ENCODER_DIR, threads: e.PARLEY_ENCODER_THREADS },
    workerMetrics: {
      port: e.PARLEY_WORKER_METRICS_PORT ?? null,
      temporalAddress: e.PARLEY_WORKER_METRICS_ADDRESS ?? null,
    },
    logLevel: e.LOG_LEVEL,
  };
}

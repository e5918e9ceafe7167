import { z } from 'zod';

/**
 * Parley's configuration, parsed once from the environment at start-up and passed down.
 * Never imported by workflow code.
 */
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
    PARLEY_IDLE_TIMEOUT_MINUTES: z.coerce.number().positive().max(10080).default(30),
    PARLEY_HTTP_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
    PARLEY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(10),
    PARLEY_VISITOR_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10000).default(30),
    PARLEY_LOG_RETENTION_DAYS: z.coerce.number().positive().max(365).default(7),
    PARLEY_SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
      .optional(),
    PARLEY_ALERT_FROM: z.string().min(3).default('Parley <parley@localhost>'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.PARLEY_ADMIN_KEY) {
      ctx.addIssue({ code: 'custom', path: ['PARLEY_ADMIN_KEY'], message: 'is required when NODE_ENV=production' });
    }
  });

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  temporal: { address: string; namespace: string; taskQueue: string; embedded: boolean };
  mongodb: { uri: string; database: string; embedded: boolean };
  adminKey: string | undefined;
  dataDir: string;
  defaultIdleTimeoutMinutes: number;
  http: { connectTimeoutMs: number };
  defaultRateLimitPerMinute: number;
  visitorMessagesPerMinute: number;
  logRetentionDays: number;
  alerts: { smtpUrl: string | undefined; from: string };
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
};

/** Default addresses of the embedded servers that `npm start` runs when nothing external is configured. */
export const EMBEDDED_DEFAULTS = {
  temporalAddress: '127.0.0.1:7233',
  temporalUiPort: 8233,
  mongodbUri: 'mongodb://127.0.0.1:27017/',
} as const;

/** Raised when the environment does not parse; its message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment into a Config, or throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`PORT=` in an env file) means unset, not zero or "".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
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
    defaultIdleTimeoutMinutes: e.PARLEY_IDLE_TIMEOUT_MINUTES,
    http: { connectTimeoutMs: e.PARLEY_HTTP_CONNECT_TIMEOUT_MS },
    defaultRateLimitPerMinute: e.PARLEY_RATE_LIMIT_PER_MINUTE,
    visitorMessagesPerMinute: e.PARLEY_VISITOR_MESSAGES_PER_MINUTE,
    logRetentionDays: e.PARLEY_LOG_RETENTION_DAYS,
    alerts: { smtpUrl: e.PARLEY_SMTP_URL, from: e.PARLEY_ALERT_FROM },
    logLevel: e.LOG_LEVEL,
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, EMBEDDED_DEFAULTS, loadConfig } from '../../shared/config';

describe('loadConfig', () => {
  it('runs everything embedded with the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      port: 3000,
      temporal: {
        address: EMBEDDED_DEFAULTS.temporalAddress,
        namespace: 'default',
        taskQueue: 'parley',
        embedded: true,
      },
      mongodb: { uri: EMBEDDED_DEFAULTS.mongodbUri, database: 'parley', embedded: true },
      adminKey: undefined,
      dataDir: '.data',
      startupWaitSeconds: 10,
      defaultIdleTimeoutMinutes: 30,
      http: { connectTimeoutMs: 5000 },
      traffic: {
        chatbotCallsPerMinute: 600,
        conversationCallsPerMinute: 30,
        visitorMessagesPerMinute: 30,
        concurrentTurns: 6,
        chatbotConcurrentTurns: 3,
        startsPerAddressPerMinute: 20,
        startsPerChatbotPerMinute: 300,
        startsPerChatbotPerSecond: 10,
      },
      trustProxy: false,
      logRetentionDays: 7,
      alerts: { smtpUrl: undefined, from: 'Parley <parley@localhost>' },
      email: { from: null, idleTimeoutMinutes: 1440 },
      secretKeys: undefined,
      payloadKeys: undefined,
      codecCorsOrigin: null,
      apiInternalUrl: 'http://127.0.0.1:3000',
      egress: { allowLoopback: false, allowlist: [] },
      llm: null,
      encoder: { dir: '.tools/models/all-minilm-l6-v2-q', threads: 1 },
      workerMetrics: { port: null, temporalAddress: null },
      logLevel: 'info',
    });
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'parley-prod',
      TEMPORAL_TASK_QUEUE: 'parley-q',
      MONGODB_URI: 'mongodb+srv://db.internal/',
      MONGODB_DB: 'parley_prod',
      PARLEY_ADMIN_KEY: 'k'.repeat(32),
      PARLEY_DATA_DIR: '/var/lib/parley',
      PARLEY_STARTUP_WAIT_SECONDS: '90',
      PARLEY_IDLE_TIMEOUT_MINUTES: '15',
      PARLEY_HTTP_CONNECT_TIMEOUT_MS: '2000',
      PARLEY_RATE_LIMIT_PER_MINUTE: '60',
      PARLEY_VISITOR_MESSAGES_PER_MINUTE: '12',
      PARLEY_CONVERSATION_CALLS_PER_MINUTE: '20',
      PARLEY_CONCURRENT_TURNS: '16',
      PARLEY_CHATBOT_CONCURRENT_TURNS: '4',
      PARLEY_STARTS_PER_ADDRESS_PER_MINUTE: '5',
      PARLEY_STARTS_PER_CHATBOT_PER_MINUTE: '100',
      PARLEY_STARTS_PER_CHATBOT_PER_SECOND: '3',
      PARLEY_TRUST_PROXY: '10.0.0.0/8, loopback',
      PARLEY_LOG_RETENTION_DAYS: '30',
      PARLEY_SMTP_URL: 'smtps://mailer:pw@smtp.acme.test:465',
      PARLEY_ALERT_FROM: 'Acme Bot <bot@acme.test>',
      PARLEY_EMAIL_FROM: 'Acme Support <support@acme.test>',
      PARLEY_EMAIL_IDLE_TIMEOUT_MINUTES: '2880',
      PARLEY_SECRET_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      PARLEY_PAYLOAD_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      PARLEY_CODEC_CORS_ORIGIN: 'https://temporal-ui.acme.test',
      PARLEY_EGRESS_ALLOWLIST: '10.1.0.0/16, crm.internal',
      PARLEY_LLM_BASE_URL: 'https://llm.acme.test/v1',
      PARLEY_LLM_API_KEY: 'sk-test',
      PARLEY_LLM_MODEL: 'small-model',
      PARLEY_WORKER_METRICS_PORT: '9464',
      PARLEY_WORKER_METRICS_ADDRESS: '0.0.0.0:9465',
      LOG_LEVEL: 'warn',
    });
    expect(config).toEqual({
      env: 'production',
      port: 8080,
      temporal: { address: 'temporal.internal:7233', namespace: 'parley-prod', taskQueue: 'parley-q', embedded: false },
      mongodb: { uri: 'mongodb+srv://db.internal/', database: 'parley_prod', embedded: false },
      adminKey: 'k'.repeat(32),
      dataDir: '/var/lib/parley',
      startupWaitSeconds: 90,
      defaultIdleTimeoutMinutes: 15,
      http: { connectTimeoutMs: 2000 },
      traffic: {
        chatbotCallsPerMinute: 60,
        conversationCallsPerMinute: 20,
        visitorMessagesPerMinute: 12,
        concurrentTurns: 16,
        chatbotConcurrentTurns: 4,
        startsPerAddressPerMinute: 5,
        startsPerChatbotPerMinute: 100,
        startsPerChatbotPerSecond: 3,
      },
      trustProxy: ['10.0.0.0/8', 'loopback'],
      logRetentionDays: 30,
      alerts: { smtpUrl: 'smtps://mailer:pw@smtp.acme.test:465', from: 'Acme Bot <bot@acme.test>' },
      email: { from: 'Acme Support <support@acme.test>', idleTimeoutMinutes: 2880 },
      secretKeys: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      payloadKeys: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      codecCorsOrigin: 'https://temporal-ui.acme.test',
      apiInternalUrl: 'http://127.0.0.1:8080',
      egress: { allowLoopback: false, allowlist: ['10.1.0.0/16', 'crm.internal'] },
      llm: { baseUrl: 'https://llm.acme.test/v1', apiKey: 'sk-test', model: 'small-model', timeoutMs: 15000 },
      encoder: { dir: '.tools/models/all-minilm-l6-v2-q', threads: 1 },
      workerMetrics: { port: 9464, temporalAddress: '0.0.0.0:9465' },
      logLevel: 'warn',
    });
  });

  it('uses an external Temporal, not the embedded one, when TEMPORAL_ADDRESS is set', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' });
    expect(config.temporal).toMatchObject({ address: 'temporal:7233', embedded: false });
    expect(config.mongodb.embedded).toBe(true);
  });

  it.each(['not-a-port', '70000', '-1', '80.5'])('refuses PORT=%s with a message naming PORT', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: port })).toThrow(/PORT/);
  });

  it('reads where workers reach this API process, trailing slash dropped, and refuses what is not an http(s) URL', () => {
    expect(loadConfig({ PARLEY_API_INTERNAL_URL: 'http://api-1.internal:3000/' }).apiInternalUrl).toBe(
      'http://api-1.internal:3000',
    );
    expect(() => loadConfig({ PARLEY_API_INTERNAL_URL: 'api-1:3000' })).toThrow(/PARLEY_API_INTERNAL_URL/);
  });

  it('refuses an email From that is not an address, and an email idle timeout over a week, naming the variable', () => {
    expect(() => loadConfig({ PARLEY_EMAIL_FROM: 'Acme Support' })).toThrow(
      'Invalid configuration: PARLEY_EMAIL_FROM: must be an address like support@acme.test or Acme Support <support@acme.test>',
    );
    expect(() => loadConfig({ PARLEY_EMAIL_IDLE_TIMEOUT_MINUTES: '20000' })).toThrow(
      /PARLEY_EMAIL_IDLE_TIMEOUT_MINUTES: must be at most 10080 minutes/,
    );
  });

  it('does not turn an empty PORT into port 0 (a random port)', () => {
    let port: number | undefined;
    try {
      port = loadConfig({ PORT: '' }).port;
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/PORT/);
      return;
    }
    expect(port).toBe(3000);
  });

  it('refuses production without PARLEY_ADMIN_KEY, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PARLEY_ADMIN_KEY/);
  });

  it('waits a minute for Temporal and MongoDB at start-up in production and ten seconds elsewhere, unless told', () => {
    const production = { NODE_ENV: 'production', PARLEY_ADMIN_KEY: 'k'.repeat(32) };
    expect(loadConfig(production).startupWaitSeconds).toBe(60);
    expect(loadConfig({}).startupWaitSeconds).toBe(10);
    expect(loadConfig({ ...production, PARLEY_STARTUP_WAIT_SECONDS: '5' }).startupWaitSeconds).toBe(5);
  });

  it('refuses a PARLEY_STARTUP_WAIT_SECONDS that is not a whole number of seconds from 1 to 3600, naming it', () => {
    expect(() => loadConfig({ PARLEY_STARTUP_WAIT_SECONDS: 'soon' })).toThrow(
      /PARLEY_STARTUP_WAIT_SECONDS: must be a number of seconds/,
    );
    for (const value of ['0', '2.5', '7200']) {
      expect(() => loadConfig({ PARLEY_STARTUP_WAIT_SECONDS: value })).toThrow(/PARLEY_STARTUP_WAIT_SECONDS/);
    }
  });

  it('says what is wrong on one line, so a process that stops for it logs one line', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', PORT: 'x' })).toThrow(/^Invalid configuration: PORT: [^\n]*$/);
    expect(() => loadConfig({ NODE_ENV: 'production', PARLEY_ALLOW_LOOPBACK: 'true' })).toThrow(
      /^Invalid configuration: PARLEY_ADMIN_KEY: is required when NODE_ENV=production; PARLEY_ALLOW_LOOPBACK: [^\n]*$/,
    );
  });

  it('refuses a short PARLEY_ADMIN_KEY, naming it', () => {
    expect(() => loadConfig({ PARLEY_ADMIN_KEY: 'short' })).toThrow(/PARLEY_ADMIN_KEY: must be at least 16 characters/);
  });

  it('refuses a PARLEY_SMTP_URL that is not smtp:// or smtps://, naming it', () => {
    expect(() => loadConfig({ PARLEY_SMTP_URL: 'http://mail.acme.test' })).toThrow(
      /PARLEY_SMTP_URL: must start with smtp:\/\/ or smtps:\/\//,
    );
  });

  it('refuses a PARLEY_SMTP_URL that does not parse, naming it without repeating its password', () => {
    const error = (() => {
      try {
        loadConfig({ PARLEY_SMTP_URL: 'smtp://mailer:hunter2@[mail.acme.test' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('loadConfig accepted a bad PARLEY_SMTP_URL');
    })();
    expect(error.message).toMatch(/PARLEY_SMTP_URL: is not a valid URL/);
    expect(error.message).not.toContain('hunter2');
  });

  it.each(['0', '-5', 'many'])('refuses PARLEY_RATE_LIMIT_PER_MINUTE=%s, naming it', (value) => {
    expect(() => loadConfig({ PARLEY_RATE_LIMIT_PER_MINUTE: value })).toThrow(/PARLEY_RATE_LIMIT_PER_MINUTE/);
  });

  it('names every bad variable at once', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'x', MONGODB_URI: 'postgres://db', LOG_LEVEL: 'loud' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/MONGODB_URI: must start with mongodb:\/\/ or mongodb\+srv:\/\//);
    expect(message).toMatch(/LOG_LEVEL/);
  });
});

describe('safety settings', () => {
  it('refuses PARLEY_ALLOW_LOOPBACK=true in production, naming it', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', PARLEY_ADMIN_KEY: 'k'.repeat(32), PARLEY_ALLOW_LOOPBACK: 'true' }),
    ).toThrow(/PARLEY_ALLOW_LOOPBACK/);
  });

  it('refuses a key ring that is not key-id:base64 entries, naming the variable', () => {
    expect(() => loadConfig({ PARLEY_SECRET_KEYS: 'just-a-password' })).toThrow(/PARLEY_SECRET_KEYS/);
  });

  it('reads PARLEY_TRUST_PROXY as a hop count or proxy addresses, and refuses true, naming it', () => {
    expect(loadConfig({ PARLEY_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ PARLEY_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ PARLEY_TRUST_PROXY: 'uniquelocal,203.0.113.0/24' }).trustProxy).toEqual([
      'uniquelocal',
      '203.0.113.0/24',
    ]);
    expect(() => loadConfig({ PARLEY_TRUST_PROXY: 'true' })).toThrow(/PARLEY_TRUST_PROXY: true would trust any/);
    expect(() => loadConfig({ PARLEY_TRUST_PROXY: 'proxy.internal' })).toThrow(/PARLEY_TRUST_PROXY/);
    expect(() => loadConfig({ PARLEY_CHATBOT_CONCURRENT_TURNS: '0' })).toThrow(/PARLEY_CHATBOT_CONCURRENT_TURNS/);
  });

  it('refuses a worker metrics port or Temporal metrics address that is not one, or both on one port, naming them', () => {
    expect(() => loadConfig({ PARLEY_WORKER_METRICS_PORT: '70000' })).toThrow(/PARLEY_WORKER_METRICS_PORT/);
    expect(() => loadConfig({ PARLEY_WORKER_METRICS_ADDRESS: '9465' })).toThrow(/PARLEY_WORKER_METRICS_ADDRESS/);
    expect(() => loadConfig({ PARLEY_WORKER_METRICS_ADDRESS: 'http://0.0.0.0:9465' })).toThrow(
      /PARLEY_WORKER_METRICS_ADDRESS/,
    );
    expect(() =>
      loadConfig({ PARLEY_WORKER_METRICS_PORT: '9464', PARLEY_WORKER_METRICS_ADDRESS: '127.0.0.1:9464' }),
    ).toThrow(/PARLEY_WORKER_METRICS_ADDRESS: must use another port than PARLEY_WORKER_METRICS_PORT/);
    expect(loadConfig({ PARLEY_WORKER_METRICS_ADDRESS: '[::1]:9465' }).workerMetrics.temporalAddress).toBe(
      '[::1]:9465',
    );
  });

  it('needs a model when an LLM base URL is set', () => {
    expect(() => loadConfig({ PARLEY_LLM_BASE_URL: 'https://llm.acme.test/v1' })).toThrow(/PARLEY_LLM_MODEL/);
  });
});

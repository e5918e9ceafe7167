import { z } from 'zod';

/**
 * The admin API as the CLI talks to it: `PARLEY_API` with `PARLEY_ADMIN_KEY` as a Bearer token. Every failure
 * becomes a CliError whose message says what to do: the API cannot be reached, the key was refused, or what the
 * API answered.
 */

/** A failure the CLI reports in one message and exits 1 on. */
export class CliError extends Error {}

/** An answer of the API other than success: its HTTP status, error code and message. */
export class ApiAnswerError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
  ) {
    super(`the API answered ${status} ${code}: ${apiMessage}`);
  }
}

const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type AdminClientOptions = {
  /** The API's base URL, e.g. http://localhost:3000. */
  api: string;
  /** The admin key; without one, the API's refusal says to set it. */
  adminKey: string | undefined;
  /** How long one request may take (the test button runs the action's whole chain). */
  timeoutMs?: number;
};

/** A client of the admin API; `read` validates what comes back with a schema. */
export function createAdminClient(options: AdminClientOptions) {
  const base = options.api.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 120_000;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.adminKey ? { authorization: `Bearer ${options.adminKey}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unreachable(base, error);
    }
    const text = await response.text();
    if (response.status === 204) return null;
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(
        `${base} answered ${method} ${path} with ${response.status} and a body that is not JSON: is PARLEY_API the Parley API?`,
      );
    }
    if (response.ok) return json;
    const error = ErrorBodySchema.safeParse(json);
    if (!error.success)
      throw new CliError(`${base} answered ${method} ${path} with ${response.status}: is PARLEY_API the Parley API?`);
    // 401: no key sent; 403 forbidden: a key the API does not know. Other 403s (none today) are reported as they are.
    if (response.status === 401 || (response.status === 403 && error.data.error.code === 'forbidden'))
      throw new CliError(
        options.adminKey
          ? `the Parley API at ${base} refused the admin key: set PARLEY_ADMIN_KEY to the key it was started with (npm start prints it)`
          : `the Parley API at ${base} needs the admin key: set PARLEY_ADMIN_KEY (npm start prints it)`,
      );
    throw new ApiAnswerError(response.status, error.data.error.code, error.data.error.message);
  }

  async function read<T extends z.ZodType>(schema: T, method: string, path: string, body?: unknown) {
    const answer = await call(method, path, body);
    const parsed = schema.safeParse(answer);
    if (!parsed.success)
      throw new CliError(
        `${base} answered ${method} ${path} in an unexpected shape (${parsed.error.issues[0]?.message}): is PARLEY_API a Parley API of this version?`,
      );
    return parsed.data as z.infer<T>;
  }

  return {
    base,
    call,
    read,
    /** Like `read`, but null when the API answers 404. */
    async readOrNull<T extends z.ZodType>(schema: T, path: string): Promise<z.infer<T> | null> {
      try {
        return await read(schema, 'GET', path);
      } catch (error) {
        if (error instanceof ApiAnswerError && error.status === 404) return null;
        throw error;
      }
    },
  };
}
export type AdminClient = ReturnType<typeof createAdminClient>;

function unreachable(base: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return new CliError(`the Parley API at ${base} did not answer in time`);
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  return new CliError(
    `cannot reach the Parley API at ${base} (${why}): is it running? PARLEY_API names where it listens`,
  );
}

/** A path segment, percent-encoded. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** What the CLI reads of a chatbot (the rest passes through). */
export const ChatbotViewSchema = z.looseObject({ id: z.string() });
/** `GET /v1/chatbots/:botId/actions`. */
export const ActionListSchema = z.object({
  actions: z.array(z.looseObject({ name: z.string(), version: z.number(), definition: z.unknown() })),
});
/** `GET /v1/chatbots/:botId/actions/:name`. */
export const ActionViewSchema = z.looseObject({ name: z.string(), version: z.number(), definition: z.unknown() });
/** `GET /v1/chatbots/:botId/secrets`: names and host bindings (values stay in the API). */
export const SecretListSchema = z.object({
  secrets: z.array(z.looseObject({ name: z.string(), hosts: z.array(z.string()).default([]) })),
});
/** What a save answers besides the saved thing: sentences about what will not work. */
export const SaveAnswerSchema = z.looseObject({
  warnings: z.array(z.string()).default([]),
  version: z.number().optional(),
});

const CallDetailSchema = z.object({
  request: z.object({
    method: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: z.string().nullable(),
  }),
  response: z
    .object({
      status: z.number(),
      body: z.string().nullable(),
      discovery: z
        .looseObject({
          paths: z.array(
            z.looseObject({ path: z.string(), field: z.string(), sample: z.unknown(), every: z.string().optional() }),
          ),
          truncated: z.boolean(),
          total: z.number(),
          note: z.string().nullable(),
        })
        .optional(),
    })
    .nullable(),
});
/** `POST …/actions/:name/test`: per call what was sent and received, then the reply. */
export const TestResultSchema = z.looseObject({
  action: z.string(),
  version: z.number(),
  ok: z.boolean(),
  failure: z.unknown(),
  steps: z.array(
    z.looseObject({
      step: z.string(),
      kind: z.string(),
      outcome: z.string(),
      failure: z.string().nullable(),
      message: z.string().nullable(),
      fields: z.record(z.string(), z.unknown()).nullable(),
      structureChanged: z.boolean().default(false),
      detail: CallDetailSchema.nullable(),
    }),
  ),
  structureChanged: z.boolean().default(false),
  reply: z.array(z.looseObject({ type: z.string() })),
});
export type TestResult = z.infer<typeof TestResultSchema>;

/** `GET …/actions/:name/logs`: attempts, newest first. */
export const LogListSchema = z.object({
  logs: z.array(
    z.looseObject({
      at: z.string(),
      outcome: z.string().default('ok'),
      step: z.string(),
      attempt: z.number(),
      conversationId: z.string(),
      method: z.string(),
      url: z.string(),
      status: z.number().nullable(),
      durationMs: z.number(),
      error: z.object({ type: z.string(), message: z.string() }).nullable(),
      structureChanged: z.boolean().default(false),
      test: z.boolean().default(false),
    }),
  ),
});
export type LogEntry = z.infer<typeof LogListSchema>['logs'][number];

/** `GET /v1/chatbots/:botId/conversations`: recent conversations from Temporal's visibility. */
export const ConversationListSchema = z.object({
  conversations: z.array(
    z.looseObject({
      conversationId: z.string(),
      status: z.string(),
      mode: z.string(),
      startedAt: z.string(),
      closedAt: z.string().nullable(),
    }),
  ),
});
export type ConversationEntry = z.infer<typeof ConversationListSchema>['conversations'][number];

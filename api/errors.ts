import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';

/** Every error code the API answers with, mapped to its HTTP status in this one place. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  conversation_closed: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error the API reports as `{ error: { code, message } }`; a refusal to come back later says when (seconds). */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Formats a zod path the way operators write it: `steps[0].request.url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** A 400 naming each bad field of a request. */
export function validationError(error: z.ZodError, where = 'body'): ApiError {
  const problems = error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (path ? `${path}.${key}` : key)).join(', ');
      return `unknown field ${keys}`;
    }
    return `${path || where}: ${issue.message}`;
  });
  return new ApiError('invalid_request', problems.join('; '));
}

/** Parses a value with a schema or throws a 400 naming the bad fields. */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where = 'body'): z.infer<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationError(parsed.error, where);
  return parsed.data;
}

/**
 * Maps any thrown value to the JSON error shape; a dependency outage is 503 with Retry-After (`outage`), and
 * unexpected errors are logged and never echoed.
 */
export function errorHandler(
  log: (error: unknown) => void,
  outage: (error: unknown) => ApiError | null = () => null,
): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if (isBodyParserError(error, 'entity.parse.failed'))
      apiError = new ApiError('invalid_json', 'the request body is not valid JSON');
    else if (isBodyParserError(error, 'entity.too.large'))
      apiError = new ApiError('payload_too_large', 'the request body is too large');
    else if (error instanceof URIError) apiError = malformedPath();
    else if (outage(error)) apiError = outage(error) as ApiError;
    else {
      log(error);
      apiError = new ApiError('internal', 'internal error');
    }
    if (apiError.retryAfterSeconds !== undefined) res.set('retry-after', String(apiError.retryAfterSeconds));
    res.status(ERROR_STATUS[apiError.code]).json({ error: { code: apiError.code, message: apiError.message } });
  };
}

function malformedPath(): ApiError {
  return new ApiError('invalid_request', 'the URL path holds malformed percent-encoding (each % needs two hex digits)');
}

/** Decodes a percent-encoded path segment, or throws a 400 when its encoding is malformed. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw malformedPath();
  }
}

function isBodyParserError(error: unknown, type: string): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === type;
}

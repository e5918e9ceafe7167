import { isGrpcDeadlineError, isGrpcServiceError, ServiceError } from '@temporalio/client';
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { ApiError } from './errors';

/** What a client is told to wait before retrying while a dependency is down. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** How long a request waits on Temporal for anything but a turn (a start, a signal, a query). */
export const TEMPORAL_CALL_MS = 2_000;

/** gRPC's "unavailable" status: the server cannot be reached. */
const GRPC_UNAVAILABLE = 14;

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 8; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}

function isTemporalDown(error: unknown): boolean {
  return causes(error).some(
    (cause) =>
      isGrpcDeadlineError(cause) ||
      (isGrpcServiceError(cause) && cause.code === GRPC_UNAVAILABLE) ||
      (cause instanceof ServiceError && /deadline|unavailable|connect/i.test(cause.message)),
  );
}

/**
 * Socket errors a connection to a server that went away ends with. The MongoDB driver passes some through
 * unwrapped: a write on a pooled connection the dead server closed fails with a plain `EPIPE` ("This socket has
 * been ended by the other party").
 */
const CONNECTION_LOST = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENOTCONN', 'ETIMEDOUT']);

function isDatabaseDown(error: unknown): boolean {
  return causes(error).some(
    (cause) =>
      cause instanceof MongoServerSelectionError ||
      cause instanceof MongoNetworkError ||
      cause instanceof MongoNotConnectedError ||
      cause instanceof MongoTopologyClosedError ||
      CONNECTION_LOST.has(String((cause as { code?: unknown }).code)),
  );
}

/**
 * A dependency outage as the API answers it: 503 `unavailable` with Retry-After and a message a chat widget can
 * show, whichever dependency is down (MongoDB, Temporal); null for any other error.
 */
export function outageError(error: unknown): ApiError | null {
  const down = isDatabaseDown(error) ? 'database' : isTemporalDown(error) ? 'conversation service' : null;
  if (!down) return null;
  return new ApiError(
    'unavailable',
    `the chat is briefly unavailable (its ${down} cannot be reached); please try again in a moment`,
    OUTAGE_RETRY_AFTER_SECONDS,
  );
}

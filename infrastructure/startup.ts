/**
 * Start-up against dependencies that are not up yet, or wrongly configured: the API and the worker retry
 * connecting with backoff for a bounded time (so processes started before Temporal or MongoDB come up by
 * themselves), log one line per wait naming the variable and the address, and give up with one line that does too.
 */

/** Raised when a dependency cannot be reached at start-up; its message is one line naming the variable. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** A dependency the process waits for, named the way an operator configured it. */
export type Dependency = {
  /** The environment variable that names it: `TEMPORAL_ADDRESS`. */
  variable: string;
  /** Its value, with credentials masked (see `maskCredentials`). */
  address: string;
  /** What it is, in words: `Temporal`. */
  service: string;
};

/** How to wait: for how long, where to say so, and which failures no wait can cure. */
export type WaitOptions = {
  /** How long to keep trying before giving up (PARLEY_STARTUP_WAIT_SECONDS). */
  waitSeconds: number;
  /** Receives one line per wait. */
  logger: { warn: (fields: Record<string, unknown>, message: string) => void };
  /** Failures retrying cannot fix (a malformed address, wrong credentials): start-up stops at once. */
  permanent?: (error: unknown) => boolean;
};

/** The pause before retry number `attempt` (from 0): half a second, doubling, at most five seconds. */
export function retryDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt), 5_000);
}

/**
 * A connection string that may be logged: the password of its user info (`user:password@`) and any
 * password, secret or token query parameter become `***`.
 */
export function maskCredentials(uri: string): string {
  const queryAt = uri.indexOf('?');
  const base = queryAt === -1 ? uri : uri.slice(0, queryAt);
  const query = queryAt === -1 ? '' : uri.slice(queryAt);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(base)?.[0] ?? '';
  const at = base.lastIndexOf('@');
  let masked = base;
  if (at > scheme.length) {
    const userInfo = base.slice(scheme.length, at);
    const colon = userInfo.indexOf(':');
    masked = `${scheme}${colon === -1 ? userInfo : `${userInfo.slice(0, colon)}:***`}${base.slice(at)}`;
  }
  return masked + query.replace(/([?&][^=&]*(?:password|secret|token)[^=&]*=)[^&]*/gi, '$1***');
}

/** The first line of an error's message, short enough for a log line. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n', 1)[0]?.trim() || 'unknown error';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** `TEMPORAL_ADDRESS=127.0.0.1:7999`: how every start-up line names a dependency. */
function named(dependency: Dependency): string {
  return `${dependency.variable}=${dependency.address}`;
}

/** The line logged while waiting for a dependency. */
export function waitingMessage(dependency: Dependency, reason: string, delayMs: number): string {
  return `${named(dependency)}: ${dependency.service} cannot be reached yet (${reason}); retrying in ${formatSeconds(delayMs)}`;
}

/** The one line a process exits with when a dependency stayed out of reach for the whole wait. */
export function gaveUpMessage(dependency: Dependency, waitSeconds: number, reason: string): string {
  return `${named(dependency)}: ${dependency.service} cannot be reached (gave up after ${waitSeconds} s; last error: ${reason})`;
}

/** The one line a process exits with when connecting failed in a way no wait can cure. */
export function refusedMessage(dependency: Dependency, reason: string): string {
  return `${named(dependency)}: ${dependency.service} cannot be used (${reason}); not retrying`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** TEMPORAL_ADDRESS, named the way start-up lines name it. */
export function temporalDependency(address: string): Dependency {
  return { variable: 'TEMPORAL_ADDRESS', address: maskCredentials(address), service: 'Temporal' };
}

/** The Temporal SDK refuses a malformed address (`http://…`, spaces) with a TypeError: no wait cures that. */
export function malformedTemporalAddress(error: unknown): boolean {
  return error instanceof TypeError;
}

/**
 * How long one attempt at connecting to Temporal may take: up to five seconds, never past the wait, so a
 * Temporal that comes up is found within seconds and a wait is logged every few seconds.
 */
export function attemptTimeoutMs(remainingMs: number): number {
  return Math.max(1_000, Math.min(remainingMs, 5_000));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `connect` until it succeeds, pausing with backoff between failures and logging each wait; after
 * `waitSeconds` (an attempt still pending then is abandoned) or on a permanent failure, throws a StartupError
 * naming the dependency. `connect` is told how long remains, to bound its own attempt.
 */
export async function waitFor<T>(
  dependency: Dependency,
  options: WaitOptions,
  connect: (remainingMs: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.waitSeconds * 1000;
  let reason = 'no attempt finished in time';
  let last = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return await beforeDeadline(connect(Math.max(0, deadline - Date.now())), deadline - Date.now());
    } catch (error) {
      if (error === TIMED_OUT) throw new StartupError(gaveUpMessage(dependency, options.waitSeconds, reason));
      reason = reasonOf(error);
      if (options.permanent?.(error)) throw new StartupError(refusedMessage(dependency, reason));
      const remaining = deadline - Date.now();
      if (last || remaining <= 0) throw new StartupError(gaveUpMessage(dependency, options.waitSeconds, reason));
      let delay = retryDelayMs(attempt);
      // A pause that would reach the deadline leaves the last attempt half of what remains.
      if (delay >= remaining) [delay, last] = [Math.ceil(remaining / 2), true];
      options.logger.warn(
        { variable: dependency.variable, address: dependency.address, attempt: attempt + 1, retryInMs: delay },
        waitingMessage(dependency, reason, delay),
      );
      await sleep(delay);
    }
  }
}

const TIMED_OUT = Symbol('timed out');

/** The attempt's result, or TIMED_OUT thrown once `ms` pass first. */
async function beforeDeadline<T>(attempt: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([attempt, expired]);
  } finally {
    clearTimeout(timer);
  }
}

import { MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { outageError } from '../../api/outages';

/** Which errors the API answers as a dependency outage (503 with Retry-After), and which it leaves alone. */
describe('outageError', () => {
  const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('answers a database that cannot be selected, or a connection it dropped, 503 unavailable with Retry-After', () => {
    for (const error of [
      new MongoServerSelectionError('Server selection timed out after 2000 ms', {} as never),
      // What the MongoDB driver throws, unwrapped, writing on a pooled connection a killed server closed.
      socketError('EPIPE', 'This socket has been ended by the other party'),
      socketError('ECONNRESET', 'read ECONNRESET'),
      new Error('request failed', { cause: socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:27017') }),
    ]) {
      const answer = outageError(error);
      expect(answer?.code, error.message).toBe('unavailable');
      expect(answer?.retryAfterSeconds).toBe(5);
      expect(answer?.message).toMatch(/database cannot be reached/);
    }
  });

  it('leaves other errors to the error handler', () => {
    expect(outageError(new Error('boom'))).toBeNull();
    expect(outageError(socketError('ENOENT', 'no such file'))).toBeNull();
    expect(outageError(null)).toBeNull();
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  attemptTimeoutMs,
  malformedTemporalAddress,
  maskCredentials,
  retryDelayMs,
  StartupError,
  temporalDependency,
  waitFor,
} from '../../infrastructure/startup';

describe('retryDelayMs', () => {
  it('waits half a second, then doubles up to five seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 20].map(retryDelayMs)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe('attemptTimeoutMs', () => {
  it('gives one attempt at Temporal up to five seconds, at least one, never much past the wait', () => {
    expect([60_000, 3_000, 200].map(attemptTimeoutMs)).toEqual([5_000, 3_000, 1_000]);
  });
});

describe('malformedTemporalAddress', () => {
  it('stops at once on the address the Temporal SDK cannot parse, and keeps waiting when it cannot connect', () => {
    expect(
      malformedTemporalAddress(new TypeError("Invalid address for Temporal gRPC endpoint: got 'http://t:7233'")),
    ).toBe(true);
    expect(malformedTemporalAddress(new Error('Failed to connect before the deadline'))).toBe(false);
  });
});

describe('maskCredentials', () => {
  it('hides the password of a connection string, keeping the user, hosts, database and options', () => {
    expect(maskCredentials('mongodb://parley:hunter2@db.internal:27017/parley?authSource=admin')).toBe(
      'mongodb://parley:***@db.internal:27017/parley?authSource=admin',
    );
    expect(maskCredentials('mongodb+srv://parley:p%40ss@cluster0.example.net/')).toBe(
      'mongodb+srv://parley:***@cluster0.example.net/',
    );
    expect(maskCredentials('mongodb://u:secret@h1:27017,h2:27017/db?replicaSet=rs0')).toBe(
      'mongodb://u:***@h1:27017,h2:27017/db?replicaSet=rs0',
    );
  });

  it('hides a password written with a raw @ or / in it', () => {
    expect(maskCredentials('mongodb://parley:a@b/c@db:27017/')).toBe('mongodb://parley:***@db:27017/');
  });

  it('hides password, secret and token options', () => {
    expect(maskCredentials('mongodb://db/?tls=true&tlsCertificateKeyFilePassword=pw&authMechanismProperties=x')).toBe(
      'mongodb://db/?tls=true&tlsCertificateKeyFilePassword=***&authMechanismProperties=x',
    );
  });

  it('leaves addresses without credentials as they are', () => {
    for (const address of ['mongodb://127.0.0.1:27017/', 'temporal:7233', 'mongodb://user@db/']) {
      expect(maskCredentials(address)).toBe(address);
    }
  });
});

describe('waitFor', () => {
  const mongo = { variable: 'MONGODB_URI', address: 'mongodb://parley:***@db:27017/', service: 'MongoDB' };
  let lines: string[];
  const logger = { warn: (_fields: Record<string, unknown>, message: string) => void lines.push(message) };
  const refused = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:27017\n    at stack frame'));

  beforeEach(() => {
    lines = [];
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with backoff until the dependency answers, logging one line per wait naming the variable', async () => {
    let calls = 0;
    const connected = waitFor(mongo, { waitSeconds: 60, logger }, () =>
      ++calls < 3 ? refused() : Promise.resolve('client'),
    );
    await vi.advanceTimersByTimeAsync(1_500);
    await expect(connected).resolves.toBe('client');
    expect(lines).toEqual([
      'MONGODB_URI=mongodb://parley:***@db:27017/: MongoDB cannot be reached yet (connect ECONNREFUSED 10.0.0.5:27017); retrying in 0.5 s',
      'MONGODB_URI=mongodb://parley:***@db:27017/: MongoDB cannot be reached yet (connect ECONNREFUSED 10.0.0.5:27017); retrying in 1 s',
    ]);
  });

  it('gives up after the wait with one line naming the variable, the address and the last error', async () => {
    const connected = waitFor(mongo, { waitSeconds: 10, logger }, refused);
    const outcome = expect(connected).rejects.toThrow(
      new StartupError(
        'MONGODB_URI=mongodb://parley:***@db:27017/: MongoDB cannot be reached (gave up after 10 s; last error: connect ECONNREFUSED 10.0.0.5:27017)',
      ),
    );
    await vi.advanceTimersByTimeAsync(10_000);
    await outcome;
    expect(lines.length).toBeGreaterThanOrEqual(4);
  });

  it('abandons an attempt still pending when the wait is over', async () => {
    const temporal = temporalDependency('10.9.9.9:7233');
    const connected = waitFor(temporal, { waitSeconds: 3, logger }, () => new Promise<never>(() => undefined));
    const outcome = expect(connected).rejects.toThrow(
      /^TEMPORAL_ADDRESS=10\.9\.9\.9:7233: Temporal cannot be reached \(gave up after 3 s/,
    );
    await vi.advanceTimersByTimeAsync(3_000);
    await outcome;
  });

  it('tells each attempt how long remains', async () => {
    const remaining: number[] = [];
    const connected = waitFor(mongo, { waitSeconds: 2, logger }, (ms) => {
      remaining.push(ms);
      return refused();
    });
    const outcome = expect(connected).rejects.toThrow(StartupError);
    await vi.advanceTimersByTimeAsync(2_000);
    await outcome;
    expect(remaining[0]).toBe(2_000);
    expect(remaining.slice(1).every((ms, index) => ms > 0 && ms < (remaining[index] ?? 0))).toBe(true);
  });

  it('stops at once, without waiting, on a failure no wait can cure', async () => {
    const connected = waitFor(mongo, { waitSeconds: 60, logger, permanent: () => true }, () =>
      Promise.reject(new Error('Authentication failed.')),
    );
    await expect(connected).rejects.toThrow(
      'MONGODB_URI=mongodb://parley:***@db:27017/: MongoDB cannot be used (Authentication failed.); not retrying',
    );
    expect(lines).toEqual([]);
  });
});

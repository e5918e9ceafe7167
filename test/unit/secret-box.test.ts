import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  maskSecret,
  openSecret,
  parseKeyRing,
  sealSecret,
  SecretBoxError,
  type SealedSecret,
} from '../../infrastructure/secret-box';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const SECRET = 'sk_live_4f9c2a77e1d03b5a3f2a';

/** Flips one bit of a base64 field. */
function flip(field: string, byte = 0): string {
  const bytes = Buffer.from(field, 'base64');
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

/** The error a call throws, so a test can check its message too. */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

describe('sealSecret and openSecret', () => {
  const ring = parseKeyRing(`k1:${K1}`);

  it('opens what it sealed, and stores neither the value nor its base64 in the sealed record', () => {
    const sealed = sealSecret(ring, 'shop', 'acme_token', SECRET);
    expect(sealed).toMatchObject({ v: 1, kid: 'k1' });
    expect(Buffer.from(sealed.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64')).toHaveLength(16);
    const stored = JSON.stringify(sealed);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(openSecret(ring, 'shop', 'acme_token', sealed)).toBe(SECRET);
  });

  it('round-trips empty and non-ASCII values', () => {
    for (const value of ['', 'pässwörd 🔑 秘密']) {
      expect(openSecret(ring, 'shop', 'n', sealSecret(ring, 'shop', 'n', value))).toBe(value);
    }
  });

  it('uses a fresh IV for every seal, so sealing the same value twice gives different ciphertexts', () => {
    const first = sealSecret(ring, 'shop', 'acme_token', SECRET);
    const second = sealSecret(ring, 'shop', 'acme_token', SECRET);
    expect(second.iv).not.toBe(first.iv);
    expect(second.ct).not.toBe(first.ct);
  });

  it.each([
    ['ciphertext', (s: SealedSecret) => ({ ...s, ct: flip(s.ct, 3) })],
    ['tag', (s: SealedSecret) => ({ ...s, tag: flip(s.tag) })],
    ['IV', (s: SealedSecret) => ({ ...s, iv: flip(s.iv) })],
    [
      'truncated tag',
      (s: SealedSecret) => ({ ...s, tag: Buffer.from(s.tag, 'base64').subarray(0, 4).toString('base64') }),
    ],
  ])('refuses a sealed secret whose %s was altered', (_what, tamper) => {
    const sealed = sealSecret(ring, 'shop', 'acme_token', SECRET);
    const error = thrown(() => openSecret(ring, 'shop', 'acme_token', tamper(sealed)));
    expect(error).toBeInstanceOf(SecretBoxError);
    expect(error.message).toContain('acme_token');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses to open a secret under another chatbot or another name (associated data binds both)', () => {
    const sealed = sealSecret(ring, 'shop', 'acme_token', SECRET);
    for (const [chatbotId, name] of [
      ['other-shop', 'acme_token'],
      ['shop', 'crm_token'],
    ] as const) {
      const error = thrown(() => openSecret(ring, chatbotId, name, sealed));
      expect(error.message).toMatch(/could not be decrypted/);
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('opens secrets sealed with an older key after rotation, and seals new ones with the current key', () => {
    const old = sealSecret(parseKeyRing(`k1:${K1}`), 'shop', 'acme_token', SECRET);
    const rotated = parseKeyRing(`k2:${K2},k1:${K1}`);
    expect(rotated.current).toBe('k2');
    expect(openSecret(rotated, 'shop', 'acme_token', old)).toBe(SECRET);
    const fresh = sealSecret(rotated, 'shop', 'acme_token', SECRET);
    expect(fresh.kid).toBe('k2');
    expect(openSecret(parseKeyRing(`k2:${K2}`), 'shop', 'acme_token', fresh)).toBe(SECRET);
  });

  it('names the unknown key id when a secret was sealed with a key the ring no longer has', () => {
    const sealed = sealSecret(parseKeyRing(`k0:${K1}`), 'shop', 'acme_token', SECRET);
    const error = thrown(() => openSecret(parseKeyRing(`k2:${K2},k1:${K1}`), 'shop', 'acme_token', sealed));
    expect(error.message).toContain('"k0"');
    expect(error.message).toContain('not in the key ring');
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a record that is not a sealed secret (e.g. a plaintext value stored before encryption)', () => {
    const error = thrown(() => openSecret(ring, 'shop', 'acme_token', SECRET as unknown as SealedSecret));
    expect(error.message).toContain('not a sealed secret');
    expect(error.message).not.toContain(SECRET);
  });
});

describe('parseKeyRing', () => {
  it('takes the first key as current and keeps every key for decryption', () => {
    const ring = parseKeyRing(` k2:${K2} , k1:${K1} `);
    expect(ring.current).toBe('k2');
    expect(Object.keys(ring.keys)).toEqual(['k2', 'k1']);
    expect(ring.keys.k1).toEqual(Buffer.from(K1, 'base64'));
  });

  it.each([
    ['an empty spec', '', /empty/],
    ['an entry without a key id', K1, /entry 1 is not "<key id>:<base64 key>"/],
    ['a key of the wrong length', `k1:${randomBytes(16).toString('base64')}`, /key "k1" is 16 bytes; AES-256 needs 32/],
    ['a key that is not base64', 'k1:not*base64!', /key "k1" is not valid base64/],
    ['an empty key', 'k1:', /key "k1" is not valid base64/],
    ['a duplicate key id', `k1:${K1},k1:${K2}`, /duplicate key id "k1"/],
    ['a bad key id', `k 1:${K1}`, /key id must be/],
  ])('refuses %s with a message naming the problem', (_what, spec, message) => {
    const error = thrown(() => parseKeyRing(spec));
    expect(error).toBeInstanceOf(SecretBoxError);
    expect(error.message).toMatch(message);
  });

  it('never echoes key material in its errors', () => {
    const short = randomBytes(16).toString('base64');
    expect(thrown(() => parseKeyRing(`k1:${short}`)).message).not.toContain(short);
    expect(thrown(() => parseKeyRing(`k1:${K1},k1:${K2}`)).message).not.toContain(K2);
  });
});

describe('maskSecret', () => {
  it('shows only the last four characters of a secret of 12 or more', () => {
    expect(maskSecret('sk_live_00003f2a')).toBe('••••••3f2a');
    expect(maskSecret('123456789012')).toBe('••••••9012');
  });

  it('masks a short secret entirely, without revealing its length', () => {
    expect(maskSecret('12345678901')).toBe('••••••');
    expect(maskSecret('ab')).toBe('••••••');
    expect(maskSecret('')).toBe('••••••');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(maskSecret('0123456789🔑🔑🔑🔑')).toBe('••••••🔑🔑🔑🔑');
  });
});

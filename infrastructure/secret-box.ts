import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption of operators' API secrets at rest: AES-256-GCM with a random IV, associated data binding
 * each ciphertext to its chatbot and secret name, and a key id so the master key can be rotated.
 */

/** Keys by id; the first is current (used to encrypt); others decrypt older ciphertext (rotation). */
export type KeyRing = { current: string; keys: Record<string, Buffer> };

/** A sealed secret as stored: every binary field is base64. */
export type SealedSecret = { v: 1; kid: string; iv: string; ct: string; tag: string };

/** Raised when a key ring does not parse or a sealed secret cannot be opened; never carries key or secret material. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict (padded, standard-alphabet) base64, or returns null. */
function strictBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/**
 * Parses a key ring from config like "k2:base64key,k1:base64key" (the first is current). Throws a SecretBoxError
 * naming what is wrong (empty, entry shape, key id, base64, key length, duplicate id) without echoing key material.
 */
export function parseKeyRing(spec: string): KeyRing {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new SecretBoxError('key ring is empty: expected "<key id>:<base64 32-byte key>,..."');
  const keys: Record<string, Buffer> = {};
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new SecretBoxError(`key ring entry ${index + 1} is not "<key id>:<base64 key>"`);
    const kid = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(kid)) {
      throw new SecretBoxError(`key ring entry ${index + 1}: key id must be 1-32 of A-Z a-z 0-9 _ . -`);
    }
    if (Object.hasOwn(keys, kid)) throw new SecretBoxError(`key ring has duplicate key id "${kid}"`);
    const key = strictBase64(encoded);
    if (!key || encoded === '') throw new SecretBoxError(`key "${kid}" is not valid base64`);
    if (key.length !== KEY_BYTES) {
      throw new SecretBoxError(
        `key "${kid}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (generate one with: openssl rand -base64 32)`,
      );
    }
    keys[kid] = key;
  });
  const current = entries[0]!.slice(0, entries[0]!.indexOf(':')).trim();
  return { current, keys };
}

/** The associated data that binds a sealed secret to its chatbot and name. */
function secretAad(chatbotId: string, name: string): Buffer {
  return Buffer.from(`parley-secret:v1:${chatbotId}:${name}`, 'utf8');
}

/** Encrypts a secret's value with the ring's current key, bound to its chatbot and name. */
export function sealSecret(ring: KeyRing, chatbotId: string, name: string, plaintext: string): SealedSecret {
  const key = ring.keys[ring.current];
  if (!key) throw new SecretBoxError(`the current key id "${ring.current}" is not in the key ring`);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(secretAad(chatbotId, name));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    v: 1,
    kid: ring.current,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/**
 * Decrypts a sealed secret. Throws a SecretBoxError (naming the chatbot, secret name and key id, never the value) when
 * the key id is unknown, the record is malformed, or authentication fails: tampering, or a ciphertext sealed for
 * another chatbot or name.
 */
export function openSecret(ring: KeyRing, chatbotId: string, name: string, sealed: SealedSecret): string {
  const where = `secret "${name}" of chatbot "${chatbotId}"`;
  const record: Partial<Record<keyof SealedSecret, unknown>> =
    typeof sealed === 'object' && sealed !== null ? sealed : {};
  if (
    record.v !== 1 ||
    typeof record.kid !== 'string' ||
    typeof record.iv !== 'string' ||
    typeof record.ct !== 'string' ||
    typeof record.tag !== 'string'
  ) {
    throw new SecretBoxError(`${where} is not a sealed secret (expected { v: 1, kid, iv, ct, tag })`);
  }
  const key = Object.hasOwn(ring.keys, record.kid) ? ring.keys[record.kid] : undefined;
  if (!key) {
    throw new SecretBoxError(
      `${where} was sealed with key id "${record.kid}", which is not in the key ring (${Object.keys(ring.keys).join(', ')})`,
    );
  }
  const iv = strictBase64(record.iv);
  const ct = strictBase64(record.ct);
  const tag = strictBase64(record.tag);
  if (!iv || iv.length !== IV_BYTES || !ct || !tag || tag.length !== TAG_BYTES) {
    throw new SecretBoxError(`${where} is malformed (iv must be ${IV_BYTES} bytes, tag ${TAG_BYTES} bytes, base64)`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(secretAad(chatbotId, name));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError(
      `${where} could not be decrypted with key "${record.kid}": it was altered, or sealed for another chatbot or name`,
    );
  }
}

const MASK = '••••••';

/** Masked form for API responses: "••••••3f2a" (the last 4 characters only when the secret has at least 12). */
export function maskSecret(plaintext: string): string {
  const chars = Array.from(plaintext);
  return chars.length >= 12 ? MASK + chars.slice(-4).join('') : MASK;
}

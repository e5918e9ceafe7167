import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './secret-box';

/**
 * Encryption of everything Parley hands to Temporal (inputs, results, signals, updates, queries, memos, failure
 * details and — with the failure converter below — failure messages and stack traces), so the Temporal server
 * stores only ciphertext. Search attributes stay plain: the server must index them.
 */

/** The `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key naming the key that encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from('parley-payload:v1', 'utf8');
const utf8 = new TextDecoder();

/**
 * A Temporal payload codec that encrypts each payload whole (metadata and data, serialized as a Payload protobuf)
 * with AES-256-GCM under the ring's current key. Decoding accepts any key in the ring (rotation) and passes payloads
 * that are not encrypted through untouched, so histories written before encryption was enabled still read.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {
    if (!ring.keys[ring.current]) throw new Error(`the current key id "${ring.current}" is not in the key ring`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.ring.keys[this.ring.current]!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
          [KEY_ID_METADATA]: Buffer.from(this.ring.current, 'utf8'),
        },
        data: Buffer.concat([iv, ct, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload, index) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || utf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const kidBytes = payload.metadata?.[KEY_ID_METADATA];
      const kid = kidBytes ? utf8.decode(kidBytes) : '';
      const key = Object.hasOwn(this.ring.keys, kid) ? this.ring.keys[kid] : undefined;
      if (!key) {
        throw new Error(
          `payload ${index} was encrypted with key id "${kid}", which is not in the key ring (${Object.keys(this.ring.keys).join(', ')})`,
        );
      }
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error(`payload ${index} is too short to be encrypted data`);
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(AAD);
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new Error(`payload ${index} could not be decrypted with key "${kid}": it was altered or is not ours`);
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/**
 * Path of the module exporting the failure converter that encodes failure messages and stack traces (so the codec
 * encrypts them): TypeScript source in development, compiled JS in dist/. Give it to `bundleWorkflowCode` too, as
 * `failureConverterPath`, or failures raised inside workflows keep their messages in plain text.
 */
export const failureConverterPath =
  ['failure-converter.ts', 'failure-converter.js']
    .map((file) => join(__dirname, file))
    .find((path) => existsSync(path)) ?? join(__dirname, 'failure-converter');

/** The data converter an encrypting Parley worker and client share: the encryption codec and the failure converter. */
export function encryptedDataConverter(ring: KeyRing): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(ring)], failureConverterPath };
}

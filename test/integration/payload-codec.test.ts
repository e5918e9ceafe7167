import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { register } from 'tsx/cjs/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  encryptedDataConverter,
  failureConverterPath,
  KEY_ID_METADATA,
} from '../../infrastructure/payload-codec';
import { parseKeyRing } from '../../infrastructure/secret-box';
import type { CodecTestActivities } from '../support/codec-workflows';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const History = temporal.api.history.v1.History;

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

/** The base64 text any encoding of `text` contains, whatever its byte offset in the encoded data. */
function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  return [0, 1, 2].map((start) => {
    const whole = Math.floor((bytes.length - start) / 3) * 3;
    return bytes.subarray(start, start + whole).toString('base64');
  });
}

/** Every Payload in a history (anything with metadata and data), failures' encoded attributes included. */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    for (const item of value) payloadsIn(item, found);
    return found;
  }
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && record.data instanceof Uint8Array) {
    found.push(record as Payload);
    return found;
  }
  for (const child of Object.values(record)) payloadsIn(child, found);
  return found;
}

const utf8 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/**
 * The encryption codec on the real Temporal dev server: a worker and client sharing the encrypted data converter
 * run workflows whose inputs, results and failures carry a sentinel; the server's history holds only ciphertext.
 */
describe('the payload encryption codec', () => {
  const ring = parseKeyRing(`k2:${K2},k1:${K1}`);
  const taskQueue = `codec-${randomUUID().slice(0, 8)}`;
  let workerConnection: NativeConnection;
  let connection: Connection;
  let encrypted: Client;
  let plain: Client;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    const address = inject('temporalAddress');
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(__dirname, '../support/codec-workflows.ts'),
      failureConverterPath,
      logger: quietLogger,
    });
    workerConnection = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    const activities: CodecTestActivities = {
      async exclaim(text) {
        return `${text}!`;
      },
      async failWith(text) {
        throw ApplicationFailure.create({
          type: 'SentinelFailure',
          message: `the API refused ${text}`,
          details: [{ text }],
          nonRetryable: true,
        });
      },
    };
    // The SDK require()s the failure converter by path; under vitest that path is TypeScript, which tsx can load.
    const unregister = register();
    try {
      worker = await Worker.create({
        connection: workerConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: { code: bundle.code },
        activities,
        dataConverter: encryptedDataConverter(ring),
        shutdownGraceTime: '100 milliseconds',
      });
      encrypted = new Client({ connection, dataConverter: encryptedDataConverter(ring) });
    } finally {
      unregister();
    }
    plain = new Client({ connection });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await Promise.allSettled([workerConnection?.close(), connection?.close()]);
  });

  /** The workflow's history as the server stores it: raw protobuf bytes and proto JSON (bytes as base64). */
  async function storedHistory(workflowId: string) {
    const history = await plain.workflow.getHandle(workflowId).fetchHistory();
    const bytes = Buffer.from(History.encode(history).finish());
    const message = History.decode(bytes);
    const json = JSON.stringify(History.toObject(message, { bytes: String, longs: String, enums: String }));
    return { bytes, json, message };
  }

  function expectNoTrace(stored: { bytes: Buffer; json: string }, sentinel: string) {
    expect(stored.bytes.includes(Buffer.from(sentinel, 'utf8'))).toBe(false);
    expect(stored.json).not.toContain(sentinel);
    for (const form of base64Forms(sentinel)) expect(stored.json).not.toContain(form);
  }

  it('stores inputs, activity values, results and memos as ciphertext while the codec client reads them back', async () => {
    const sentinel = `sentinel-${randomUUID()}`;
    const workflowId = `codec-echo-${randomUUID()}`;
    const handle = await encrypted.workflow.start('echoWorkflow', {
      taskQueue,
      workflowId,
      args: [{ text: sentinel }],
      memo: { note: sentinel },
    });
    expect(await handle.result()).toEqual({ text: `${sentinel}!` });
    expect((await handle.describe()).memo).toEqual({ note: sentinel });

    const stored = await storedHistory(workflowId);
    expectNoTrace(stored, sentinel);
    const payloads = payloadsIn(stored.message);
    // Input, memo, activity input, activity result, workflow result.
    expect(payloads.length).toBeGreaterThanOrEqual(5);
    for (const payload of payloads) {
      expect(utf8(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(utf8(payload.metadata?.[KEY_ID_METADATA])).toBe('k2');
    }

    // What the Temporal UI sees through the codec endpoint: every payload decodes, the values are back.
    const decoded = await new EncryptionCodec(ring).decode(payloads);
    const texts = decoded.map((payload) => utf8(payload.data));
    expect(decoded.every((payload) => utf8(payload.metadata?.encoding) === 'json/plain')).toBe(true);
    expect(texts).toContain(JSON.stringify({ text: sentinel }));
    expect(texts).toContain(JSON.stringify(`${sentinel}!`));
    expect(texts).toContain(JSON.stringify({ text: `${sentinel}!` }));
  });

  it('encrypts failure messages, stack traces and details, from activities and from workflow code', async () => {
    const sentinel = `sentinel-${randomUUID()}`;
    const workflowId = `codec-fail-${randomUUID()}`;
    const handle = await encrypted.workflow.start('failingWorkflow', { taskQueue, workflowId, args: [sentinel] });

    const error = await handle.result().then(
      () => expect.fail('the workflow should fail'),
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const workflowFailure = (error as WorkflowFailedError).cause;
    expect(workflowFailure).toBeInstanceOf(ApplicationFailure);
    expect(workflowFailure).toMatchObject({
      type: 'WorkflowSentinelFailure',
      message: `the workflow gave up on ${sentinel}`,
      details: [{ text: sentinel }],
    });
    const activityFailure = (workflowFailure as ApplicationFailure | undefined)?.cause as ActivityFailure | undefined;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect(activityFailure?.cause).toMatchObject({
      type: 'SentinelFailure',
      message: `the API refused ${sentinel}`,
      details: [{ text: sentinel }],
    });
    expect(activityFailure?.cause?.stack).toContain(sentinel);

    const stored = await storedHistory(workflowId);
    expectNoTrace(stored, sentinel);
    const failures = (stored.message.events ?? []).flatMap((event) => [
      event.activityTaskFailedEventAttributes?.failure,
      event.workflowExecutionFailedEventAttributes?.failure,
    ]);
    const present = failures.filter((failure) => failure != null);
    expect(present).toHaveLength(2);
    for (const failure of present) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace ?? '').toBe('');
      expect(utf8(failure.encodedAttributes?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    }
    // The failure type stays readable: workflows and operators branch on it.
    expect(stored.json).toContain('SentinelFailure');

    const decoded = await new EncryptionCodec(ring).decode(payloadsIn(stored.message));
    const texts = decoded.map((payload) => utf8(payload.data)).join('\n');
    expect(texts).toContain(`the API refused ${sentinel}`);
    expect(texts).toContain(`the workflow gave up on ${sentinel}`);
  });
});

describe('EncryptionCodec', () => {
  const sample: Payload = {
    metadata: { encoding: Buffer.from('json/plain'), extra: Buffer.from('kept') },
    data: Buffer.from(JSON.stringify({ card: '4111 1111 1111 1111' })),
  };

  it('encrypts metadata and data together and restores both', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`k1:${K1}`));
    const [sealed] = await codec.encode([sample]);
    expect(Object.keys(sealed?.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(utf8(sealed?.data)).not.toContain('4111');
    expect(utf8(sealed?.data)).not.toContain('kept');
    const [opened] = await codec.decode([sealed!]);
    expect(utf8(opened?.metadata?.encoding)).toBe('json/plain');
    expect(utf8(opened?.metadata?.extra)).toBe('kept');
    expect(utf8(opened?.data)).toBe(utf8(sample.data));
  });

  it('passes payloads that are not encrypted through untouched, so older histories still read', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`k1:${K1}`));
    const [same] = await codec.decode([sample]);
    expect(same).toBe(sample);
  });

  it('decodes payloads encrypted with an older key of the ring and encodes new ones with the current key', async () => {
    const [old] = await new EncryptionCodec(parseKeyRing(`k1:${K1}`)).encode([sample]);
    const rotated = new EncryptionCodec(parseKeyRing(`k2:${K2},k1:${K1}`));
    expect(utf8((await rotated.decode([old!]))[0]?.data)).toBe(utf8(sample.data));
    const [fresh] = await rotated.encode([sample]);
    expect(utf8(fresh?.metadata?.[KEY_ID_METADATA])).toBe('k2');
  });

  it('refuses a payload encrypted with a key the ring does not have, naming the key id', async () => {
    const [old] = await new EncryptionCodec(parseKeyRing(`k0:${K1}`)).encode([sample]);
    await expect(new EncryptionCodec(parseKeyRing(`k2:${K2}`)).decode([old!])).rejects.toThrow(
      /key id "k0", which is not in the key ring/,
    );
  });

  it('refuses an altered payload without echoing its contents', async () => {
    const codec = new EncryptionCodec(parseKeyRing(`k1:${K1}`));
    const [sealed] = await codec.encode([sample]);
    const data = Buffer.from(sealed!.data!);
    data[20] = (data[20] ?? 0) ^ 0x01;
    const error = await codec.decode([{ ...sealed, data }]).catch((reason: Error) => reason);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/could not be decrypted/);
    expect((error as Error).message).not.toContain('4111');
  });
});

import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { bearerToken, sameSecret } from '../../api/auth';
import { codecRoutes } from '../../api/routes/codec';
import { EncryptionCodec, KEY_ID_METADATA } from '../../infrastructure/payload-codec';
import { parseKeyRing } from '../../infrastructure/secret-box';

const TOKEN = 'codec-token-0123456789';
const UI_ORIGIN = 'http://localhost:8233';
const ring = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A bare app with only the codec routes, as the Temporal UI and CLI see them. */
function codecApp(allowedOrigin: string | null = UI_ORIGIN) {
  const app = express();
  app.use(express.json());
  app.use(
    codecRoutes({
      codec: new EncryptionCodec(ring),
      authorize: (req) => {
        const token = bearerToken(req);
        return token !== undefined && sameSecret(token, TOKEN);
      },
      allowedOrigin,
    }),
  );
  return request(app);
}

/** A JSON payload as the Temporal UI sends it: proto3 JSON, every bytes field base64. */
const uiPayload = {
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify({ text: 'where is my order 12345?' })),
};

describe('the codec endpoint', () => {
  it('encodes payloads to ciphertext and decodes them back through the HTTP protocol', async () => {
    const api = codecApp();
    const encoded = await api
      .post('/codec/encode')
      .set('authorization', `Bearer ${TOKEN}`)
      .set('x-namespace', 'default')
      .send({ payloads: [uiPayload] })
      .expect(200)
      .expect('content-type', /json/);
    const [sealed] = encoded.body.payloads as { metadata: Record<string, string>; data: string }[];
    expect(unb64(sealed!.metadata.encoding!)).toBe('binary/encrypted');
    expect(unb64(sealed!.metadata[KEY_ID_METADATA]!)).toBe('k1');
    expect(unb64(sealed!.data)).not.toContain('12345');

    const decoded = await api
      .post('/codec/decode')
      .set('authorization', `Bearer ${TOKEN}`)
      .set('x-namespace', 'default')
      .send({ payloads: [sealed, { metadata: { encoding: b64('binary/null') } }] })
      .expect(200);
    expect(decoded.body).toEqual({
      payloads: [uiPayload, { metadata: { encoding: b64('binary/null') }, data: '' }],
    });
  });

  it('answers an empty batch with an empty batch', async () => {
    const response = await codecApp()
      .post('/codec/decode')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({ payloads: [] })
      .expect(200);
    expect(response.body).toEqual({ payloads: [] });
  });

  it('refuses a request without a token, or with a wrong one, with 401 and never touches the payloads', async () => {
    const api = codecApp();
    for (const authorization of [undefined, 'Bearer not-the-token', `Basic ${b64(`x:${TOKEN}`)}`]) {
      const call = api.post('/codec/decode');
      if (authorization) call.set('authorization', authorization);
      const response = await call.send({ payloads: [uiPayload] }).expect(401);
      expect(response.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(JSON.stringify(response.body)).not.toContain(uiPayload.data);
    }
  });

  it('refuses a body that is not a batch of base64 payloads with 400 naming the field', async () => {
    const api = codecApp();
    const response = await api
      .post('/codec/decode')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({ payloads: [{ metadata: { encoding: 'json/plain; charset=utf-8' }, data: '' }] })
      .expect(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_request' });
    expect(response.body.error.message).toContain('payloads.0.metadata.encoding');
    await api.post('/codec/encode').set('authorization', `Bearer ${TOKEN}`).send({}).expect(400);
  });

  it('answers 400 naming the key id when a payload was encrypted with a key it does not have', async () => {
    const other = new EncryptionCodec(parseKeyRing(`k9:${randomBytes(32).toString('base64')}`));
    const [sealed] = await other.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const response = await codecApp()
      .post('/codec/decode')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(sealed!.metadata!).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
            ),
            data: Buffer.from(sealed!.data!).toString('base64'),
          },
        ],
      })
      .expect(400);
    expect(response.body.error.message).toContain('"k9"');
  });
});

describe('the codec endpoint across origins', () => {
  it('answers the Temporal UI preflight from the allowed origin without asking for credentials', async () => {
    const response = await codecApp()
      .options('/codec/decode')
      .set('origin', UI_ORIGIN)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type,x-namespace')
      .expect(204);
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': UI_ORIGIN,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type, authorization, x-namespace',
      'access-control-allow-credentials': 'true',
    });
    expect(response.headers.vary).toMatch(/origin/i);
  });

  it('lets the allowed origin read the answers, including a 401', async () => {
    const api = codecApp();
    const ok = await api
      .post('/codec/decode')
      .set('origin', UI_ORIGIN)
      .set('authorization', `Bearer ${TOKEN}`)
      .send({ payloads: [uiPayload] })
      .expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    const refused = await api.post('/codec/decode').set('origin', UI_ORIGIN).send({ payloads: [] }).expect(401);
    expect(refused.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
  });

  it('gives any other origin no CORS headers, so the browser blocks it', async () => {
    const api = codecApp();
    const preflight = await api
      .options('/codec/decode')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers['access-control-allow-headers']).toBeUndefined();

    const post = await api
      .post('/codec/decode')
      .set('origin', 'https://evil.example')
      .set('authorization', `Bearer ${TOKEN}`)
      .send({ payloads: [] });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    expect(post.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers no origin at all when none is configured', async () => {
    const response = await codecApp(null)
      .options('/codec/encode')
      .set('origin', UI_ORIGIN)
      .set('access-control-request-method', 'POST');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';

/**
 * Temporal's codec server protocol, so the Temporal Web UI and CLI show decoded payloads while the server keeps
 * ciphertext: `POST /codec/decode` and `POST /codec/encode`, each taking and answering
 * `{ "payloads": [{ "metadata": { "<key>": "<base64>" }, "data": "<base64>" }] }` (proto3 JSON of Payloads: every
 * bytes field is base64). The UI sends `Content-Type: application/json`, `X-Namespace: <namespace>` and, when
 * "pass access token" is on, `Authorization: Bearer <token>`.
 *
 * Pointing clients at it (`<api>` is Parley's API base URL):
 * - Temporal dev server UI: `temporal server start-dev --ui-codec-endpoint <api>/codec`.
 * - Self-hosted UI server: `TEMPORAL_CODEC_ENDPOINT=<api>/codec`, plus `TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true` to
 *   forward the UI user's access token (the UI only does this for https endpoints).
 * - Per browser: the UI's "Codec Server" settings (endpoint, "pass access token", "include cross-origin credentials").
 * - CLI: `temporal workflow show -w <id> --codec-endpoint <api>/codec --codec-auth "Bearer <token>"`.
 * The UI runs in the browser, so its origin (e.g. `http://localhost:8233`) must be the configured allowed origin.
 */

/** What the codec routes need: the codec, who may use it, and the one browser origin (the Temporal UI) allowed. */
export type CodecRouteDeps = {
  codec: PayloadCodec;
  /** True when the request may use the codec, e.g. it carries the admin key or a codec token as a bearer token. */
  authorize: (req: Request) => boolean;
  /** The Temporal UI's origin, e.g. `http://localhost:8233`; null answers no cross-origin request. */
  allowedOrigin: string | null;
};

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const Base64Schema = z.string().regex(BASE64, 'must be base64');

/** A Temporal payload as proto3 JSON: metadata values and data base64-encoded. */
export const JsonPayloadSchema = z.object({
  metadata: z.record(z.string(), Base64Schema).nullish(),
  data: Base64Schema.nullish(),
});
type JsonPayload = { metadata: Record<string, string>; data: string };

/** What `/codec/encode` and `/codec/decode` take: a batch of payloads. */
export const CodecRequestSchema = z.object({ payloads: z.array(JsonPayloadSchema).max(10_000) });

const ALLOWED_METHODS = 'POST';
const ALLOWED_HEADERS = 'content-type, authorization, x-namespace';

function fromJson(payload: z.infer<typeof JsonPayloadSchema>): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * The codec server routes (`/codec/encode`, `/codec/decode`, their CORS preflights). Mount at the app's root,
 * before any JSON body parser with a smaller limit: history batches can be large. Authenticated by `authorize`;
 * CORS answers only `allowedOrigin`, with credentials allowed; any other origin gets no CORS headers.
 */
export function codecRoutes(deps: CodecRouteDeps): Router {
  const router = Router();

  router.use('/codec', (req, res, next) => {
    res.vary('Origin');
    const origin = req.get('origin');
    const allowed = origin !== undefined && deps.allowedOrigin !== null && origin === deps.allowedOrigin;
    if (allowed) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (allowed) {
        res.set('Access-Control-Allow-Methods', ALLOWED_METHODS);
        res.set('Access-Control-Allow-Headers', ALLOWED_HEADERS);
        res.set('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  });

  const handle = (operation: 'encode' | 'decode') => async (req: Request, res: Response) => {
    let authorized = false;
    try {
      authorized = deps.authorize(req);
    } catch {
      authorized = false;
    }
    if (!authorized) {
      sendError(res, 401, 'unauthorized', 'the codec endpoint needs Authorization: Bearer <token>');
      return;
    }
    const parsed = CodecRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
      sendError(res, 400, 'invalid_request', problems.join('; '));
      return;
    }
    let payloads: Payload[];
    try {
      payloads = await deps.codec[operation](parsed.data.payloads.map(fromJson));
    } catch (error) {
      // The codec's messages name payload indexes and key ids, never payload contents.
      sendError(res, 400, 'invalid_request', `could not ${operation} payloads: ${(error as Error).message}`);
      return;
    }
    res.json({ payloads: payloads.map(toJson) });
  };

  const parseJson = express.json({ limit: '8mb' });
  router.post('/codec/encode', parseJson, handle('encode'));
  router.post('/codec/decode', parseJson, handle('decode'));
  return router;
}

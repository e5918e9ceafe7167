import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { LIVE_SIGNATURE_HEADER, type LiveBatch, type LiveSigning } from '../../infrastructure/live-events';
import { ApiError, parseOr400 } from '../errors';
import type { LiveHub } from '../live';
import type { ConversationAccess } from '../conversation-access';

/** Where workers push a conversation's new messages to this process (signed; see infrastructure/live-events). */
export const LIVE_PUSH_PATH = '/internal/live';

/** `GET /v1/conversations/:id/events`: a stream token (EventSource cannot send headers) and where to resume. */
export const EventsQuerySchema = z.object({
  token: z
    .string()
    .max(200)
    .optional()
    .describe('A stream token from POST /v1/conversations/:id/stream-token, instead of the Authorization header.'),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Resume after this `seq` (what the Last-Event-ID header says, for clients that cannot set it).'),
});

/** A Last-Event-ID header: the `seq` of the last message the client received. */
const LastEventIdSchema = z.coerce.number().int().min(0);

/**
 * Live delivery's routes: a visitor's event stream of the bot's messages (Server-Sent Events, `id` = transcript
 * `seq`), the short-lived token a browser's EventSource opens it with, and the signed push endpoint workers deliver
 * to. The push route reads its body itself (the signature covers the exact bytes), so it is mounted before the
 * JSON parser.
 */
export function livePushRoute(deps: { hub: LiveHub; signing: LiveSigning }): Router {
  const router = Router();
  router.post(LIVE_PUSH_PATH, express.text({ type: 'application/json', limit: '8mb' }), (req, res) => {
    const body = typeof req.body === 'string' ? req.body : '';
    if (!deps.signing.verifyPush(body, req.get(LIVE_SIGNATURE_HEADER))) {
      throw new ApiError('unauthorized', 'live pushes must be signed by a Parley worker');
    }
    res.json(deps.hub.deliver(JSON.parse(body) as LiveBatch));
  });
  return router;
}

export function liveRoutes(deps: { hub: LiveHub; signing: LiveSigning; conversations: ConversationAccess }): Router {
  const router = Router();
  const { hub, signing, conversations } = deps;

  /** Whose stream this is: a stream token in the query, else the conversation token in the Authorization header. */
  async function streamOf(req: Request, token: string | undefined) {
    const id = String(req.params['id']);
    if (token === undefined) return conversations.authorized(req);
    if (!signing.verifyStreamToken(id, token)) {
      throw new ApiError('unauthorized', 'the stream token is not valid for this conversation, or it has expired');
    }
    return conversations.byId(id);
  }

  router.post('/v1/conversations/:id/stream-token', async (req, res) => {
    const { record } = await conversations.authorized(req);
    res.status(201).json(signing.streamToken(record.id));
  });

  router.get('/v1/conversations/:id/events', async (req, res) => {
    const { token, after } = parseOr400(EventsQuerySchema, req.query, 'query');
    const { record, handle } = await streamOf(req, token);
    const header = req.get('last-event-id');
    const lastEventId = header === undefined ? undefined : LastEventIdSchema.safeParse(header);
    if (lastEventId && !lastEventId.success) {
      throw new ApiError('invalid_request', 'Last-Event-ID must be the `seq` of a message (a whole number)');
    }
    await hub.open(record.id, handle, req, res, lastEventId?.data ?? after ?? null);
  });

  return router;
}

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Agent, request } from 'undici';
import type { TranscriptEntry } from '../shared/messages';
import type { KeyRing } from './secret-box';

/**
 * Live delivery between Parley's own processes: a conversation pushes the bot's new messages to the API processes
 * whose visitors watch it (activities/live.ts), signed with a key derived from PARLEY_SECRET_KEYS so that nobody
 * else can put words in the bot's mouth; and the short-lived stream tokens a browser's EventSource (which cannot
 * send an Authorization header) opens a stream with.
 */

/** What a conversation pushes to one API process: its new entries, and whether it has closed. */
export type LiveBatch = { conversationId: string; entries: TranscriptEntry[]; closed: boolean };

/** The signature header of a push: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const LIVE_SIGNATURE_HEADER = 'x-parley-live-signature';
/** How old a push may be when it arrives. */
const PUSH_TOLERANCE_SECONDS = 60;
/** How long a stream token opens streams. */
export const STREAM_TOKEN_SECONDS = 60;
/** How long one push may take before it is given up (the visitor's stream then catches up on reconnect). */
const PUSH_TIMEOUT_MS = 2_000;

type Purpose = 'live-push' | 'stream-token';

/** A purpose's keys, one per key of the ring, the current one first (so rotation keeps older signatures valid). */
function derivedKeys(ring: KeyRing, purpose: Purpose): Buffer[] {
  const ids = [ring.current, ...Object.keys(ring.keys).filter((id) => id !== ring.current)];
  return ids.map((id) =>
    Buffer.from(hkdfSync('sha256', ring.keys[id] as Buffer, Buffer.alloc(0), `parley:${purpose}`, 32)),
  );
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function matchesAny(keys: Buffer[], text: string, signature: Buffer): boolean {
  return keys.some((key) => {
    const expected = hmac(key, text);
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  });
}

/** Signs and checks pushes and stream tokens with keys derived from the secret key ring. */
export function createLiveSigning(ring: KeyRing, clock: () => number = Date.now) {
  const pushKeys = derivedKeys(ring, 'live-push');
  const tokenKeys = derivedKeys(ring, 'stream-token');
  const seconds = () => Math.floor(clock() / 1000);
  return {
    /** The signature header value for a push body. */
    signPush(body: string): string {
      const t = seconds();
      return `t=${t},v1=${hmac(pushKeys[0] as Buffer, `${t}.${body}`).toString('hex')}`;
    },

    /** Whether a push body carries a valid, recent signature. */
    verifyPush(body: string, header: string | undefined): boolean {
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
      if (!match) return false;
      const t = Number(match[1]);
      if (Math.abs(seconds() - t) > PUSH_TOLERANCE_SECONDS) return false;
      return matchesAny(pushKeys, `${t}.${body}`, Buffer.from(match[2] as string, 'hex'));
    },

    /** A token that opens this conversation's event stream for STREAM_TOKEN_SECONDS. */
    streamToken(conversationId: string): { token: string; expiresAt: string } {
      const expires = seconds() + STREAM_TOKEN_SECONDS;
      const signature = hmac(tokenKeys[0] as Buffer, `${conversationId}.${expires}`).toString('base64url');
      return { token: `${expires}.${signature}`, expiresAt: new Date(expires * 1000).toISOString() };
    },

    /** Whether a stream token was made for this conversation and has not expired. */
    verifyStreamToken(conversationId: string, token: string): boolean {
      const match = /^(\d+)\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) return false;
      const expires = Number(match[1]);
      if (expires < seconds()) return false;
      return matchesAny(tokenKeys, `${conversationId}.${expires}`, Buffer.from(match[2] as string, 'base64url'));
    },
  };
}

export type LiveSigning = ReturnType<typeof createLiveSigning>;

/**
 * Pushes batches to API processes. Answers whether the process still has a visitor watching the conversation
 * (false: it stopped watching, or restarted), so the conversation stops pushing to it. A process that does not
 * answer throws: it may be restarting, and its visitors catch up from the transcript when they reconnect.
 */
export function createLivePush(signing: LiveSigning) {
  const dispatcher = new Agent({ connectTimeout: PUSH_TIMEOUT_MS, keepAliveTimeout: 30_000 });
  return {
    async push(endpoint: string, batch: LiveBatch): Promise<{ watching: boolean }> {
      const body = JSON.stringify(batch);
      const response = await request(endpoint, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', [LIVE_SIGNATURE_HEADER]: signing.signPush(body) },
        body,
        headersTimeout: PUSH_TIMEOUT_MS,
        bodyTimeout: PUSH_TIMEOUT_MS,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${endpoint} answered ${response.statusCode}`);
      return { watching: (JSON.parse(text) as { watching?: unknown }).watching === true };
    },
    close: () => dispatcher.close(),
  };
}

export type LivePush = ReturnType<typeof createLivePush>;

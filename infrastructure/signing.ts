import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64 part of a
 * `whsec_…` secret, so receivers can verify a request came from Parley and was not altered or replayed.
 */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  body: string,
  timestampSeconds: number,
): Record<string, string> {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length < 16)
    throw new Error('the webhook signing secret must be whsec_ followed by at least 16 base64 bytes');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

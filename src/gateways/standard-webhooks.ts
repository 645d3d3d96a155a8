// Standard Webhooks (standardwebhooks.com) signing and verification, used by the fake
// gateway so dev and test callbacks are signed the way a well-behaved gateway signs:
//   webhook-id, webhook-timestamp (unix seconds), webhook-signature: "v1,<base64>"
//   (space-separated list), signature = HMAC-SHA256(base64-decoded secret without its
//   "whsec_" prefix, `${id}.${timestamp}.${rawBody}`), timestamps outside ±5 min refused.
import { base64ToBytes, hmacBase64, timingSafeEqual } from './crypto.ts';

export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

function secretKey(secret: string): Uint8Array {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = base64ToBytes(encoded);
  if (key.length === 0) throw new Error('The webhook secret is empty');
  return key;
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  return `v1,${await hmacBase64('SHA-256', secretKey(secret), `${id}.${timestampSeconds}.${body}`)}`;
}

export type WebhookVerification =
  | { ok: true; id: string; timestampSeconds: number }
  | { ok: false; reason: 'missing' | 'mismatch' | 'stale' | 'malformed' };

export async function verifyWebhook(
  secret: string,
  headers: Headers,
  body: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Promise<WebhookVerification> {
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signatures = headers.get('webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed' };
  const timestampSeconds = Number(timestamp);
  if (Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = (await signWebhook(secret, id, timestampSeconds, body)).slice('v1,'.length);
  // Check every offered v1 signature (senders list several while rotating secrets).
  let matched = false;
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version === 'v1' && signature !== undefined && timingSafeEqual(signature, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestampSeconds } : { ok: false, reason: 'mismatch' };
}

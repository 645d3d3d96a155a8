// Standard Webhooks verification for Supabase Auth's HTTP hooks.
//
// Supabase signs each call with `webhook-id`, `webhook-timestamp` and
// `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` and
// configures the secret as `v1,whsec_<base64 key>`. Several secrets separated by '|'
// are accepted, so a secret can be rotated without downtime.
//
// The HMAC comes from the `standardwebhooks` package; the timestamp check is done here
// against an injected clock (the package's own verify() reads the system clock), and
// signatures are compared in constant time.
import { Webhook } from 'standardwebhooks';

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export class WebhookSignatureError extends Error {
  readonly reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'bad_signature';

  constructor(reason: WebhookSignatureError['reason'], message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.reason = reason;
  }
}

export interface VerifiedWebhook {
  id: string;
  /** Unix seconds. */
  timestamp: number;
}

export interface WebhookVerifierOptions {
  toleranceSeconds?: number;
  /** Clock in ms. */
  now?: () => number;
}

/** `v1,whsec_abc…`, `whsec_abc…` or bare base64 → the form the package takes. */
function toPackageSecret(secret: string): string {
  const trimmed = secret.trim().replace(/^v1,/, '');
  return trimmed.startsWith('whsec_') ? trimmed : `whsec_${trimmed}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= left[i]! ^ right[i]!;
  return difference === 0;
}

export class WebhookVerifier {
  readonly #webhooks: Webhook[];
  readonly #toleranceSeconds: number;
  readonly #now: () => number;

  constructor(secrets: string, options: WebhookVerifierOptions = {}) {
    const list = secrets.split('|').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new Error('a webhook secret is required');
    this.#webhooks = list.map((secret) => new Webhook(toPackageSecret(secret)));
    this.#toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    this.#now = options.now ?? Date.now;
  }

  /** Checks the raw body against the headers; throws WebhookSignatureError otherwise. */
  verify(rawBody: string, headers: Headers): VerifiedWebhook {
    const id = headers.get('webhook-id');
    const timestampHeader = headers.get('webhook-timestamp');
    const signatureHeader = headers.get('webhook-signature');
    if (!id || !timestampHeader || !signatureHeader) throw new WebhookSignatureError('missing_headers', 'missing webhook headers');
    if (!/^\d{1,12}$/.test(timestampHeader.trim())) throw new WebhookSignatureError('bad_timestamp', 'invalid webhook timestamp');
    const timestamp = Number(timestampHeader.trim());
    const nowSeconds = Math.floor(this.#now() / 1000);
    if (Math.abs(nowSeconds - timestamp) > this.#toleranceSeconds) {
      throw new WebhookSignatureError('stale', 'webhook timestamp outside the tolerance');
    }
    const offered = signatureHeader
      .split(' ')
      .map((entry) => entry.split(','))
      .filter(([version, signature]) => version === 'v1' && signature)
      .map(([, signature]) => signature!);
    for (const webhook of this.#webhooks) {
      const expected = webhook.sign(id, new Date(timestamp * 1000), rawBody).split(',')[1]!;
      // Check every candidate, so timing does not tell which one matched.
      let matched = false;
      for (const signature of offered) matched = constantTimeEqual(signature, expected) || matched;
      if (matched) return { id, timestamp };
    }
    throw new WebhookSignatureError('bad_signature', 'no matching webhook signature');
  }
}

// Firebase Cloud Messaging, HTTP v1 API: one message per registration token,
// `POST https://fcm.googleapis.com/v1/projects/{project_id}/messages:send` with an OAuth
// access token from the project's service account (./google-auth.ts).
//
// What comes back is classified for the delivery queue:
// - sent            — FCM accepted it ({"name": "projects/…/messages/…"});
// - invalid_token   — the token will never work again (UNREGISTERED, SENDER_ID_MISMATCH,
//                     INVALID_ARGUMENT about the token): remove it from device_tokens;
// - retry           — worth another try (UNAVAILABLE, INTERNAL, QUOTA_EXCEEDED / 429,
//                     any 5xx, network errors, credentials that may be fixed); retried
//                     here with exponential backoff honouring Retry-After, then handed
//                     back so the queue retries later;
// - failed          — the message itself is wrong (INVALID_ARGUMENT on another field):
//                     retrying cannot help.
// A 401 with a cached access token refreshes it once before anything else.
// Web standards only: the same module runs in the edge function (Deno) and in tests (Node).
import {
  GoogleAuthError,
  GoogleServiceAccountTokens,
  parseServiceAccount,
  PushConfigError,
  type AccessTokenSource,
  type GoogleTokenOptions,
} from './google-auth.ts';

export { PushConfigError } from './google-auth.ts';

export interface PushMessage {
  /** FCM registration token of one app install. */
  token: string;
  title?: string | null | undefined;
  body?: string | null | undefined;
  /** Data for the app (deep links); values must be strings. */
  data?: Record<string, string> | undefined;
  /** One notification per key in the tray: newer ones replace older ones. */
  collapseKey?: string | null | undefined;
  /** How long FCM keeps trying an offline device (default one day). */
  ttlSeconds?: number | undefined;
  /** Wake the device now (default true for visible notifications). */
  highPriority?: boolean | undefined;
}

export type SendResult =
  | { outcome: 'sent'; messageId: string; attempts: number }
  | { outcome: 'invalid_token'; code: string; message: string; attempts: number }
  | { outcome: 'retry'; code: string; message: string; retryAfterMs?: number | undefined; attempts: number }
  | { outcome: 'failed'; code: string; message: string; attempts: number };

/** What the push function needs from a push provider. */
export interface PushSender {
  send(message: PushMessage): Promise<SendResult>;
}

export interface FcmClientOptions {
  projectId: string;
  tokens: AccessTokenSource;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Clock in ms (APNs expiry, Retry-After dates). */
  now?: () => number;
  /** In [0, 1), for backoff jitter. */
  random?: () => number;
  /** Tries per message in this run, the first included (default 3). */
  maxAttempts?: number;
  /** First backoff step (default 500 ms; doubles each try, ±20 % jitter). */
  baseDelayMs?: number;
  /** A longer wait (Retry-After) is left to the queue instead (default 5 s). */
  maxInlineWaitMs?: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  endpoint?: string;
}

export const FCM_ENDPOINT = 'https://fcm.googleapis.com';
const DEFAULT_TTL_SECONDS = 86_400;
/** APNs refuses longer apns-collapse-id values. */
const APNS_COLLAPSE_ID_MAX_BYTES = 64;

/** An answer other than success, before counting attempts. */
export type Classified =
  | { outcome: 'invalid_token' | 'failed'; code: string; message: string }
  | { outcome: 'retry'; code: string; message: string; retryAfterMs?: number | undefined };

export class FcmClient implements PushSender {
  private readonly url: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: FcmClientOptions) {
    if (!/^[a-z0-9][a-z0-9-]{2,62}$/i.test(options.projectId)) throw new PushConfigError('The FCM project id is not valid.');
    this.url = `${options.endpoint ?? FCM_ENDPOINT}/v1/projects/${options.projectId}/messages:send`;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxInlineWaitMs = options.maxInlineWaitMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(message: PushMessage): Promise<SendResult> {
    const body = JSON.stringify(fcmRequestBody(message, this.now()));
    let refreshedToken = false;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const result = await this.attempt(body, refreshedToken);
      if (result.outcome === 'sent') return { ...result, attempts };
      if (result.outcome === 'unauthenticated') {
        // The cached access token was revoked or expired early: one fresh token, at once,
        // not counted as a try (attempt() reports this only before the refresh).
        this.options.tokens.invalidate(result.accessToken);
        refreshedToken = true;
        attempts -= 1;
        continue;
      }
      if (result.outcome !== 'retry' || attempts >= this.maxAttempts) return { ...result, attempts };
      const wait = result.retryAfterMs ?? this.backoff(attempts);
      if (wait > this.maxInlineWaitMs) return { ...result, attempts };
      await this.sleep(wait);
    }
  }

  private backoff(attempt: number): number {
    return Math.round(this.baseDelayMs * 2 ** (attempt - 1) * (0.8 + this.random() * 0.4));
  }

  private async attempt(
    body: string,
    afterRefresh: boolean,
  ): Promise<{ outcome: 'sent'; messageId: string } | { outcome: 'unauthenticated'; accessToken: string } | Classified> {
    let accessToken: string;
    try {
      accessToken = await this.options.tokens.get();
    } catch (error) {
      // Configuration someone can fix: the queue keeps the message and retries later.
      const code = error instanceof GoogleAuthError ? `OAUTH_${error.code.toUpperCase()}` : 'CONFIGURATION';
      return { outcome: 'retry', code, message: error instanceof Error ? error.message : 'No access token.' };
    }
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=utf-8' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'error';
      return { outcome: 'retry', code: name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK', message: `FCM did not answer (${name}).` };
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) {
      const name = (payload as { name?: unknown } | undefined)?.name;
      return { outcome: 'sent', messageId: typeof name === 'string' ? name : '' };
    }
    const classified = classifyFcmError(response.status, payload, response.headers.get('retry-after'), this.now());
    if (response.status === 401 && classified.code === 'UNAUTHENTICATED' && !afterRefresh) {
      return { outcome: 'unauthenticated', accessToken };
    }
    return classified;
  }
}

interface FcmErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    details?: { '@type'?: string; errorCode?: string; fieldViolations?: { field?: string; description?: string }[] }[];
  };
}

/** Sorts an FCM error response into what the queue should do about it. */
export function classifyFcmError(status: number, payload: unknown, retryAfter: string | null, now: number): Classified {
  const error = (payload as FcmErrorBody | undefined)?.error ?? {};
  const details = Array.isArray(error.details) ? error.details : [];
  const fcmCode = details.find((d) => d?.['@type']?.endsWith('google.firebase.fcm.v1.FcmError'))?.errorCode;
  const violations = details.flatMap((d) => (d?.['@type']?.endsWith('google.rpc.BadRequest') ? d.fieldViolations ?? [] : []));
  const code = fcmCode ?? error.status ?? `HTTP_${status}`;
  const message = (typeof error.message === 'string' ? error.message : `FCM answered ${status}.`).slice(0, 300);
  const retryAfterMs = parseRetryAfter(retryAfter, now);

  // Only FCM's own verdict on the token removes it: a wrong project id is a 404 too.
  if (fcmCode === 'UNREGISTERED' || fcmCode === 'SENDER_ID_MISMATCH') return { outcome: 'invalid_token', code, message };
  if (code === 'INVALID_ARGUMENT') {
    const aboutToken = violations.some((v) => v.field === 'message.token') || /registration token/i.test(message);
    return aboutToken ? { outcome: 'invalid_token', code, message } : { outcome: 'failed', code, message };
  }
  if (status === 429 || status >= 500 || ['UNAVAILABLE', 'INTERNAL', 'QUOTA_EXCEEDED'].includes(code)) {
    return { outcome: 'retry', code, message, retryAfterMs };
  }
  // Credentials and permissions (UNAUTHENTICATED, THIRD_PARTY_AUTH_ERROR for APNs or web
  // push keys, PERMISSION_DENIED): configuration someone can fix, so keep the message.
  if (status === 401 || status === 403) return { outcome: 'retry', code, message, retryAfterMs };
  return { outcome: 'failed', code, message };
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `messages:send` request body for one token. */
export function fcmRequestBody(message: PushMessage, now: number): { message: Record<string, unknown> } {
  const ttl = Math.max(0, Math.min(message.ttlSeconds ?? DEFAULT_TTL_SECONDS, 2_419_200));
  const visible = Boolean(message.title || message.body);
  const urgent = (message.highPriority ?? true) && visible;
  const collapseKey = message.collapseKey || undefined;
  const notification: Record<string, string> = {};
  if (message.title) notification.title = message.title;
  if (message.body) notification.body = message.body;

  const android: Record<string, unknown> = { priority: urgent ? 'HIGH' : 'NORMAL', ttl: `${ttl}s` };
  if (collapseKey) {
    android.collapse_key = collapseKey;
    // The tag replaces the notification already in the tray for this key.
    if (visible) android.notification = { tag: collapseKey };
  }
  const apnsHeaders: Record<string, string> = {
    'apns-priority': urgent ? '10' : '5',
    'apns-expiration': String(Math.floor(now / 1000) + ttl),
  };
  if (!visible) apnsHeaders['apns-push-type'] = 'background';
  if (collapseKey && new TextEncoder().encode(collapseKey).length <= APNS_COLLAPSE_ID_MAX_BYTES) {
    apnsHeaders['apns-collapse-id'] = collapseKey;
  }
  const body: Record<string, unknown> = {
    token: message.token,
    android,
    apns: visible ? { headers: apnsHeaders } : { headers: apnsHeaders, payload: { aps: { 'content-available': 1 } } },
    webpush: { headers: { TTL: String(ttl), Urgency: urgent ? 'high' : 'normal' } },
  };
  if (visible) body.notification = notification;
  if (message.data && Object.keys(message.data).length > 0) body.data = message.data;
  return { message: body };
}

export interface FcmEnvironment {
  sender: FcmClient;
  projectId: string;
}

/**
 * FCM from the environment: FCM_SERVICE_ACCOUNT_JSON (the key file, JSON or base64) and
 * optionally FCM_PROJECT_ID (defaults to the key's project_id). Undefined when push is
 * not configured; throws PushConfigError when it is configured wrongly.
 */
export function fcmFromEnv(
  env: (name: string) => string | undefined,
  options: { tokenOptions?: GoogleTokenOptions; client?: Partial<FcmClientOptions> } = {},
): FcmEnvironment | undefined {
  const json = env('FCM_SERVICE_ACCOUNT_JSON')?.trim();
  if (!json) return undefined;
  const account = parseServiceAccount(json);
  const projectId = env('FCM_PROJECT_ID')?.trim() || account.project_id;
  const tokens = new GoogleServiceAccountTokens(account, options.tokenOptions);
  return { projectId, sender: new FcmClient({ ...options.client, projectId, tokens }) };
}

// OAuth 2.0 access tokens for Google APIs (FCM HTTP v1) from a service account, the
// "JWT bearer" grant of RFC 7523 as Google documents it for server-to-server calls:
//
// - sign an RS256 JWT with the service account's private key: iss = client_email,
//   scope, aud = the token endpoint, iat, exp ≤ iat + 1 h;
// - POST it to https://oauth2.googleapis.com/token as
//   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>;
// - use the access_token it returns until shortly before expires_in runs out.
//
// Tokens are cached and shared: a batch of a thousand pushes costs one token request,
// and concurrent callers at a cold start share one in-flight request. A failed request
// is remembered briefly, so a broken key does not cost one token request per message.
// Web standards only (fetch, crypto.subtle through jose): runs in Deno and Node.
import { importPKCS8, SignJWT } from 'jose';
import { z } from 'zod';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;

/** The push configuration is missing or malformed. Messages name fields, never values. */
export class PushConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushConfigError';
  }
}

/** Google would not issue an access token (unreachable, or it refused the assertion). */
export class GoogleAuthError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'GoogleAuthError';
    this.code = code;
    this.status = status;
  }
}

const ServiceAccountSchema = z.object({
  type: z.literal('service_account').optional(),
  project_id: z.string().min(1),
  private_key_id: z.string().min(1).optional(),
  private_key: z.string().includes('PRIVATE KEY-----'),
  client_email: z.string().regex(/^[^@\s]+@[^@\s]+$/),
  token_uri: z.url({ protocol: /^https$/ }).optional(),
});

export type ServiceAccount = z.infer<typeof ServiceAccountSchema>;

/**
 * The service account key file Firebase hands out (Project settings → Service accounts),
 * as JSON or base64 of that JSON (easier to paste into a secret store).
 */
export function parseServiceAccount(text: string): ServiceAccount {
  const trimmed = text.trim();
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed.startsWith('{') ? trimmed : atob(trimmed));
  } catch {
    throw new PushConfigError('The FCM service account is neither JSON nor base64-encoded JSON.');
  }
  const parsed = ServiceAccountSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
    throw new PushConfigError(`The FCM service account has missing or invalid fields: ${fields.join(', ')}.`);
  }
  return parsed.data;
}

export interface AccessTokenSource {
  /** A valid access token, from the cache when it has one. */
  get(): Promise<string>;
  /** Drop `token` if it is still the cached one (the API rejected it). */
  invalidate(token: string): void;
}

export interface GoogleTokenOptions {
  fetch?: typeof fetch;
  /** Clock in ms. */
  now?: () => number;
  /** Refresh this long before the token expires (default 5 min). */
  refreshAheadMs?: number;
  /** How long a failed token request is answered from memory (default 10 s). */
  failureMemoryMs?: number;
  /** Token request timeout (default 10 s). */
  timeoutMs?: number;
  scope?: string;
}

interface CachedToken {
  accessToken: string;
  /** When to stop using it: expiry minus the refresh margin. */
  useUntil: number;
}

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

export class GoogleServiceAccountTokens implements AccessTokenSource {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly refreshAheadMs: number;
  private readonly failureMemoryMs: number;
  private readonly timeoutMs: number;
  private readonly scope: string;
  private readonly tokenUrl: string;
  private key: Promise<CryptoKey> | undefined;
  private current: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  private lastFailure: { error: Error; until: number } | undefined;

  constructor(
    private readonly account: ServiceAccount,
    options: GoogleTokenOptions = {},
  ) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
    this.refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000;
    this.failureMemoryMs = options.failureMemoryMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.scope = options.scope ?? FCM_SCOPE;
    this.tokenUrl = account.token_uri ?? GOOGLE_TOKEN_URL;
  }

  async get(): Promise<string> {
    const now = this.now();
    if (this.current && now < this.current.useUntil) return this.current.accessToken;
    if (this.lastFailure && now < this.lastFailure.until) throw this.lastFailure.error;
    return (await this.refresh()).accessToken;
  }

  invalidate(token: string): void {
    if (this.current?.accessToken === token) this.current = undefined;
  }

  /** The signed assertion exchanged for an access token (exposed for tests). */
  async assertion(issuedAtSeconds = Math.floor(this.now() / 1000)): Promise<string> {
    this.key ??= importPKCS8(this.account.private_key, 'RS256').catch((error: unknown) => {
      this.key = undefined;
      throw new PushConfigError(`The FCM service account's private_key is not a PKCS#8 RSA key (${error instanceof Error ? error.name : 'error'}).`);
    });
    const header: { alg: 'RS256'; typ: 'JWT'; kid?: string } = { alg: 'RS256', typ: 'JWT' };
    if (this.account.private_key_id) header.kid = this.account.private_key_id;
    return new SignJWT({ scope: this.scope })
      .setProtectedHeader(header)
      .setIssuer(this.account.client_email)
      .setAudience(this.tokenUrl)
      .setIssuedAt(issuedAtSeconds)
      .setExpirationTime(issuedAtSeconds + ASSERTION_LIFETIME_SECONDS)
      .sign(await this.key);
  }

  private refresh(): Promise<CachedToken> {
    this.inflight ??= (async () => {
      try {
        const token = await this.mint();
        this.current = token;
        this.lastFailure = undefined;
        return token;
      } catch (error) {
        const failure = error instanceof Error ? error : new GoogleAuthError('oauth_failed', String(error));
        this.lastFailure = { error: failure, until: this.now() + this.failureMemoryMs };
        throw failure;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private async mint(): Promise<CachedToken> {
    const requestedAt = this.now();
    const body = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await this.assertion(Math.floor(requestedAt / 1000)) });
    let response: Response;
    try {
      response = await this.fetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new GoogleAuthError('oauth_unreachable', `The Google token endpoint did not answer (${error instanceof Error ? error.name : 'error'}).`);
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      // {"error": "invalid_grant", "error_description": "…"}: neither echoes the key.
      const fields = (payload ?? {}) as { error?: unknown; error_description?: unknown };
      const code = typeof fields.error === 'string' ? fields.error : `http_${response.status}`;
      const description = typeof fields.error_description === 'string' ? `: ${fields.error_description.slice(0, 200)}` : '';
      throw new GoogleAuthError(code, `Google refused the service account assertion (${code}${description}).`, response.status);
    }
    const parsed = TokenResponse.safeParse(payload);
    if (!parsed.success) throw new GoogleAuthError('oauth_bad_response', 'The Google token endpoint answered without an access token.', response.status);
    const lifetimeMs = parsed.data.expires_in * 1000;
    return {
      accessToken: parsed.data.access_token,
      useUntil: requestedAt + lifetimeMs - Math.min(this.refreshAheadMs, lifetimeMs / 2),
    };
  }
}

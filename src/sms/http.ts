// What every adapter needs around fetch: a deadline, one way to read the answer, and
// the HTTP-level failures (timeouts, 429, 5xx, refused credentials) they all share.
import { SmsError } from './provider.ts';

/** Options every adapter's configuration accepts. */
export interface HttpOptions {
  /** Defaults to the global fetch, looked up at call time (so test interceptors apply). */
  fetch?: typeof fetch | undefined;
  /**
   * Per request. Supabase Auth gives the hook 5 s before it retries, so an adapter gives
   * up a little earlier and reports the provider as unavailable.
   */
  timeoutMs?: number | undefined;
}

export const DEFAULT_TIMEOUT_MS = 4_000;

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, otherwise the text (possibly empty). */
  body: unknown;
}

/** Sends one request; network failures and timeouts become `unavailable`. */
export async function send(provider: string, url: string, init: RequestInit, options: HttpOptions): Promise<ProviderResponse> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new SmsError(provider, 'unavailable', timedOut ? `${provider} did not answer in time` : `${provider} could not be reached`, {
      providerCode: timedOut ? 'timeout' : 'network',
      cause: error,
    });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new SmsError(provider, 'unavailable', `${provider} answer was cut off`, { providerCode: 'network', cause: error });
  }
  let body: unknown = text;
  if (text.trim().startsWith('{') || text.trim().startsWith('[')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * The failures whose meaning is the same at every provider: rate limits, outages and
 * refused credentials. Returns undefined for statuses the adapter must read itself.
 */
export function commonHttpError(provider: string, response: ProviderResponse, providerCode?: string | number): SmsError | undefined {
  const { status } = response;
  if (status === 429) {
    return new SmsError(provider, 'rate_limited', `${provider} is rate limiting us`, {
      providerCode: providerCode ?? status,
      retryAfterSeconds: retryAfterSeconds(response.headers),
    });
  }
  if (status >= 500) return new SmsError(provider, 'unavailable', `${provider} failed with HTTP ${status}`, { providerCode: providerCode ?? status });
  if (status === 401 || status === 403) {
    return new SmsError(provider, 'account', `${provider} refused our credentials (HTTP ${status})`, { providerCode: providerCode ?? status });
  }
  return undefined;
}

/** Retry-After in seconds (either form the header allows), if present. */
export function retryAfterSeconds(headers: Headers, now: number = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** `Basic base64(user:password)` for any UTF-8 credentials (btoa alone takes Latin-1 only). */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** E.164 digits without '+', whatever the input carried. */
export function digits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/**
 * Provider-supplied text, safe for an error message: long digit runs (numbers, codes)
 * are masked and the length is bounded, since some providers echo what we sent.
 */
export function safeText(value: unknown, max = 120): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  return String(value).replace(/\d{4,}/g, (run) => '#'.repeat(run.length)).slice(0, max);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

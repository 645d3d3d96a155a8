// Eskiz (Uzbekistan) [third-party sources: Eskiz's published Postman collection as
// used by client libraries; verify on notify.eskiz.uz's documentation before go-live]:
//   POST https://notify.eskiz.uz/api/auth/login, form {email, password}
//   → {message: "token_generated", data: {token: "<JWT>"}, token_type: "bearer"}
//   POST https://notify.eskiz.uz/api/message/sms/send, Authorization: Bearer <token>,
//   form {mobile_phone: "998…", message, from} → {id, message: "Waiting for SMS provider", status: "waiting"}
// The token is a JWT valid for about 30 days: logged in once, cached until shortly
// before its `exp`, and renewed once if Eskiz answers 401 meanwhile. Eskiz delivers only
// texts whose template was approved in its cabinet; others are refused.
import { commonHttpError, digits, isObject, safeText, send, type HttpOptions } from './http.ts';
import { SmsError, type SmsMessage, type SmsProvider, type SmsResult } from './provider.ts';

export interface EskizConfig extends HttpOptions {
  email: string;
  password: string;
  /** Sender name or short number ("4546" is Eskiz's shared test sender). */
  sender: string;
  baseUrl?: string;
  /** Clock in ms, for the token's expiry. */
  now?: () => number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Renew this long before the token's own expiry. */
const EXPIRY_MARGIN_MS = 60 * 60 * 1000;
/** When the token carries no readable `exp`. */
const FALLBACK_LIFETIME_MS = 24 * 60 * 60 * 1000;

function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class EskizSmsProvider implements SmsProvider {
  readonly name = 'eskiz';
  readonly #config: EskizConfig;
  readonly #now: () => number;
  #token: CachedToken | undefined;
  /** One login at a time, shared by concurrent sends. */
  #login: Promise<CachedToken> | undefined;

  constructor(config: EskizConfig) {
    this.#config = config;
    this.#now = config.now ?? Date.now;
  }

  get #base(): string {
    return this.#config.baseUrl ?? 'https://notify.eskiz.uz';
  }

  async send(message: SmsMessage): Promise<SmsResult> {
    let token = await this.#validToken();
    let response = await this.#post(token, message);
    if (response.status === 401) {
      // Revoked or expired early: log in again, once.
      if (this.#token?.token === token) this.#token = undefined;
      token = await this.#validToken();
      response = await this.#post(token, message);
    }

    const body = isObject(response.body) ? response.body : {};
    if (response.status >= 200 && response.status < 300 && (typeof body.id === 'string' || typeof body.id === 'number')) {
      return { providerMessageId: String(body.id) };
    }
    const common = commonHttpError(this.name, response);
    if (common) throw common;
    const text = safeText(typeof body.message === 'string' ? body.message : isObject(body.message) ? JSON.stringify(body.message) : '');
    if (/balance|sender|template|moderat/i.test(text)) {
      throw new SmsError(this.name, 'account', `eskiz: ${text}`, { providerCode: response.status });
    }
    const invalid = /phone|number|mobile/i.test(text);
    throw new SmsError(this.name, invalid ? 'invalid_number' : 'rejected', `eskiz refused the message${text ? `: ${text}` : ''}`, {
      providerCode: response.status,
    });
  }

  async #post(token: string, message: SmsMessage) {
    const form = new URLSearchParams({ mobile_phone: digits(message.to), message: message.text, from: message.sender ?? this.#config.sender });
    return await send(this.name, `${this.#base}/api/message/sms/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
    }, this.#config);
  }

  async #validToken(): Promise<string> {
    if (this.#token && this.#token.expiresAt - EXPIRY_MARGIN_MS > this.#now()) return this.#token.token;
    this.#login ??= this.#logIn().finally(() => {
      this.#login = undefined;
    });
    this.#token = await this.#login;
    return this.#token.token;
  }

  async #logIn(): Promise<CachedToken> {
    const response = await send(this.name, `${this.#base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ email: this.#config.email, password: this.#config.password }),
    }, this.#config);
    const body = isObject(response.body) ? response.body : {};
    const token = isObject(body.data) && typeof body.data.token === 'string' ? body.data.token : undefined;
    if (response.status >= 200 && response.status < 300 && token) {
      return { token, expiresAt: jwtExpiry(token) ?? this.#now() + FALLBACK_LIFETIME_MS };
    }
    if (response.status === 429 || response.status >= 500) throw commonHttpError(this.name, response)!;
    throw new SmsError(this.name, 'account', 'eskiz refused our login', { providerCode: response.status });
  }
}

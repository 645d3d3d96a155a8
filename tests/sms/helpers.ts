// Shared by the SMS tests: recording provider-side HTTP with msw, signing hook calls.
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SmsMarket } from '../../src/sms/markets.ts';
import { SmsError, type SmsErrorKind, type SmsMessage, type SmsProvider, type SmsResult } from '../../src/sms/provider.ts';

export { http, HttpResponse };

export interface CapturedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** An msw server for the file, failing on any request no handler expects. */
export function mockProviders() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** Reads a request once, for assertions, without consuming what the handler needs. */
export async function capture(request: Request): Promise<CapturedRequest> {
  return { method: request.method, url: request.url, headers: request.headers, body: await request.clone().text() };
}

export function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Runs the promise and returns the SmsError it must reject with. */
export async function smsError(promise: Promise<unknown>): Promise<SmsError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof SmsError)) throw new Error(`expected an SmsError, got ${String(error)}`);
  return error;
}

/** A stand-in provider that records what it was asked to send. */
export class RecordingProvider implements SmsProvider {
  readonly sent: SmsMessage[] = [];
  failWith: SmsErrorKind | undefined;
  delayMs = 0;

  constructor(readonly name: string) {}

  async send(message: SmsMessage): Promise<SmsResult> {
    this.sent.push(message);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failWith) throw new SmsError(this.name, this.failWith, `${this.name} failed as told`, { providerCode: 'test' });
    return { providerMessageId: `${this.name}-${this.sent.length}` };
  }
}

/** The markets seed.sql creates, as the hook's loader returns them. */
export const SEED_MARKETS: SmsMarket[] = [
  { code: 'gh', name: 'HandyGH', phoneCountryCode: '233', smsProvider: 'hubtel', defaultLocale: 'en', locales: ['en'], isDefault: true },
  { code: 'uz', name: 'Xizmat', phoneCountryCode: '998', smsProvider: 'eskiz', defaultLocale: 'uz-Latn', locales: ['uz-Latn', 'uz-Cyrl', 'ru', 'en'] },
  { code: 'eg', name: 'Souq Handmade', phoneCountryCode: '20', smsProvider: 'vonage', defaultLocale: 'ar', locales: ['ar', 'en'] },
  { code: 'bd', name: 'Nagorik Seba', phoneCountryCode: '880', smsProvider: 'ssl_wireless', defaultLocale: 'bn', locales: ['bn', 'en'] },
];

/** A fresh Standard Webhooks secret in Supabase's `v1,whsec_<base64>` form. */
export function newHookSecret(): string {
  return `v1,whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}

export interface SignOptions {
  secret: string;
  id?: string;
  /** Unix seconds. */
  timestamp: number;
}

/** A hook call as Supabase Auth sends it: raw JSON body, Standard Webhooks headers. */
export function signedRequest(body: unknown, options: SignOptions): Request {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const signature = new Webhook(options.secret.replace(/^v1,/, '')).sign(id, new Date(options.timestamp * 1000), raw);
  return new Request('http://localhost/functions/v1/send-sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(options.timestamp),
      'webhook-signature': signature,
    },
    body: raw,
  });
}

/** A Send SMS hook payload shaped like Auth's (user trimmed to what matters). */
export function hookPayload(phone: string, otp: string, userMetadata: Record<string, unknown> = {}, sms: Record<string, unknown> = {}) {
  return {
    metadata: { uuid: crypto.randomUUID(), time: new Date().toISOString(), name: 'send-sms', ip_address: '127.0.0.1' },
    user: {
      id: crypto.randomUUID(),
      aud: 'authenticated',
      role: 'authenticated',
      email: '',
      phone,
      app_metadata: { provider: 'phone', providers: ['phone'] },
      user_metadata: userMetadata,
      identities: [],
      is_anonymous: false,
    },
    sms: { otp, ...sms },
  };
}

// POST /functions/v1/send-sms — Supabase Auth's Send SMS hook.
//
// Auth calls this instead of its built-in SMS provider whenever it needs an OTP
// delivered, signed per Standard Webhooks. The handler verifies the signature over the
// raw body before anything else, validates the payload, finds the market by the phone's
// country code, writes the code in the user's language and sends it through that
// market's provider.
//
// The answers follow the hook contract: `200 {}` when sent; `200 {"error": {http_code,
// message}}` for a failure the user should see (Auth turns it into that HTTP status and
// message); 401 for a forged or stale request, which sends nothing.
//
// Duplicates: Auth signs every retry of one invocation afresh (new webhook-id, same
// body), and a replayed request repeats its webhook-id. Either way the second delivery
// within ten minutes joins or repeats the first one's answer instead of sending again.
// The memory is per function instance, so this is best effort, not a guarantee.
//
// The OTP and the full phone number are never logged: numbers are masked, texts never
// leave the provider call.
import { z } from 'zod';
import type { Logger } from '../../../src/errors.ts';
import { maskPhone, normalizePhone } from '../../../src/sms/phone.ts';
import { chooseOtpLocale, otpText } from '../../../src/sms/otp-text.ts';
import { routeSms, type MarketLoader, type SmsMarket } from '../../../src/sms/markets.ts';
import { isSmsError, type SmsErrorKind, type SmsProvider } from '../../../src/sms/provider.ts';
import { TtlCache } from '../../../src/sms/ttl-cache.ts';
import { DEFAULT_TOLERANCE_SECONDS, WebhookSignatureError, WebhookVerifier } from '../../../src/sms/webhook.ts';

export interface SendSmsDependencies {
  /** SEND_SMS_HOOK_SECRET: `v1,whsec_<base64>`, several separated by '|'. */
  secret: string;
  /** Active markets (wrap a database loader in cachedMarkets()). */
  loadMarkets: MarketLoader;
  /** The provider for a slug from markets.sms_provider; undefined when it is not configured. */
  provider: (name: string) => SmsProvider | undefined;
  /** Provider slug for numbers that match no market; without it such numbers are refused. */
  fallbackProvider?: string | undefined;
  /** Clock in ms (signature tolerance, duplicate memory). */
  now?: () => number;
  log?: Logger;
  /** Duplicate memory; one per handler by default. Exposed so tests can inspect it. */
  deliveries?: TtlCache<string, Promise<HookAnswer>>;
}

export interface HookAnswer {
  status: number;
  body: unknown;
}

/** Long enough to cover the signature tolerance, so a replay is either remembered or stale. */
export const DUPLICATE_MEMORY_MS = 2 * DEFAULT_TOLERANCE_SECONDS * 1000;

// Only what the handler uses; Auth sends much more (the whole user), which zod strips.
const Payload = z.object({
  user: z
    .object({
      id: z.string().optional(),
      phone: z.string().nullish(),
      user_metadata: z.record(z.string(), z.unknown()).nullish(),
    })
    .nullish(),
  sms: z.object({
    otp: z.string().regex(/^[0-9A-Za-z]{4,12}$/),
    phone: z.string().nullish(),
    sms_type: z.string().nullish(),
  }),
});

/** The messages users see, by what went wrong. */
const FAILURES: Record<SmsErrorKind | 'no_market' | 'bad_number' | 'internal', { httpCode: number; message: string }> = {
  invalid_number: { httpCode: 400, message: "This phone number can't receive SMS. Check the number and try again." },
  bad_number: { httpCode: 400, message: "This phone number can't receive SMS. Check the number and try again." },
  rejected: { httpCode: 400, message: "We couldn't send a code to this number. Check the number or try another one." },
  no_market: { httpCode: 400, message: "We can't send codes to phone numbers in this country yet." },
  rate_limited: { httpCode: 429, message: 'Too many codes are being sent right now. Please wait a minute and try again.' },
  unavailable: { httpCode: 503, message: "We can't send SMS codes right now. Please try again in a few minutes." },
  account: { httpCode: 503, message: "We can't send SMS codes right now. Please try again in a few minutes." },
  internal: { httpCode: 500, message: 'Something went wrong while sending your code. Please try again.' },
};

const SENT: HookAnswer = { status: 200, body: {} };

function failure(kind: keyof typeof FAILURES): HookAnswer {
  const { httpCode, message } = FAILURES[kind];
  return { status: 200, body: { error: { http_code: httpCode, message } } };
}

function respond(answer: HookAnswer): Response {
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
}

const defaultLogger: Logger = (message, fields) => console.log(JSON.stringify({ message, ...fields }));

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function stringField(record: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

export function createHandler(deps: SendSmsDependencies): (request: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? defaultLogger;
  const verifier = new WebhookVerifier(deps.secret, { now });
  const deliveries = deps.deliveries ?? new TtlCache<string, Promise<HookAnswer>>({ ttlMs: DUPLICATE_MEMORY_MS, now });

  async function deliver(webhookId: string, rawBody: string): Promise<HookAnswer> {
    let payload: z.infer<typeof Payload>;
    try {
      payload = Payload.parse(JSON.parse(rawBody));
    } catch (error) {
      // Issue paths and codes only: the values include the OTP.
      const issues = error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.')}:${issue.code}`) : ['json'];
      log('send-sms: invalid payload', { level: 'error', webhookId, issues });
      return failure('internal');
    }

    const phone = normalizePhone(payload.sms.phone || payload.user?.phone);
    const context: Record<string, unknown> = { webhookId, userId: payload.user?.id, smsType: payload.sms.sms_type ?? undefined };
    if (!phone) {
      log('send-sms: no usable phone number', { level: 'warn', ...context });
      return failure('bad_number');
    }
    context.to = maskPhone(phone);

    let market: SmsMarket | undefined;
    let providerName: string | undefined;
    try {
      ({ market, providerName } = routeSms(
        await deps.loadMarkets(), phone, stringField(payload.user?.user_metadata, 'market'), deps.fallbackProvider));
    } catch (error) {
      log('send-sms: markets unavailable', { level: 'error', ...context, error: error instanceof Error ? error.name : typeof error });
      return failure('unavailable');
    }
    context.market = market?.code;
    context.provider = providerName;
    if (!market && !providerName) {
      log('send-sms: no market for this number', { level: 'warn', ...context });
      return failure('no_market');
    }
    const provider = providerName ? deps.provider(providerName) : undefined;
    if (!provider) {
      log('send-sms: sms provider not configured', { level: 'error', ...context });
      return failure('unavailable');
    }

    const locale = chooseOtpLocale({
      requested: stringField(payload.user?.user_metadata, 'locale'),
      defaultLocale: market?.defaultLocale,
      locales: market?.locales,
    });
    context.locale = locale;
    try {
      const { providerMessageId } = await provider.send({
        to: phone,
        text: otpText(payload.sms.otp, locale, market?.name ?? 'Soko'),
        reference: webhookId,
      });
      log('send-sms: sent', { level: 'info', ...context, providerMessageId });
      return SENT;
    } catch (error) {
      if (isSmsError(error)) {
        log('send-sms: not sent', {
          level: error.kind === 'account' ? 'error' : 'warn',
          ...context,
          kind: error.kind,
          permanent: error.permanent,
          providerCode: error.providerCode,
          reason: error.message,
        });
        return failure(error.kind);
      }
      log('send-sms: provider crashed', { level: 'error', ...context, error: error instanceof Error ? error.name : typeof error });
      return failure('unavailable');
    }
  }

  return async (request) => {
    if (request.method !== 'POST') {
      return new Response(JSON.stringify({ error: { http_code: 405, message: 'Use POST.' } }), {
        status: 405,
        headers: { 'content-type': 'application/json', allow: 'POST' },
      });
    }
    const rawBody = await request.text();
    let webhookId: string;
    try {
      webhookId = verifier.verify(rawBody, request.headers).id;
    } catch (error) {
      const reason = error instanceof WebhookSignatureError ? error.reason : 'error';
      log('send-sms: rejected unsigned request', { level: 'warn', reason });
      return respond({ status: 401, body: { error: { http_code: 401, message: 'Invalid webhook signature.' } } });
    }

    const bodyKey = `body:${await sha256Hex(rawBody)}`;
    const idKey = `id:${webhookId}`;
    const earlier = deliveries.get(idKey) ?? deliveries.get(bodyKey);
    if (earlier) {
      log('send-sms: duplicate delivery, not sending again', { level: 'info', webhookId });
      return respond(await earlier);
    }
    const answer = deliver(webhookId, rawBody).catch((error: unknown) => {
      log('send-sms: unexpected failure', { level: 'error', webhookId, error: error instanceof Error ? error.name : typeof error });
      return failure('internal');
    });
    deliveries.set(idKey, answer);
    deliveries.set(bodyKey, answer);
    const settled = await answer;
    // A failure may be retried (by Auth or the user's "resend"); only a send is remembered.
    if (settled !== SENT) {
      deliveries.delete(idKey);
      deliveries.delete(bodyKey);
    }
    return respond(settled);
  };
}

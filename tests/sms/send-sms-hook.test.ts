// The Send SMS hook as Supabase Auth calls it: signed requests in, hook answers out.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHandler, DUPLICATE_MEMORY_MS, type SendSmsDependencies } from '../../supabase/functions/send-sms/handler.ts';
import { AfricasTalkingSmsProvider } from '../../src/sms/africas-talking.ts';
import { ArkeselSmsProvider } from '../../src/sms/arkesel.ts';
import { EskizSmsProvider } from '../../src/sms/eskiz.ts';
import { HubtelSmsProvider } from '../../src/sms/hubtel.ts';
import { SslWirelessSmsProvider } from '../../src/sms/ssl-wireless.ts';
import { TwilioSmsProvider } from '../../src/sms/twilio.ts';
import type { SmsMarket } from '../../src/sms/markets.ts';
import type { SmsProvider } from '../../src/sms/provider.ts';
import { VonageSmsProvider } from '../../src/sms/vonage.ts';
import {
  hookPayload,
  http,
  HttpResponse,
  mockProviders,
  newHookSecret,
  RecordingProvider,
  SEED_MARKETS,
  signedRequest,
} from './helpers.ts';

const server = mockProviders();

const NOW_SECONDS = 1_795_000_000;

interface Harness {
  handle: (request: Request) => Promise<Response>;
  providers: Record<string, RecordingProvider>;
  logs: string[];
  clock: { now: number };
  secret: string;
  /** A request signed now with the hook's secret. */
  sign: (body: unknown, options?: { id?: string; timestamp?: number }) => Request;
}

function harness(overrides: Partial<SendSmsDependencies> & { markets?: SmsMarket[]; real?: Record<string, SmsProvider> } = {}): Harness {
  const secret = newHookSecret();
  const clock = { now: NOW_SECONDS * 1000 };
  const logs: string[] = [];
  const providers: Record<string, RecordingProvider> = {};
  for (const name of ['hubtel', 'eskiz', 'vonage', 'ssl_wireless', 'twilio']) providers[name] = new RecordingProvider(name);
  const { markets = SEED_MARKETS, real = {}, ...deps } = overrides;
  const handle = createHandler({
    secret,
    loadMarkets: async () => markets,
    provider: (name) => real[name] ?? providers[name],
    now: () => clock.now,
    log: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
    ...deps,
  });
  return {
    handle,
    providers,
    logs,
    clock,
    secret,
    sign: (body, options = {}) =>
      signedRequest(body, { secret, timestamp: options.timestamp ?? Math.floor(clock.now / 1000), ...(options.id ? { id: options.id } : {}) }),
  };
}

async function answer(response: Response): Promise<{ status: number; contentType: string | null; body: unknown }> {
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.json() };
}

function allSent(h: Harness) {
  return Object.values(h.providers).flatMap((p) => p.sent.map((m) => ({ provider: p.name, ...m })));
}

const SENT = { status: 200, contentType: 'application/json', body: {} };

describe('a signed Send SMS hook call', () => {
  it('sends the code through the market provider and answers 200 {} as JSON', async () => {
    const h = harness();
    const response = await h.handle(h.sign(hookPayload('233201234567', '482913')));
    expect(await answer(response)).toEqual(SENT);
    expect(allSent(h)).toEqual([
      expect.objectContaining({ provider: 'hubtel', to: '233201234567', text: '482913 is your HandyGH code. Do not share it with anyone.' }),
    ]);
  });

  it.each([
    ['233201234567', 'hubtel', '482913 is your HandyGH code. Do not share it with anyone.'],
    ['998901234567', 'eskiz', '482913 - Xizmat tasdiqlash kodingiz. Uni hech kimga bermang.'],
    ['201001234567', 'vonage', 'رمز Souq Handmade الخاص بك هو 482913. لا تشاركه مع أي شخص.'],
    ['8801712345678', 'ssl_wireless', '482913 আপনার Nagorik Seba কোড। এটি কাউকে জানাবেন না।'],
  ])('routes %s to %s in the market language', async (phone, provider, text) => {
    const h = harness();
    expect(await answer(await h.handle(h.sign(hookPayload(phone, '482913'))))).toEqual(SENT);
    expect(allSent(h)).toEqual([expect.objectContaining({ provider, to: phone, text })]);
  });

  it('writes in the language the user chose at sign-up when the market offers it', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('998901234567', '482913', { locale: 'ru' })));
    await h.handle(h.sign(hookPayload('998901234567', '551177', { locale: 'de' })));
    expect(h.providers.eskiz!.sent.map((m) => m.text)).toEqual([
      '482913 — ваш код Xizmat. Никому его не сообщайте.',
      '551177 - Xizmat tasdiqlash kodingiz. Uni hech kimga bermang.',
    ]);
  });

  it('accepts the number with a leading + (as Auth documents it) or without (as Auth stores it)', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('+233201234567', '482913')));
    expect(h.providers.hubtel!.sent[0]!.to).toBe('233201234567');
  });

  it('sends to sms.phone when Auth gives one (a phone change, MFA) rather than the current number', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('233201234567', '482913', {}, { phone: '998901234567', sms_type: 'phone_change' })));
    expect(allSent(h)).toEqual([expect.objectContaining({ provider: 'eskiz', to: '998901234567' })]);
  });

  it('passes the webhook id to the provider as the message reference', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('233201234567', '482913'), { id: 'msg_reference_1' }));
    expect(h.providers.hubtel!.sent[0]!.reference).toBe('msg_reference_1');
  });

  it('uses the market the user signed up in when two markets share the country code', async () => {
    const markets: SmsMarket[] = [
      ...SEED_MARKETS,
      { code: 'gh-goods', name: 'SokoGH', phoneCountryCode: '233', smsProvider: 'twilio', defaultLocale: 'en', locales: ['en'] },
    ];
    const h = harness({ markets });
    await h.handle(h.sign(hookPayload('233201234567', '482913', { market: 'gh-goods' })));
    expect(allSent(h)).toEqual([expect.objectContaining({ provider: 'twilio', text: '482913 is your SokoGH code. Do not share it with anyone.' })]);
  });
});

describe('who may call the hook', () => {
  it('answers a request signed with another secret with 401 and sends nothing', async () => {
    const h = harness();
    const forged = signedRequest(hookPayload('233201234567', '482913'), { secret: newHookSecret(), timestamp: NOW_SECONDS });
    const response = await h.handle(forged);
    expect(response.status).toBe(401);
    expect(allSent(h)).toEqual([]);
  });

  it('answers a body changed after signing with 401 and sends nothing', async () => {
    const h = harness();
    const signed = h.sign(hookPayload('233201234567', '482913'));
    const tampered = new Request(signed.url, {
      method: 'POST',
      headers: signed.headers,
      body: JSON.stringify(hookPayload('233209999999', '482913')),
    });
    expect((await h.handle(tampered)).status).toBe(401);
    expect(allSent(h)).toEqual([]);
  });

  it.each([
    ['older than 5 minutes', -301],
    ['more than 5 minutes in the future', 301],
  ])('answers a request signed %s with 401 and sends nothing', async (_label, offset) => {
    const h = harness();
    const stale = h.sign(hookPayload('233201234567', '482913'), { timestamp: NOW_SECONDS + offset });
    expect((await h.handle(stale)).status).toBe(401);
    expect(allSent(h)).toEqual([]);
  });

  it('answers an unsigned request with 401 and sends nothing', async () => {
    const h = harness();
    const response = await h.handle(new Request('http://localhost/functions/v1/send-sms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hookPayload('233201234567', '482913')),
    }));
    expect(await answer(response)).toMatchObject({ status: 401, body: { error: { http_code: 401 } } });
    expect(allSent(h)).toEqual([]);
  });

  it('checks the signature before reading the body: the official test vector passes it, then fails validation', async () => {
    const vector = {
      secret: 'v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
      signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const h = harness({ secret: vector.secret, now: () => vector.timestamp * 1000 });
    const response = await h.handle(new Request('http://localhost/functions/v1/send-sms', {
      method: 'POST',
      headers: { 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': vector.signature },
      body: vector.body,
    }));
    expect(await answer(response)).toMatchObject({ status: 200, body: { error: { http_code: 500 } } });
    expect(h.logs.some((line) => line.includes('invalid payload'))).toBe(true);
    expect(allSent(h)).toEqual([]);
  });

  it('refuses other methods', async () => {
    const h = harness();
    expect((await h.handle(new Request('http://localhost/functions/v1/send-sms'))).status).toBe(405);
  });
});

describe('failures the user sees', () => {
  it.each([
    ['an invalid number', 'invalid_number', 400],
    ['a refused recipient', 'rejected', 400],
    ['a provider rate limit', 'rate_limited', 429],
    ['a provider outage', 'unavailable', 503],
    ['our provider account', 'account', 503],
  ] as const)('%s answers HTTP 200 with error.http_code %s', async (_label, kind, httpCode) => {
    const h = harness();
    h.providers.hubtel!.failWith = kind;
    const result = await answer(await h.handle(h.sign(hookPayload('233201234567', '482913'))));
    expect(result).toMatchObject({ status: 200, contentType: 'application/json', body: { error: { http_code: httpCode } } });
    expect((result.body as { error: { message: string } }).error.message).toMatch(/\w/);
  });

  it("turns Hubtel's documented invalid-destination answer into a 400 the user can act on", async () => {
    server.use(http.post('https://sms.hubtel.com/v1/messages/send', () =>
      HttpResponse.json({ status: 1, statusDescription: 'Invalid Destination address' }, { status: 400 })));
    const h = harness({ real: { hubtel: new HubtelSmsProvider({ clientId: 'id', clientSecret: 'secret', sender: 'HandyGH' }) } });
    expect(await answer(await h.handle(h.sign(hookPayload('233201234567', '482913'))))).toEqual({
      status: 200,
      contentType: 'application/json',
      body: { error: { http_code: 400, message: "This phone number can't receive SMS. Check the number and try again." } },
    });
  });

  it("turns Vonage's throttling status into a 429 and its outage into a 503", async () => {
    const statuses = ['1', '5'];
    server.use(http.post('https://rest.nexmo.com/sms/json', () =>
      HttpResponse.json({ 'message-count': '1', messages: [{ status: statuses.shift(), 'error-text': 'x' }] })));
    const h = harness({ real: { vonage: new VonageSmsProvider({ apiKey: 'k', apiSecret: 's', sender: 'Souq' }) } });
    const first = await answer(await h.handle(h.sign(hookPayload('201001234567', '482913'))));
    const second = await answer(await h.handle(h.sign(hookPayload('201001234567', '551177'))));
    expect([first.body, second.body]).toMatchObject([{ error: { http_code: 429 } }, { error: { http_code: 503 } }]);
  });

  // The other five adapters, each behind the hook, each answering as its documentation
  // says it refuses (the same shapes as tests/sms/adapters.test.ts).
  const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
  it.each<[string, SmsProvider, string, () => void, number]>([
    ['Arkesel (an invalid number)', new ArkeselSmsProvider({ apiKey: 'k', sender: 'HandyGH' }), '233201234567',
      () => server.use(http.post('https://sms.arkesel.com/api/v2/sms/send', () =>
        HttpResponse.json({ status: 'success', data: [{ 'invalid numbers': ['233201234567'] }] }))), 400],
    ["Africa's Talking (a refused API key)", new AfricasTalkingSmsProvider({ username: 'soko', apiKey: 'k' }), '233201234567',
      () => server.use(http.post('https://api.africastalking.com/version1/messaging', () =>
        new HttpResponse('The supplied authentication is invalid', { status: 401 }))), 503],
    ['Twilio (throttled)', new TwilioSmsProvider({ accountSid: TWILIO_SID, authToken: 't', from: '+15005550006' }), '233201234567',
      () => server.use(http.post(`https://api.twilio.com/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`, () =>
        HttpResponse.json({ code: 20429, message: 'Too Many Requests', status: 429 }, { status: 429 }))), 429],
    ['SSL Wireless (an invalid MSISDN)', new SslWirelessSmsProvider({ apiToken: 't', sid: 'NAGORIKSEBA' }), '8801781856861',
      () => server.use(http.post('https://smsplus.sslwireless.com/api/v3/send-sms', () =>
        HttpResponse.json({ status: 'FAILED', status_code: 4022, error_message: 'Invalid MSISDN' }))), 400],
    ['Eskiz (refused credentials)', new EskizSmsProvider({ email: 'e', password: 'p', sender: '4546' }), '998901234567',
      () => server.use(http.post('https://notify.eskiz.uz/api/auth/login', () =>
        HttpResponse.json({ message: 'Invalid credentials' }, { status: 401 }))), 503],
  ])('turns %s into error.http_code %s', async (_label, adapter, phone, answerWith, httpCode) => {
    answerWith();
    const market = SEED_MARKETS.find((m) => phone.startsWith(m.phoneCountryCode))!;
    const h = harness({ markets: [{ ...market, smsProvider: 'under_test' }], real: { under_test: adapter } });
    const result = await answer(await h.handle(h.sign(hookPayload(phone, '482913'))));
    expect(result).toMatchObject({ status: 200, contentType: 'application/json', body: { error: { http_code: httpCode } } });
    expect((result.body as { error: { message: string } }).error.message).toMatch(/\w/);
    expect(JSON.stringify(result.body)).not.toContain('482913');
    expect(h.logs.join('\n')).not.toContain('482913');
  });

  it('refuses a number in a country no market serves', async () => {
    const h = harness();
    const result = await answer(await h.handle(h.sign(hookPayload('14155550123', '482913'))));
    expect(result).toMatchObject({ status: 200, body: { error: { http_code: 400 } } });
    expect(allSent(h)).toEqual([]);
  });

  it('sends such a number through the fallback provider, in English, when one is configured', async () => {
    const h = harness({ fallbackProvider: 'twilio' });
    expect(await answer(await h.handle(h.sign(hookPayload('14155550123', '482913'))))).toEqual(SENT);
    expect(allSent(h)).toEqual([
      expect.objectContaining({ provider: 'twilio', to: '14155550123', text: '482913 is your Soko code. Do not share it with anyone.' }),
    ]);
  });

  it('refuses a payload without a usable number', async () => {
    const h = harness();
    const result = await answer(await h.handle(h.sign(hookPayload('not-a-number', '482913'))));
    expect(result).toMatchObject({ status: 200, body: { error: { http_code: 400 } } });
    expect(allSent(h)).toEqual([]);
  });

  it('reports an outage when the market provider is not configured, and tells operators', async () => {
    const h = harness({ provider: () => undefined });
    const result = await answer(await h.handle(h.sign(hookPayload('233201234567', '482913'))));
    expect(result).toMatchObject({ status: 200, body: { error: { http_code: 503 } } });
    expect(h.logs.some((line) => line.includes('not configured') && line.includes('"level":"error"'))).toBe(true);
  });

  it('reports an outage when a market has no SMS provider set', async () => {
    const h = harness({ markets: [{ ...SEED_MARKETS[0]!, smsProvider: null }] });
    expect(await answer(await h.handle(h.sign(hookPayload('233201234567', '482913'))))).toMatchObject({
      body: { error: { http_code: 503 } },
    });
  });

  it('reports an outage when the markets cannot be loaded', async () => {
    const h = harness({ loadMarkets: () => Promise.reject(new Error('connection refused')) });
    expect(await answer(await h.handle(h.sign(hookPayload('233201234567', '482913'))))).toMatchObject({
      body: { error: { http_code: 503 } },
    });
  });

  it('reports an internal error for a signed payload without an OTP', async () => {
    const h = harness();
    const payload = hookPayload('233201234567', '482913') as { sms: Record<string, unknown> };
    delete payload.sms.otp;
    expect(await answer(await h.handle(h.sign(payload)))).toMatchObject({ body: { error: { http_code: 500 } } });
  });
});

describe('duplicate deliveries', () => {
  it('sends once when the same webhook is delivered twice', async () => {
    const h = harness();
    const payload = hookPayload('233201234567', '482913');
    const first = h.sign(payload, { id: 'msg_duplicate' });
    const again = h.sign(payload, { id: 'msg_duplicate' });
    expect(await answer(await h.handle(first))).toEqual(SENT);
    expect(await answer(await h.handle(again))).toEqual(SENT);
    expect(h.providers.hubtel!.sent).toHaveLength(1);
  });

  it("sends once when Auth retries (Auth signs each attempt with a new webhook-id but the same body)", async () => {
    const h = harness();
    const payload = hookPayload('233201234567', '482913');
    await h.handle(h.sign(payload, { id: 'attempt-1' }));
    h.clock.now += 2_000;
    expect(await answer(await h.handle(h.sign(payload, { id: 'attempt-2' })))).toEqual(SENT);
    expect(h.providers.hubtel!.sent).toHaveLength(1);
  });

  it('sends once when the duplicate arrives while the first send is still under way', async () => {
    const h = harness();
    h.providers.hubtel!.delayMs = 30;
    const payload = hookPayload('233201234567', '482913');
    const answers = await Promise.all([h.handle(h.sign(payload, { id: 'msg_a' })), h.handle(h.sign(payload, { id: 'msg_a' }))]);
    expect(await Promise.all(answers.map(answer))).toEqual([SENT, SENT]);
    expect(h.providers.hubtel!.sent).toHaveLength(1);
  });

  it('sends a new code (a new body) every time', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('233201234567', '482913')));
    await h.handle(h.sign(hookPayload('233201234567', '551177')));
    expect(h.providers.hubtel!.sent.map((m) => m.text.slice(0, 6))).toEqual(['482913', '551177']);
  });

  it('tries again after a failure', async () => {
    const h = harness();
    const payload = hookPayload('233201234567', '482913');
    h.providers.hubtel!.failWith = 'unavailable';
    expect(await answer(await h.handle(h.sign(payload, { id: 'msg_retry' })))).toMatchObject({ body: { error: { http_code: 503 } } });
    h.providers.hubtel!.failWith = undefined;
    expect(await answer(await h.handle(h.sign(payload, { id: 'msg_retry' })))).toEqual(SENT);
    expect(h.providers.hubtel!.sent).toHaveLength(2);
  });

  it('remembers a webhook for longer than the signature tolerance, then forgets it', async () => {
    expect(DUPLICATE_MEMORY_MS).toBeGreaterThan(5 * 60 * 1000);
    const h = harness();
    const payload = hookPayload('233201234567', '482913');
    await h.handle(h.sign(payload, { id: 'msg_old' }));
    h.clock.now += DUPLICATE_MEMORY_MS + 1;
    await h.handle(h.sign(payload, { id: 'msg_old' }));
    expect(h.providers.hubtel!.sent).toHaveLength(2);
  });
});

describe('what the hook logs', () => {
  let consoleLines: string[];
  beforeEach(() => {
    consoleLines = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        consoleLines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it('never contains the code or the full number, whether the send succeeds or fails', async () => {
    const h = harness({
      real: {
        vonage: new VonageSmsProvider({ apiKey: 'k', apiSecret: 's', sender: 'Souq' }),
      },
    });
    server.use(http.post('https://rest.nexmo.com/sms/json', () =>
      HttpResponse.json({ messages: [{ status: '3', 'error-text': 'Invalid text: 739104 to 201001234567' }] })));
    await h.handle(h.sign(hookPayload('233201234567', '739104')));
    h.providers.eskiz!.failWith = 'invalid_number';
    await h.handle(h.sign(hookPayload('998901234567', '739104')));
    await h.handle(h.sign(hookPayload('201001234567', '739104')));
    await h.handle(h.sign(hookPayload('14155550123', '739104')));
    await h.handle(signedRequest(hookPayload('233201234567', '739104'), { secret: newHookSecret(), timestamp: NOW_SECONDS }));

    const everything = [...h.logs, ...consoleLines].join('\n');
    expect(h.logs.length).toBeGreaterThanOrEqual(5);
    expect(everything).not.toContain('739104');
    for (const phone of ['233201234567', '998901234567', '201001234567', '14155550123']) expect(everything).not.toContain(phone);
    expect(everything).toContain('233•••••••67');
  });

  it('logs each send with its market, provider, masked number and the provider message id', async () => {
    const h = harness();
    await h.handle(h.sign(hookPayload('998901234567', '739104', { locale: 'ru' }), { id: 'msg_logged' }));
    expect(JSON.parse(h.logs.at(-1)!)).toMatchObject({
      message: 'send-sms: sent',
      level: 'info',
      webhookId: 'msg_logged',
      market: 'uz',
      provider: 'eskiz',
      locale: 'ru',
      to: '998•••••••67',
      providerMessageId: 'eskiz-1',
    });
  });
});

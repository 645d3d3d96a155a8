// Each adapter against its provider's documented request and answers (see the header
// of each src/sms/<provider>.ts for the source of every shape used here).
import { delay } from 'msw';
import { describe, expect, it } from 'vitest';
import { AfricasTalkingSmsProvider } from '../../src/sms/africas-talking.ts';
import { ArkeselSmsProvider } from '../../src/sms/arkesel.ts';
import { EskizSmsProvider } from '../../src/sms/eskiz.ts';
import { HubtelSmsProvider } from '../../src/sms/hubtel.ts';
import { SslWirelessSmsProvider } from '../../src/sms/ssl-wireless.ts';
import { TwilioSmsProvider } from '../../src/sms/twilio.ts';
import { isGsm7, VonageSmsProvider } from '../../src/sms/vonage.ts';
import { basic, capture, form, http, HttpResponse, mockProviders, smsError, type CapturedRequest } from './helpers.ts';

const server = mockProviders();

/** Answers one URL with `reply`, keeping every request it got. */
function expectPost(url: string, reply: (request: CapturedRequest) => Response | Promise<Response>): CapturedRequest[] {
  const seen: CapturedRequest[] = [];
  server.use(
    http.post(url, async ({ request }) => {
      const captured = await capture(request);
      seen.push(captured);
      return await reply(captured);
    }),
  );
  return seen;
}

const TEXT = '482913 is your HandyGH code. Do not share it with anyone.';

describe('Hubtel', () => {
  const URL = 'https://sms.hubtel.com/v1/messages/send';
  const hubtel = () => new HubtelSmsProvider({ clientId: 'qoohqvcp', clientSecret: 'sgrorne', sender: 'HandyGH' });

  it('posts {From, To, Content} as JSON with Basic clientId:clientSecret and returns the messageId', async () => {
    const seen = expectPost(URL, () =>
      HttpResponse.json({
        rate: 0.0309,
        messageId: '9c5f3edc-529e-4182-959b-aeb17b9ddad4',
        status: 0,
        networkId: '62001',
        clientReference: null,
        statusDescription: 'request submitted successfully',
      }, { status: 201 }));
    await expect(hubtel().send({ to: '233546335113', text: TEXT })).resolves.toEqual({
      providerMessageId: '9c5f3edc-529e-4182-959b-aeb17b9ddad4',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.headers.get('authorization')).toBe(basic('qoohqvcp', 'sgrorne'));
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ From: 'HandyGH', To: '233546335113', Content: TEXT });
  });

  it('sends digits only, whatever the caller passed, and honours a per-message sender', async () => {
    const seen = expectPost(URL, () => HttpResponse.json({ messageId: 'm-1', status: 0 }));
    await hubtel().send({ to: '+233546335113', text: TEXT, sender: 'Soko' });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ From: 'Soko', To: '233546335113' });
  });

  it.each([
    ['an invalid destination (400, subcode 1)', 400, { status: 1, statusDescription: 'Invalid Destination address' }, 'invalid_number', true],
    ['a number not routable on Hubtel (400, subcode 4)', 400, { status: 4 }, 'invalid_number', true],
    ['an unregistered sender (400, subcode 2)', 400, { status: 2 }, 'account', false],
    ['a recipient who has not approved messages (403)', 403, {}, 'rejected', true],
    ['missing credit (402)', 402, {}, 'account', false],
    ['refused credentials (401)', 401, {}, 'account', false],
    ['a server failure (500)', 500, {}, 'unavailable', false],
    ['a bad gateway (502)', 502, {}, 'unavailable', false],
  ])('reports %s as %s (permanent: %s)', async (_label, status, body, kind, permanent) => {
    expectPost(URL, () => HttpResponse.json(body, { status }));
    const error = await smsError(hubtel().send({ to: '233546335113', text: TEXT }));
    expect(error).toMatchObject({ provider: 'hubtel', kind });
    expect(error.permanent).toBe(permanent);
  });

  it('reports a rate limit with its Retry-After', async () => {
    expectPost(URL, () => HttpResponse.json({}, { status: 429, headers: { 'retry-after': '30' } }));
    expect(await smsError(hubtel().send({ to: '233546335113', text: TEXT }))).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 30 });
  });

  it('gives up after its timeout and reports the provider unavailable', async () => {
    expectPost(URL, async () => {
      await delay(2_000);
      return HttpResponse.json({ messageId: 'late', status: 0 });
    });
    const slow = new HubtelSmsProvider({ clientId: 'a', clientSecret: 'b', sender: 'HandyGH', timeoutMs: 50 });
    expect(await smsError(slow.send({ to: '233546335113', text: TEXT }))).toMatchObject({ kind: 'unavailable', providerCode: 'timeout' });
  });

  it('reports a network failure as unavailable', async () => {
    server.use(http.post(URL, () => HttpResponse.error()));
    expect(await smsError(hubtel().send({ to: '233546335113', text: TEXT }))).toMatchObject({ kind: 'unavailable', providerCode: 'network' });
  });
});

describe('Arkesel', () => {
  const URL = 'https://sms.arkesel.com/api/v2/sms/send';
  const arkesel = () => new ArkeselSmsProvider({ apiKey: 'cE9QRUk-key', sender: 'HandyGH' });

  it('posts {sender, message, recipients} as JSON with the api-key header and returns the recipient id', async () => {
    const seen = expectPost(URL, () =>
      HttpResponse.json({ status: 'success', data: [{ recipient: '233544919953', id: '9b752841-7ee7-4d40-b4fe-768bfb1da4f0' }] }));
    await expect(arkesel().send({ to: '+233544919953', text: TEXT })).resolves.toEqual({
      providerMessageId: '9b752841-7ee7-4d40-b4fe-768bfb1da4f0',
    });
    expect(seen[0]!.headers.get('api-key')).toBe('cE9QRUk-key');
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ sender: 'HandyGH', message: TEXT, recipients: ['233544919953'] });
  });

  it('reports a number Arkesel lists under "invalid numbers" as an invalid number', async () => {
    expectPost(URL, () => HttpResponse.json({ status: 'success', data: [{ 'invalid numbers': ['2335449'] }] }));
    const error = await smsError(arkesel().send({ to: '2335449', text: TEXT }));
    expect(error).toMatchObject({ kind: 'invalid_number' });
    expect(error.permanent).toBe(true);
  });

  it.each([
    [401, { status: 'error', message: 'Unauthorized' }, 'account'],
    [402, { status: 'error', message: 'Insufficient balance' }, 'account'],
    [422, { status: 'error', message: 'The sender field is required' }, 'account'],
    [503, {}, 'unavailable'],
  ])('reports HTTP %s as %s', async (status, body, kind) => {
    expectPost(URL, () => HttpResponse.json(body, { status }));
    expect(await smsError(arkesel().send({ to: '233544919953', text: TEXT }))).toMatchObject({ kind });
  });
});

describe("Africa's Talking", () => {
  const URL = 'https://api.africastalking.com/version1/messaging';
  const at = (sender?: string) => new AfricasTalkingSmsProvider({ username: 'soko', apiKey: 'at-key', sender });
  const answer = (recipient: Record<string, unknown>) =>
    HttpResponse.json({ SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [recipient] } }, { status: 201 });

  it('posts a form (username, to with +, message, from) with the apiKey header and returns the messageId', async () => {
    const seen = expectPost(URL, () =>
      answer({ statusCode: 101, number: '+254711000111', status: 'Success', cost: 'KES 0.8000', messageId: 'ATXid_SampleTxnId123' }));
    await expect(at('SOKO').send({ to: '254711000111', text: TEXT })).resolves.toEqual({ providerMessageId: 'ATXid_SampleTxnId123' });
    const request = seen[0]!;
    expect(request.headers.get('apikey')).toBe('at-key');
    expect(request.headers.get('accept')).toBe('application/json');
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(form(request.body)).toEqual({ username: 'soko', to: '+254711000111', message: TEXT, from: 'SOKO' });
  });

  it('leaves `from` out when no sender is configured, and uses the sandbox host for the sandbox user', async () => {
    const seen = expectPost('https://api.sandbox.africastalking.com/version1/messaging', () =>
      answer({ statusCode: 102, number: '+254711000111', status: 'Queued', messageId: 'ATXid_2' }));
    const sandbox = new AfricasTalkingSmsProvider({ username: 'sandbox', apiKey: 'k' });
    await expect(sandbox.send({ to: '254711000111', text: TEXT })).resolves.toEqual({ providerMessageId: 'ATXid_2' });
    expect(form(seen[0]!.body)).not.toHaveProperty('from');
  });

  it.each([
    [403, 'InvalidPhoneNumber', 'invalid_number', true],
    [404, 'UnsupportedNumberType', 'invalid_number', true],
    [406, 'UserInBlacklist', 'rejected', true],
    [405, 'InsufficientBalance', 'account', false],
    [402, 'InvalidSenderId', 'account', false],
    [500, 'InternalServerError', 'unavailable', false],
  ])('reports recipient status %s %s as %s (permanent: %s)', async (statusCode, status, kind, permanent) => {
    expectPost(URL, () => answer({ statusCode, number: '+254711000111', status, cost: '0', messageId: 'None' }));
    const error = await smsError(at().send({ to: '254711000111', text: TEXT }));
    expect(error).toMatchObject({ kind, providerCode: String(statusCode) });
    expect(error.permanent).toBe(permanent);
  });

  it('reports an answer without recipients that names an invalid number', async () => {
    expectPost(URL, () => HttpResponse.json({ SMSMessageData: { Message: 'InvalidPhoneNumber', Recipients: [] } }, { status: 201 }));
    expect(await smsError(at().send({ to: '2547', text: TEXT }))).toMatchObject({ kind: 'invalid_number' });
  });

  it('reports a refused API key as an account problem', async () => {
    expectPost(URL, () => new HttpResponse('The supplied authentication is invalid', { status: 401 }));
    expect(await smsError(at().send({ to: '254711000111', text: TEXT }))).toMatchObject({ kind: 'account' });
  });
});

describe('Twilio', () => {
  const SID = 'AC0123456789abcdef0123456789abcdef';
  const URL = `https://api.twilio.com/2010-04-01/Accounts/${SID}/Messages.json`;
  const twilio = (options: { from?: string; messagingServiceSid?: string } = { from: '+15005550006' }) =>
    new TwilioSmsProvider({ accountSid: SID, authToken: 'auth-token', ...options });

  it('posts a form (To with +, From, Body) with Basic AccountSid:AuthToken and returns the sid', async () => {
    const seen = expectPost(URL, () =>
      HttpResponse.json({ sid: 'SM1234567890abcdef1234567890abcdef', status: 'queued', to: '+233201234567' }, { status: 201 }));
    await expect(twilio().send({ to: '233201234567', text: TEXT })).resolves.toEqual({ providerMessageId: 'SM1234567890abcdef1234567890abcdef' });
    const request = seen[0]!;
    expect(request.headers.get('authorization')).toBe(basic(SID, 'auth-token'));
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(form(request.body)).toEqual({ To: '+233201234567', From: '+15005550006', Body: TEXT });
  });

  it('sends through a Messaging Service when no From is configured', async () => {
    const seen = expectPost(URL, () => HttpResponse.json({ sid: 'SM2', status: 'accepted' }, { status: 201 }));
    await twilio({ messagingServiceSid: 'MG0123' }).send({ to: '233201234567', text: TEXT });
    expect(form(seen[0]!.body)).toEqual({ To: '+233201234567', MessagingServiceSid: 'MG0123', Body: TEXT });
  });

  it('needs a From or a Messaging Service', () => {
    expect(() => new TwilioSmsProvider({ accountSid: SID, authToken: 't' })).toThrow(/from/);
  });

  it.each([
    [400, 21211, "The 'To' number 5551234567 is not a valid phone number.", 'invalid_number', true],
    [400, 21614, "'To' number is not a valid mobile number", 'invalid_number', true],
    [400, 21610, 'Attempt to send to unsubscribed recipient', 'rejected', true],
    [400, 21408, 'Permission to send an SMS has not been enabled for the region', 'account', false],
    [401, 20003, 'Authenticate', 'account', false],
    [429, 20429, 'Too Many Requests', 'rate_limited', false],
    [500, 20500, 'Internal Server Error', 'unavailable', false],
  ])('reports HTTP %s error %s as %s (permanent: %s)', async (status, code, message, kind, permanent) => {
    expectPost(URL, () => HttpResponse.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, { status }));
    const error = await smsError(twilio().send({ to: '233201234567', text: TEXT }));
    expect(error).toMatchObject({ kind, providerCode: String(code) });
    expect(error.permanent).toBe(permanent);
    expect(error.message).not.toContain('5551234567');
  });
});

describe('SSL Wireless', () => {
  const URL = 'https://smsplus.sslwireless.com/api/v3/send-sms';
  const ssl = () => new SslWirelessSmsProvider({ apiToken: '1279-98d2bb25-3f7e', sid: 'NAGORIKSEBA' });

  it('posts {api_token, sid, msisdn, sms, csms_id} as JSON and returns the reference id', async () => {
    const seen = expectPost(URL, () =>
      HttpResponse.json({
        status: 'SUCCESS',
        status_code: 200,
        error_message: '',
        smsinfo: [{
          sms_status: 'SUCCESS',
          status_message: 'Success',
          msisdn: '8801781856861',
          sms_type: 'UNICODE',
          sms_body: 'redacted',
          csms_id: '644f9ad337562',
          reference_id: '644f9ad37a867181381',
        }],
      }));
    const bengali = '482913 আপনার Nagorik Seba কোড। এটি কাউকে জানাবেন না।';
    await expect(ssl().send({ to: '+8801781856861', text: bengali, reference: 'c7d6f3a2-4b1e-4c55-9a1b-2f6e8d9c0b1a' })).resolves.toEqual({
      providerMessageId: '644f9ad37a867181381',
    });
    const body = JSON.parse(seen[0]!.body) as Record<string, string>;
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');
    expect(body).toMatchObject({ api_token: '1279-98d2bb25-3f7e', sid: 'NAGORIKSEBA', msisdn: '8801781856861', sms: bengali });
    expect(body.csms_id).toMatch(/^[A-Za-z0-9]{1,20}$/);
    expect(body.csms_id).toBe('4b1e4c559a1b2f6e8d9c0b1a'.slice(-20));
  });

  it('makes up a unique csms_id when given no reference', async () => {
    const seen = expectPost(URL, () =>
      HttpResponse.json({ status: 'SUCCESS', status_code: 200, smsinfo: [{ sms_status: 'SUCCESS', reference_id: 'r' }] }));
    await ssl().send({ to: '8801781856861', text: 'a' });
    await ssl().send({ to: '8801781856861', text: 'a' });
    const ids = seen.map((request) => (JSON.parse(request.body) as { csms_id: string }).csms_id);
    expect(new Set(ids).size).toBe(2);
  });

  it.each([
    [{ status: 'FAILED', status_code: 4022, error_message: 'Invalid MSISDN' }, 'invalid_number'],
    [{ status: 'FAILED', status_code: 4001, error_message: 'Unauthorized api_token' }, 'account'],
    [{ status: 'FAILED', status_code: 4025, error_message: 'Insufficient balance' }, 'account'],
  ])('reports a refusal %j as %s', async (body, kind) => {
    expectPost(URL, () => HttpResponse.json(body));
    expect(await smsError(ssl().send({ to: '8801781856861', text: 'x' }))).toMatchObject({ kind });
  });

  it('reports a rate limit with its Retry-After, and a server error or an outage as unavailable', async () => {
    expectPost(URL, () => HttpResponse.json({}, { status: 429, headers: { 'retry-after': '20' } }));
    expect(await smsError(ssl().send({ to: '8801781856861', text: 'x' }))).toMatchObject({ kind: 'rate_limited', retryAfterSeconds: 20 });
    expectPost(URL, () => HttpResponse.text('Bad Gateway', { status: 502 }));
    expect(await smsError(ssl().send({ to: '8801781856861', text: 'x' }))).toMatchObject({ kind: 'unavailable' });
    expectPost(URL, () => HttpResponse.json({ status: 'FAILED', status_code: 5001, error_message: 'Internal error' }));
    expect(await smsError(ssl().send({ to: '8801781856861', text: 'x' }))).toMatchObject({ kind: 'unavailable' });
    server.use(http.post(URL, () => HttpResponse.error()));
    expect(await smsError(ssl().send({ to: '8801781856861', text: 'x' }))).toMatchObject({ kind: 'unavailable', providerCode: 'network' });
  });
});

describe('Eskiz', () => {
  const LOGIN = 'https://notify.eskiz.uz/api/auth/login';
  const SEND = 'https://notify.eskiz.uz/api/message/sms/send';
  const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
  const jwt = (expSeconds: number, n = 1) =>
    `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ exp: expSeconds, n })).toString('base64url')}.sig`;
  const THIRTY_DAYS = 30 * 24 * 3600;

  function eskiz(clock: { now: number }) {
    return new EskizSmsProvider({ email: 'ops@soko.test', password: 'secret-pw', sender: '4546', now: () => clock.now });
  }

  function loginAnswers(tokens: string[]): CapturedRequest[] {
    let i = 0;
    return expectPost(LOGIN, () =>
      HttpResponse.json({ message: 'token_generated', data: { token: tokens[Math.min(i++, tokens.length - 1)] }, token_type: 'bearer' }));
  }

  it('logs in with a form, then posts the SMS as a form with the Bearer token', async () => {
    const token = jwt(NOW / 1000 + THIRTY_DAYS);
    const logins = loginAnswers([token]);
    const sends = expectPost(SEND, () =>
      HttpResponse.json({ id: 'e837dec2-2f5a-44a9-a1d1-6fcc13e94d86', message: 'Waiting for SMS provider', status: 'waiting' }));
    await expect(eskiz({ now: NOW }).send({ to: '+998901234567', text: TEXT })).resolves.toEqual({
      providerMessageId: 'e837dec2-2f5a-44a9-a1d1-6fcc13e94d86',
    });
    expect(logins[0]!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(form(logins[0]!.body)).toEqual({ email: 'ops@soko.test', password: 'secret-pw' });
    expect(sends[0]!.headers.get('authorization')).toBe(`Bearer ${token}`);
    expect(form(sends[0]!.body)).toEqual({ mobile_phone: '998901234567', message: TEXT, from: '4546' });
  });

  it('caches the token: many sends, one login', async () => {
    const logins = loginAnswers([jwt(NOW / 1000 + THIRTY_DAYS)]);
    const sends = expectPost(SEND, () => HttpResponse.json({ id: 'x', status: 'waiting' }));
    const provider = eskiz({ now: NOW });
    await Promise.all([provider.send({ to: '998901234567', text: 'a' }), provider.send({ to: '998901234568', text: 'b' })]);
    await provider.send({ to: '998901234569', text: 'c' });
    expect(logins).toHaveLength(1);
    expect(sends).toHaveLength(3);
  });

  it('logs in again when the token nears its expiry', async () => {
    const clock = { now: NOW };
    const first = jwt(NOW / 1000 + 2 * 3600, 1);
    const second = jwt(NOW / 1000 + THIRTY_DAYS, 2);
    const logins = loginAnswers([first, second]);
    const sends = expectPost(SEND, () => HttpResponse.json({ id: 'x', status: 'waiting' }));
    const provider = eskiz(clock);
    await provider.send({ to: '998901234567', text: 'a' });
    clock.now += 90 * 60 * 1000; // 30 minutes left: inside the renewal margin
    await provider.send({ to: '998901234567', text: 'b' });
    expect(logins).toHaveLength(2);
    expect(sends.map((s) => s.headers.get('authorization'))).toEqual([`Bearer ${first}`, `Bearer ${second}`]);
  });

  it('logs in again once and retries when Eskiz answers 401', async () => {
    const stale = jwt(NOW / 1000 + THIRTY_DAYS, 1);
    const fresh = jwt(NOW / 1000 + THIRTY_DAYS, 2);
    const logins = loginAnswers([stale, fresh]);
    const sends = expectPost(SEND, ({ headers }) =>
      headers.get('authorization') === `Bearer ${stale}`
        ? HttpResponse.json({ status: 'token-invalid', message: 'Expired' }, { status: 401 })
        : HttpResponse.json({ id: 'after-renewal', status: 'waiting' }));
    await expect(eskiz({ now: NOW }).send({ to: '998901234567', text: 'a' })).resolves.toEqual({ providerMessageId: 'after-renewal' });
    expect(logins).toHaveLength(2);
    expect(sends).toHaveLength(2);
  });

  it('reports refused login credentials as an account problem', async () => {
    expectPost(LOGIN, () => HttpResponse.json({ message: 'Invalid credentials' }, { status: 401 }));
    expect(await smsError(eskiz({ now: NOW }).send({ to: '998901234567', text: 'a' }))).toMatchObject({ kind: 'account' });
  });

  it.each([
    [400, { status: 'error', message: 'Invalid mobile_phone' }, 'invalid_number'],
    [400, { status: 'error', message: 'This text has not passed template moderation' }, 'account'],
    [429, { message: 'Too many requests' }, 'rate_limited'],
    [500, {}, 'unavailable'],
  ])('reports a send refused with HTTP %s %j as %s', async (status, body, kind) => {
    loginAnswers([jwt(NOW / 1000 + THIRTY_DAYS)]);
    expectPost(SEND, () => HttpResponse.json(body, { status }));
    expect(await smsError(eskiz({ now: NOW }).send({ to: '998901234567', text: 'a' }))).toMatchObject({ kind });
  });
});

describe('Vonage', () => {
  const URL = 'https://rest.nexmo.com/sms/json';
  const vonage = () => new VonageSmsProvider({ apiKey: 'abcd1234', apiSecret: 'vonage-secret', sender: 'SouqHandmade' });
  const accepted = () =>
    HttpResponse.json({
      'message-count': '1',
      messages: [{ to: '201001234567', 'message-id': '0C000000217B7F02', status: '0', 'remaining-balance': '15.53590000', 'message-price': '0.03330000', network: '60202' }],
    });

  it('posts a form (api_key, api_secret, from, to, text) and returns the message-id', async () => {
    const seen = expectPost(URL, accepted);
    await expect(vonage().send({ to: '+201001234567', text: TEXT })).resolves.toEqual({ providerMessageId: '0C000000217B7F02' });
    expect(seen[0]!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(form(seen[0]!.body)).toEqual({ api_key: 'abcd1234', api_secret: 'vonage-secret', from: 'SouqHandmade', to: '201001234567', text: TEXT });
  });

  it('marks Arabic text as unicode and passes the reference as client-ref', async () => {
    const seen = expectPost(URL, accepted);
    const arabic = 'رمز Souq Handmade الخاص بك هو 482913. لا تشاركه مع أي شخص.';
    await vonage().send({ to: '201001234567', text: arabic, reference: 'hook-msg-1' });
    expect(form(seen[0]!.body)).toMatchObject({ text: arabic, type: 'unicode', 'client-ref': 'hook-msg-1' });
  });

  it('tells GSM 7-bit text from text that needs Unicode', () => {
    expect(isGsm7('482913 is your Xizmat code. {ok} €5 @home')).toBe(true);
    expect(isGsm7("482913 - Xizmat tasdiqlash kodingiz. Uni hech kimga bermang.")).toBe(true);
    expect(isGsm7('482913 — ваш код')).toBe(false);
    expect(isGsm7('482913 আপনার')).toBe(false);
  });

  it.each([
    ['6', 'Invalid Message', 'invalid_number', true],
    ['7', 'Number barred', 'rejected', true],
    ['1', 'Throttled', 'rate_limited', false],
    ['4', 'Bad Credentials', 'account', false],
    ['9', 'Partner quota exceeded', 'account', false],
    ['5', 'Internal Error', 'unavailable', false],
  ])('reports status %s (%s) as %s (permanent: %s)', async (status, errorText, kind, permanent) => {
    expectPost(URL, () => HttpResponse.json({ 'message-count': '1', messages: [{ status, 'error-text': errorText }] }));
    const error = await smsError(vonage().send({ to: '201001234567', text: TEXT }));
    expect(error).toMatchObject({ kind, providerCode: status });
    expect(error.permanent).toBe(permanent);
  });
});

describe('every adapter', () => {
  it('never puts the message text (and so the code) into its error', async () => {
    server.use(http.post('https://rest.nexmo.com/sms/json', () =>
      HttpResponse.json({ messages: [{ status: '3', 'error-text': 'Invalid text 482913 for 201001234567' }] })));
    const error = await smsError(new VonageSmsProvider({ apiKey: 'k', apiSecret: 's', sender: 'S' }).send({ to: '201001234567', text: TEXT }));
    expect(error.message).not.toContain('482913');
    expect(error.message).not.toContain('201001234567');
  });
});

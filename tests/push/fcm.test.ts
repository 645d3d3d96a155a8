// The FCM HTTP v1 client and its Google OAuth tokens, against msw stand-ins for
// oauth2.googleapis.com and fcm.googleapis.com. The service account key is a throwaway
// RSA key made here; no real credential is involved.
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FcmClient, fcmFromEnv, fcmRequestBody, parseRetryAfter, type PushMessage } from '../../src/push/fcm.ts';
import { FCM_SCOPE, GOOGLE_TOKEN_URL, GoogleServiceAccountTokens, parseServiceAccount, PushConfigError, type ServiceAccount } from '../../src/push/google-auth.ts';

const PROJECT = 'soko-test';
const SEND_URL = `https://fcm.googleapis.com/v1/projects/${PROJECT}/messages:send`;

let account: ServiceAccount;
let publicKey: CryptoKey;

beforeAll(async () => {
  const keys = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  publicKey = keys.publicKey;
  account = {
    type: 'service_account',
    project_id: PROJECT,
    private_key_id: 'test-key-1',
    private_key: await exportPKCS8(keys.privateKey),
    client_email: 'push-sender@soko-test.iam.gserviceaccount.com',
    token_uri: GOOGLE_TOKEN_URL,
  };
});

// --- msw stand-ins -----------------------------------------------------------

interface TokenRequest {
  grantType: string | null;
  assertion: string;
}
const tokenRequests: TokenRequest[] = [];
const sendRequests: { authorization: string | null; body: { message: Record<string, unknown> } }[] = [];
let nextAccessToken = 1;
/** Answers for successive sends; the last one repeats. */
let fcmAnswers: (() => Response)[] = [];

const server = setupServer(
  http.post(GOOGLE_TOKEN_URL, async ({ request }) => {
    const form = new URLSearchParams(await request.text());
    tokenRequests.push({ grantType: form.get('grant_type'), assertion: form.get('assertion') ?? '' });
    return HttpResponse.json({ access_token: `ya29.test-${nextAccessToken++}`, expires_in: 3599, token_type: 'Bearer' });
  }),
  http.post(SEND_URL, async ({ request }) => {
    sendRequests.push({ authorization: request.headers.get('authorization'), body: (await request.json()) as { message: Record<string, unknown> } });
    const answer = fcmAnswers.length > 1 ? fcmAnswers.shift()! : fcmAnswers[0];
    return answer ? answer() : HttpResponse.json({ name: `projects/${PROJECT}/messages/0:${sendRequests.length}` });
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  tokenRequests.length = 0;
  sendRequests.length = 0;
  fcmAnswers = [];
  nextAccessToken = 1;
});
afterAll(() => server.close());

// FCM's documented error shapes (firebase.google.com/docs/cloud-messaging/error-codes).
function fcmError(status: number, canonical: string, message: string, details: unknown[] = [], headers: Record<string, string> = {}): () => Response {
  return () => HttpResponse.json({ error: { code: status, message, status: canonical, details } }, { status, headers });
}
const fcmCode = (errorCode: string) => ({ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode });

function client(options: { now?: () => number; sleeps?: number[] } = {}) {
  const now = options.now ?? Date.now;
  const tokens = new GoogleServiceAccountTokens(account, { now });
  const fcm = new FcmClient({
    projectId: PROJECT,
    tokens,
    now,
    random: () => 0.5,
    sleep: async (ms) => {
      options.sleeps?.push(ms);
    },
  });
  return { fcm, tokens };
}

const message: PushMessage = {
  token: 'device-token-aaaaaaaaaaaaaaaa',
  title: 'HandyGH',
  body: 'Kwame confirmed your booking',
  data: { notification_id: 'n-1', template_key: 'booking.confirmed' },
  collapseKey: 'booking:b-1',
};

// --- OAuth -------------------------------------------------------------------

describe('Google OAuth for FCM', () => {
  it('signs a service-account assertion with the right iss, scope, aud and lifetime', async () => {
    const issuedAt = 1_800_000_000;
    const { tokens } = client({ now: () => issuedAt * 1000 });
    await tokens.get();
    expect(tokenRequests).toHaveLength(1);
    const [request] = tokenRequests;
    expect(request!.grantType).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(decodeProtectedHeader(request!.assertion)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'test-key-1' });
    const { payload } = await jwtVerify(request!.assertion, publicKey, {
      algorithms: ['RS256'],
      currentDate: new Date(issuedAt * 1000),
    });
    expect(payload).toEqual({
      iss: 'push-sender@soko-test.iam.gserviceaccount.com',
      scope: FCM_SCOPE,
      aud: 'https://oauth2.googleapis.com/token',
      iat: issuedAt,
      exp: issuedAt + 3600,
    });
  });

  it('fetches one access token for a whole batch and reuses it until shortly before expiry', async () => {
    let clock = Date.UTC(2026, 10, 21, 10, 0, 0);
    const { fcm } = client({ now: () => clock });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => fcm.send({ ...message, token: `device-token-${i}-aaaaaaaaaaaa` })));
    expect(results.every((r) => r.outcome === 'sent')).toBe(true);
    expect(tokenRequests).toHaveLength(1);
    expect(new Set(sendRequests.map((r) => r.authorization))).toEqual(new Set(['Bearer ya29.test-1']));

    clock += 50 * 60_000; // 50 minutes: still more than 5 minutes left
    await fcm.send(message);
    expect(tokenRequests).toHaveLength(1);

    clock += 6 * 60_000; // 56 minutes: inside the refresh margin
    await fcm.send(message);
    expect(tokenRequests).toHaveLength(2);
    expect(sendRequests.at(-1)?.authorization).toBe('Bearer ya29.test-2');
  });

  it('refreshes a rejected access token once and resends', async () => {
    const { fcm } = client();
    fcmAnswers = [fcmError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'), () => HttpResponse.json({ name: 'projects/soko-test/messages/ok' })];
    const result = await fcm.send(message);
    expect(result).toEqual({ outcome: 'sent', messageId: 'projects/soko-test/messages/ok', attempts: 1 });
    expect(tokenRequests).toHaveLength(2);
    expect(sendRequests.map((r) => r.authorization)).toEqual(['Bearer ya29.test-1', 'Bearer ya29.test-2']);
  });

  it('remembers a refused assertion briefly instead of asking Google once per message', async () => {
    server.use(http.post(GOOGLE_TOKEN_URL, () => {
      tokenRequests.push({ grantType: null, assertion: '' });
      return HttpResponse.json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, { status: 400 });
    }));
    const { fcm } = client();
    const results = await Promise.all([fcm.send(message), fcm.send(message), fcm.send(message)]);
    for (const result of results) expect(result).toMatchObject({ outcome: 'retry', code: 'OAUTH_INVALID_GRANT' });
    expect(tokenRequests).toHaveLength(1);
    expect(sendRequests).toHaveLength(0);
  });
});

// --- Sending -----------------------------------------------------------------

describe('FCM HTTP v1 send', () => {
  it('sends a notification message and returns FCM\'s message name', async () => {
    const now = Date.UTC(2026, 10, 21, 10, 0, 0);
    const { fcm } = client({ now: () => now });
    const result = await fcm.send(message);
    expect(result).toEqual({ outcome: 'sent', messageId: `projects/${PROJECT}/messages/0:1`, attempts: 1 });
    expect(sendRequests[0]!.authorization).toBe('Bearer ya29.test-1');
    expect(sendRequests[0]!.body).toEqual({
      message: {
        token: 'device-token-aaaaaaaaaaaaaaaa',
        notification: { title: 'HandyGH', body: 'Kwame confirmed your booking' },
        data: { notification_id: 'n-1', template_key: 'booking.confirmed' },
        android: { priority: 'HIGH', ttl: '86400s', collapse_key: 'booking:b-1', notification: { tag: 'booking:b-1' } },
        apns: { headers: { 'apns-priority': '10', 'apns-expiration': String(now / 1000 + 86400), 'apns-collapse-id': 'booking:b-1' } },
        webpush: { headers: { TTL: '86400', Urgency: 'high' } },
      },
    });
  });

  it('leaves out an APNs collapse id longer than APNs allows', () => {
    const body = fcmRequestBody({ ...message, collapseKey: `thread:${'x'.repeat(80)}` }, 0);
    expect((body.message.apns as { headers: Record<string, string> }).headers['apns-collapse-id']).toBeUndefined();
  });

  it.each([
    ['UNREGISTERED', fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', [fcmCode('UNREGISTERED')]), 'invalid_token'],
    ['SENDER_ID_MISMATCH', fcmError(403, 'PERMISSION_DENIED', 'SenderId mismatch', [fcmCode('SENDER_ID_MISMATCH')]), 'invalid_token'],
    [
      'INVALID_ARGUMENT on the token',
      fcmError(400, 'INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token', [fcmCode('INVALID_ARGUMENT')]),
      'invalid_token',
    ],
    [
      'INVALID_ARGUMENT on the data',
      fcmError(400, 'INVALID_ARGUMENT', "Invalid value at 'message.data[0].value' (TYPE_STRING), 12", [
        { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'message.data[0].value', description: 'Invalid value' }] },
      ]),
      'failed',
    ],
    ['a 404 without FCM\'s verdict (wrong project)', fcmError(404, 'NOT_FOUND', 'Requested entity was not found.'), 'failed'],
  ])('classifies %s', async (_, answer, outcome) => {
    const { fcm } = client();
    fcmAnswers = [answer];
    const result = await fcm.send(message);
    expect(result.outcome).toBe(outcome);
    expect(sendRequests).toHaveLength(1);
  });

  it('retries UNAVAILABLE and INTERNAL with exponential backoff, then succeeds', async () => {
    const sleeps: number[] = [];
    const { fcm } = client({ sleeps });
    fcmAnswers = [
      fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', [fcmCode('UNAVAILABLE')]),
      fcmError(500, 'INTERNAL', 'Internal error encountered.', [fcmCode('INTERNAL')]),
      () => HttpResponse.json({ name: 'projects/soko-test/messages/third-time' }),
    ];
    const result = await fcm.send(message);
    expect(result).toEqual({ outcome: 'sent', messageId: 'projects/soko-test/messages/third-time', attempts: 3 });
    expect(sleeps).toEqual([500, 1000]);
  });

  it('gives a persistent outage back to the queue after three tries', async () => {
    const sleeps: number[] = [];
    const { fcm } = client({ sleeps });
    fcmAnswers = [fcmError(503, 'UNAVAILABLE', 'The service is currently unavailable.', [fcmCode('UNAVAILABLE')])];
    const result = await fcm.send(message);
    expect(result).toMatchObject({ outcome: 'retry', code: 'UNAVAILABLE', attempts: 3 });
    expect(sendRequests).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('honours a short Retry-After inline and leaves a long one to the queue', async () => {
    const sleeps: number[] = [];
    const { fcm } = client({ sleeps });
    fcmAnswers = [
      fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', [fcmCode('QUOTA_EXCEEDED')], { 'retry-after': '2' }),
      fcmError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', [fcmCode('QUOTA_EXCEEDED')], { 'retry-after': '120' }),
    ];
    const result = await fcm.send(message);
    expect(sleeps).toEqual([2000]);
    expect(result).toEqual({ outcome: 'retry', code: 'QUOTA_EXCEEDED', message: 'Quota exceeded.', retryAfterMs: 120_000, attempts: 2 });
  });

  it('treats a network failure as retryable', async () => {
    server.use(http.post(SEND_URL, () => HttpResponse.error()));
    const { fcm } = client();
    expect(await fcm.send(message)).toMatchObject({ outcome: 'retry', code: 'NETWORK', attempts: 3 });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 10, 21, 10, 0, 0);
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

// --- Configuration -----------------------------------------------------------

describe('FCM configuration', () => {
  it('reads the service account as JSON or base64 JSON, and FCM_PROJECT_ID overrides its project', () => {
    const json = JSON.stringify(account);
    expect(parseServiceAccount(json).client_email).toBe(account.client_email);
    expect(parseServiceAccount(btoa(json)).project_id).toBe(PROJECT);
    expect(fcmFromEnv(() => undefined)).toBeUndefined();
    const env: Record<string, string> = { FCM_SERVICE_ACCOUNT_JSON: json, FCM_PROJECT_ID: 'other-project' };
    expect(fcmFromEnv((name) => env[name])?.projectId).toBe('other-project');
  });

  it('names the missing fields without echoing the key', () => {
    const broken = JSON.stringify({ ...account, client_email: undefined, private_key: 'not a key at all, secret-ish' });
    expect(() => parseServiceAccount(broken)).toThrowError(PushConfigError);
    try {
      parseServiceAccount(broken);
    } catch (error) {
      expect((error as Error).message).toContain('client_email');
      expect((error as Error).message).toContain('private_key');
      expect((error as Error).message).not.toContain('secret-ish');
    }
    expect(() => parseServiceAccount('{nope')).toThrowError(PushConfigError);
  });
});

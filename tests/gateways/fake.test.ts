import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { FakeGateway } from '../../src/gateways/fake.ts';
import { InvalidSignatureError, UnknownPaymentError } from '../../src/gateways/errors.ts';
import { signWebhook, verifyWebhook } from '../../src/gateways/standard-webhooks.ts';
import { clock, payment } from './helpers.ts';

// The Standard Webhooks reference vector (standard-webhooks spec and its reference
// libraries' tests): secret, id, timestamp and body → this exact signature.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function vectorHeaders(signature = VECTOR.signature, timestamp = VECTOR.timestamp): Headers {
  return new Headers({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature });
}

describe('Standard Webhooks signatures', () => {
  it('reproduces the published test vector', async () => {
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the vector, also among several offered signatures', async () => {
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, VECTOR.timestamp)).toMatchObject({ ok: true, id: VECTOR.id });
    const several = `v1,bm9wZQ== ${VECTOR.signature}`;
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(several), VECTOR.body, VECTOR.timestamp)).toMatchObject({ ok: true });
  });

  it('rejects a changed body, a stale timestamp and missing headers', async () => {
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(), '{"test": 2432232315}', VECTOR.timestamp)).toEqual({ ok: false, reason: 'mismatch' });
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, VECTOR.timestamp + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, VECTOR.timestamp - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(await verifyWebhook(VECTOR.secret, new Headers(), VECTOR.body, VECTOR.timestamp)).toEqual({ ok: false, reason: 'missing' });
  });

  it('produces signatures the reference library accepts', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signature = await signWebhook(VECTOR.secret, 'msg_1', now, '{"a":1}');
    const verified = new Webhook(VECTOR.secret).verify('{"a":1}', {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': signature,
    });
    expect(verified).toEqual({ a: 1 });
  });
});

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('the fake gateway', () => {
  it('gives the same payment the same outcome for the same seed, and different seeds differ', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const a = new FakeGateway({ seed: 42, successRate: 0.5, signingSecret: SECRET });
    const b = new FakeGateway({ seed: 42, successRate: 0.5, signingSecret: SECRET });
    const c = new FakeGateway({ seed: 43, successRate: 0.5, signingSecret: SECRET });
    const outcomes = ids.map((id) => a.outcomeFor(id));
    expect(ids.map((id) => b.outcomeFor(id))).toEqual(outcomes);
    expect(ids.map((id) => c.outcomeFor(id))).not.toEqual(outcomes);
  });

  it('succeeds at about the configured rate', () => {
    const gateway = new FakeGateway({ seed: 'soko', successRate: 0.7, signingSecret: SECRET });
    let succeeded = 0;
    for (let i = 0; i < 2000; i++) if (gateway.outcomeFor(crypto.randomUUID()) === 'succeeded') succeeded += 1;
    expect(succeeded / 2000).toBeGreaterThan(0.65);
    expect(succeeded / 2000).toBeLessThan(0.75);
    const always = new FakeGateway({ seed: 1, successRate: 1, signingSecret: SECRET });
    const never = new FakeGateway({ seed: 1, successRate: 0, signingSecret: SECRET });
    expect(always.outcomeFor(crypto.randomUUID())).toBe('succeeded');
    expect(never.outcomeFor(crypto.randomUUID())).toBe('failed');
  });

  it('stays pending until settleAfterMs, then shows the outcome; unknown references are refused', async () => {
    const time = clock();
    const gateway = new FakeGateway({ seed: 1, successRate: 1, signingSecret: SECRET, settleAfterMs: 5_000, now: time.now });
    const request = payment();
    const initiation = await gateway.initiate(request);
    expect(initiation).toMatchObject({ kind: 'redirect', reference: request.paymentId });
    expect((await gateway.fetchStatus(request.paymentId)).status).toBe('pending');
    time.advance(5_000);
    expect(await gateway.fetchStatus(request.paymentId)).toMatchObject({ status: 'succeeded', amountMinor: 1500, currency: 'GHS' });
    await expect(gateway.fetchStatus(crypto.randomUUID())).rejects.toBeInstanceOf(UnknownPaymentError);
  });

  it('signs its callbacks, verifies them, and refuses forged or stale ones', async () => {
    const time = clock();
    const gateway = new FakeGateway({ seed: 1, successRate: 1, signingSecret: SECRET, now: time.now });
    const request = payment();
    await gateway.initiate(request);
    const callback = await gateway.buildCallback(request.paymentId);
    const result = await gateway.verifyCallback(callback.clone());
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { reference: request.paymentId, status: 'succeeded', amountMinor: 1500 } });
    expect(result.reply.status).toBe(204);

    const forged = new Request(callback.url, { method: 'POST', headers: callback.headers, body: (await callback.clone().text()).replace('1500', '150000') });
    await expect(gateway.verifyCallback(forged)).rejects.toBeInstanceOf(InvalidSignatureError);

    time.advance(10 * 60_000);
    await expect(gateway.verifyCallback(callback.clone())).rejects.toMatchObject({ details: { reason: 'stale' } });
  });

  it('refunds in full or in part, never more than was paid', async () => {
    const gateway = new FakeGateway({ seed: 1, successRate: 1, signingSecret: SECRET });
    const request = payment();
    await gateway.initiate(request);
    const refund = { refundId: crypto.randomUUID(), reference: request.paymentId, gatewayTransactionId: null, currency: 'GHS' as const };
    expect(await gateway.refund({ ...refund, amountMinor: 500 })).toMatchObject({ status: 'succeeded', amountMinor: 500 });
    expect((await gateway.fetchStatus(request.paymentId)).status).toBe('partially_refunded');
    await expect(gateway.refund({ ...refund, amountMinor: 1001 })).rejects.toThrow(/exceeds/);
    await gateway.refund({ ...refund, amountMinor: 1000 });
    expect((await gateway.fetchStatus(request.paymentId)).status).toBe('refunded');
  });

  it('refuses to reuse a payment id for another amount', async () => {
    const gateway = new FakeGateway({ seed: 1, successRate: 1, signingSecret: SECRET });
    const request = payment();
    await gateway.initiate(request);
    await expect(gateway.initiate({ ...request, amountMinor: 1 })).rejects.toThrow(/another amount/);
    expect(await gateway.initiate(request)).toMatchObject({ reference: request.paymentId });
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { WebhookSignatureError, WebhookVerifier } from '../../src/sms/webhook.ts';
import { newHookSecret } from './helpers.ts';

// The Standard Webhooks specification's own test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function headers(values: Record<string, string>): Headers {
  return new Headers(values);
}

const vectorHeaders = () =>
  headers({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature });

const atVectorTime = (offsetSeconds = 0) => () => (VECTOR.timestamp + offsetSeconds) * 1000;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('Standard Webhooks verification', () => {
  it('signs the official test vector exactly', () => {
    expect(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body)).toBe(VECTOR.signature);
  });

  it('accepts the official test vector when its timestamp is "now"', () => {
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime() });
    expect(verifier.verify(VECTOR.body, vectorHeaders())).toEqual({ id: VECTOR.id, timestamp: VECTOR.timestamp });
  });

  it('takes the secret in the `v1,whsec_…` form Supabase configures', () => {
    const verifier = new WebhookVerifier(`v1,${VECTOR.secret}`, { now: atVectorTime() });
    expect(verifier.verify(VECTOR.body, vectorHeaders()).id).toBe(VECTOR.id);
  });

  it.each([
    ['4 minutes 59 s late', 299, 'accepted'],
    ['exactly 5 minutes late', 300, 'accepted'],
    ['5 minutes 1 s late', 301, 'stale'],
    ['5 minutes 1 s early', -301, 'stale'],
  ])('with ±5 minutes tolerance: a request %s is %s', (_label, offset, expected) => {
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime(offset) });
    expect(reason(() => verifier.verify(VECTOR.body, vectorHeaders()))).toBe(expected);
  });

  it.each([
    ['a changed body', { body: '{"test": 2432232315}' }],
    ['a changed id', { id: 'msg_p5jXN8AQM9LWM0D4loKWxJel' }],
    ['a changed timestamp', { timestamp: String(VECTOR.timestamp + 1) }],
    ['a tampered signature', { signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=' }],
    ['an unknown signature version', { signature: 'v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }],
  ])('rejects %s', (_label, change: { body?: string; id?: string; timestamp?: string; signature?: string }) => {
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime() });
    const h = headers({
      'webhook-id': change.id ?? VECTOR.id,
      'webhook-timestamp': change.timestamp ?? String(VECTOR.timestamp),
      'webhook-signature': change.signature ?? VECTOR.signature,
    });
    expect(reason(() => verifier.verify(change.body ?? VECTOR.body, h))).toBe('bad_signature');
  });

  it('rejects a request signed with another secret', () => {
    const verifier = new WebhookVerifier(newHookSecret(), { now: atVectorTime() });
    expect(reason(() => verifier.verify(VECTOR.body, vectorHeaders()))).toBe('bad_signature');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('rejects a request without %s', (name) => {
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime() });
    const h = vectorHeaders();
    h.delete(name);
    expect(reason(() => verifier.verify(VECTOR.body, h))).toBe('missing_headers');
  });

  it('rejects a timestamp that is not a number of seconds', () => {
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime() });
    const h = vectorHeaders();
    h.set('webhook-timestamp', '2021-02-26T15:42:10Z');
    expect(reason(() => verifier.verify(VECTOR.body, h))).toBe('bad_timestamp');
  });

  it('accepts any of several signatures, as Auth sends them (", " separated) during a secret rotation', () => {
    const other = newHookSecret();
    const otherSignature = new Webhook(other.replace(/^v1,/, '')).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body);
    const h = vectorHeaders();
    h.set('webhook-signature', `${otherSignature}, ${VECTOR.signature}`);
    const verifier = new WebhookVerifier(VECTOR.secret, { now: atVectorTime() });
    expect(verifier.verify(VECTOR.body, h).id).toBe(VECTOR.id);
  });

  it('accepts several configured secrets separated by "|"', () => {
    const verifier = new WebhookVerifier(`${newHookSecret()}|v1,${VECTOR.secret}`, { now: atVectorTime() });
    expect(verifier.verify(VECTOR.body, vectorHeaders()).id).toBe(VECTOR.id);
  });

  it('refuses to start without a secret', () => {
    expect(() => new WebhookVerifier(' ')).toThrow(/secret is required/);
  });
});

import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '../../src/gateways/errors.ts';
import { buildPaymeCheckoutUrl, PAYME_ERRORS, PAYME_TRANSACTION_TIMEOUT_MS, PaymeGateway } from '../../src/gateways/payme.ts';
import { MemoryPaymeStore } from '../../src/gateways/payme-store.ts';
import type { CallbackResult } from '../../src/gateways/types.ts';
import { clock, payment } from './helpers.ts';

const KEY = 'test-merchant-key-&%#';
const MERCHANT = '587f72c72cac0d162c722ae2';

interface RpcReply {
  jsonrpc?: string;
  id: number | string | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: { ru: string; uz: string; en: string }; data?: string };
}

function setup() {
  const time = clock();
  const store = new MemoryPaymeStore();
  const gateway = new PaymeGateway({ merchantId: MERCHANT, key: KEY, now: time.now }, store);
  const orderId = crypto.randomUUID();
  store.addOrder({ orderId, amountMinor: 500_000, currency: 'UZS', state: 'awaiting_payment', refundable: true });
  let nextId = 1;
  async function call(method: string, params: Record<string, unknown>, options: { auth?: string | null; id?: number } = {}): Promise<RpcReply & { outcome: CallbackResult['outcome'] }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const auth = options.auth === undefined ? `Basic ${btoa(`Paycom:${KEY}`)}` : options.auth;
    if (auth !== null) headers.authorization = auth;
    const request = new Request('https://soko.example/functions/v1/payme', {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: options.id ?? nextId++, method, params }),
    });
    const result = await gateway.verifyCallback(request);
    expect(result.reply.status).toBe(200);
    return { ...((await result.reply.json()) as RpcReply), outcome: result.outcome };
  }
  const paymeId = () => crypto.randomUUID().replace(/-/g, '').slice(0, 24);
  const account = { order_id: orderId };
  return { time, store, gateway, orderId, call, paymeId, account };
}

describe('the Payme checkout link', () => {
  it('matches the official example', () => {
    expect(buildPaymeCheckoutUrl({ merchantId: MERCHANT, account: { order_id: '197' }, amountMinor: 500 })).toBe(
      'https://checkout.paycom.uz/bT01ODdmNzJjNzJjYWMwZDE2MmM3MjJhZTI7YWMub3JkZXJfaWQ9MTk3O2E9NTAw',
    );
  });

  it('adds language and return URL, and refuses values that would break the format', () => {
    const url = buildPaymeCheckoutUrl({ merchantId: MERCHANT, account: { order_id: '197' }, amountMinor: 500, lang: 'uz', returnUrl: 'https://app.soko.example/paid?o=197', baseUrl: 'https://checkout.test.paycom.uz' });
    expect(atob(url.slice('https://checkout.test.paycom.uz/'.length))).toBe(`m=${MERCHANT};ac.order_id=197;a=500;l=uz;c=https://app.soko.example/paid?o=197`);
    expect(() => buildPaymeCheckoutUrl({ merchantId: MERCHANT, account: { order_id: '1;a=1' }, amountMinor: 500 })).toThrow();
    expect(() => buildPaymeCheckoutUrl({ merchantId: MERCHANT, account: { order_id: '1' }, amountMinor: 5.5 })).toThrow();
  });

  it('is what initiate returns for a UZS payment', async () => {
    const { gateway } = setup();
    const request = payment({ currency: 'UZS', amountMinor: 500_000, customer: { phone: '+998901234567' } });
    const initiation = await gateway.initiate(request);
    expect(initiation).toEqual({
      kind: 'redirect',
      reference: request.paymentId,
      url: buildPaymeCheckoutUrl({ merchantId: MERCHANT, account: { order_id: request.paymentId }, amountMinor: 500_000 }),
    });
    await expect(gateway.initiate(payment({ currency: 'GHS' }))).rejects.toThrow(/currency/);
    await expect(gateway.refund()).rejects.toBeInstanceOf(NotSupportedError);
  });
});

describe('the JSON-RPC envelope', () => {
  it.each([
    ['no header', null],
    ['the wrong key', `Basic ${btoa('Paycom:wrong')}`],
    ['the wrong login', `Basic ${btoa(`Payme:${KEY}`)}`],
    ['not base64', 'Basic %%%'],
    ['a bearer token', `Bearer ${KEY}`],
  ])('answers -32504 to %s, echoing the request id', async (_case, auth) => {
    const { call, account } = setup();
    const reply = await call('CheckPerformTransaction', { amount: 500_000, account }, { auth, id: 77 });
    expect(reply.id).toBe(77);
    expect(reply.error?.code).toBe(-32504);
    expect(reply.result).toBeUndefined();
  });

  it('answers -32300 to anything but POST', async () => {
    const { gateway } = setup();
    const result = await gateway.verifyCallback(new Request('https://soko.example/payme'));
    expect(await result.reply.json()).toMatchObject({ error: { code: -32300 } });
  });

  it('answers -32700 to a body that is not JSON', async () => {
    const { gateway } = setup();
    const request = new Request('https://soko.example/payme', { method: 'POST', headers: { authorization: `Basic ${btoa(`Paycom:${KEY}`)}` }, body: '{"method": "CheckTransaction", ' });
    const result = await gateway.verifyCallback(request);
    expect(result.reply.status).toBe(200);
    expect(await result.reply.json()).toMatchObject({ id: null, error: { code: -32700 } });
  });

  it('answers -32601 to an unknown method and -32600 to a malformed call', async () => {
    const { call } = setup();
    expect((await call('RefundEverything', {})).error).toMatchObject({ code: -32601, data: 'RefundEverything' });
    expect((await call('CheckTransaction', { id: 42 })).error?.code).toBe(-32600);
    expect((await call('CancelTransaction', { id: 'x', reason: 7 })).error?.code).toBe(-32600);
  });

  it('refuses ChangePassword unless a handler is configured, then hands it the new key', async () => {
    const { call } = setup();
    expect((await call('ChangePassword', { password: 'new-key' })).error?.code).toBe(-32601);
    const changed: string[] = [];
    const store = new MemoryPaymeStore();
    const gateway = new PaymeGateway({ merchantId: MERCHANT, key: KEY, onChangePassword: async (key) => void changed.push(key) }, store);
    const request = new Request('https://soko.example/payme', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`Paycom:${KEY}`)}` },
      body: JSON.stringify({ id: 9, method: 'ChangePassword', params: { password: 'new-key' } }),
    });
    expect(await (await gateway.verifyCallback(request)).reply.json()).toEqual({ jsonrpc: '2.0', id: 9, result: { success: true } });
    expect(changed).toEqual(['new-key']);
  });

  it('words every error in Russian, Uzbek and English', () => {
    for (const { code, message } of Object.values(PAYME_ERRORS)) {
      expect(code).toBeLessThan(0);
      for (const text of [message.ru, message.uz, message.en]) expect(text.length).toBeGreaterThan(3);
    }
  });
});

describe('CheckPerformTransaction', () => {
  it('allows a payable order at its exact amount', async () => {
    const { call, account } = setup();
    expect((await call('CheckPerformTransaction', { amount: 500_000, account })).result).toEqual({ allow: true });
  });

  it.each([
    ['a wrong amount', { amount: 499_999 }, -31001, undefined],
    ['a fractional amount', { amount: 500_000.5 }, -31001, undefined],
    ['an amount as text', { amount: '500000' }, -31001, undefined],
    ['an unknown order', { account: { order_id: 'nope' } }, -31050, 'order_id'],
    ['no order field', { account: { phone: '998901234567' } }, -31050, 'order_id'],
  ])('refuses %s', async (_case, override, code, data) => {
    const { call, account } = setup();
    const reply = await call('CheckPerformTransaction', { amount: 500_000, account, ...override });
    expect(reply.error?.code).toBe(code);
    expect(reply.error?.data).toBe(data);
    expect(reply.error?.message.en).toBeTruthy();
  });

  it('refuses an order that is already paid', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    await call('PerformTransaction', { id });
    expect((await call('CheckPerformTransaction', { amount: 500_000, account })).error).toMatchObject({ code: -31051, data: 'order_id' });
  });
});

describe('CreateTransaction', () => {
  it('creates a transaction in state 1 and answers a repeat identically (idempotent)', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    const first = await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    expect(first.result).toEqual({ create_time: time.now(), transaction: expect.any(String), state: 1 });
    time.advance(60_000);
    const again = await call('CreateTransaction', { id, time: time.now() - 60_000, amount: 500_000, account });
    expect(again.result).toEqual(first.result);
  });

  it('refuses a second Payme transaction while the first still holds the order', async () => {
    const { call, account, paymeId, time } = setup();
    await call('CreateTransaction', { id: paymeId(), time: time.now(), amount: 500_000, account });
    const second = await call('CreateTransaction', { id: paymeId(), time: time.now(), amount: 500_000, account });
    expect(second.error).toMatchObject({ code: -31052, data: 'order_id' });
    expect((await call('CheckPerformTransaction', { amount: 500_000, account })).error?.code).toBe(-31052);
  });

  it('lets a new transaction through once the old one passed 12 hours, cancelling the old with reason 4', async () => {
    const { call, account, paymeId, time, store } = setup();
    const old = paymeId();
    await call('CreateTransaction', { id: old, time: time.now(), amount: 500_000, account });
    time.advance(PAYME_TRANSACTION_TIMEOUT_MS + 1);
    const fresh = await call('CreateTransaction', { id: paymeId(), time: time.now(), amount: 500_000, account });
    expect(fresh.result).toMatchObject({ state: 1 });
    expect(await store.findTransaction(old)).toMatchObject({ state: -1, reason: 4 });
  });

  it('refuses to revive a transaction older than 12 hours and cancels it (-31008)', async () => {
    const { call, account, paymeId, time, store } = setup();
    const id = paymeId();
    const created = time.now();
    await call('CreateTransaction', { id, time: created, amount: 500_000, account });
    time.advance(PAYME_TRANSACTION_TIMEOUT_MS);
    expect((await call('CreateTransaction', { id, time: created, amount: 500_000, account })).result).toMatchObject({ state: 1 });
    time.advance(1);
    expect((await call('CreateTransaction', { id, time: created, amount: 500_000, account })).error?.code).toBe(-31008);
    expect(await store.findTransaction(id)).toMatchObject({ state: -1, reason: 4, cancelTime: time.now() });
  });

  it('refuses a new transaction whose Payme time is already 12 hours old', async () => {
    const { call, account, paymeId, time } = setup();
    const reply = await call('CreateTransaction', { id: paymeId(), time: time.now() - PAYME_TRANSACTION_TIMEOUT_MS - 1, amount: 500_000, account });
    expect(reply.error?.code).toBe(-31008);
  });

  it('checks the amount and order like CheckPerformTransaction', async () => {
    const { call, account, paymeId, time } = setup();
    expect((await call('CreateTransaction', { id: paymeId(), time: time.now(), amount: 1, account })).error?.code).toBe(-31001);
    expect((await call('CreateTransaction', { id: paymeId(), time: time.now(), amount: 500_000, account: { order_id: 'x' } })).error?.code).toBe(-31050);
  });
});

describe('PerformTransaction', () => {
  it('performs once, marks the order paid, and answers repeats with the same perform_time', async () => {
    const { call, account, paymeId, time, store, orderId } = setup();
    const id = paymeId();
    const created = await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    time.advance(30_000);
    const performed = await call('PerformTransaction', { id });
    expect(performed.result).toEqual({ transaction: created.result!.transaction, perform_time: time.now(), state: 2 });
    expect(performed.outcome).toEqual({
      kind: 'verified',
      eventId: `payme:${id}:2`,
      payment: { gateway: 'payme', reference: orderId, status: 'succeeded', amountMinor: 500_000, currency: 'UZS', gatewayTransactionId: id, failureReason: null },
    });
    expect((await store.findOrder(orderId))!.state).toBe('paid');
    time.advance(30_000);
    expect((await call('PerformTransaction', { id })).result).toEqual(performed.result);
  });

  it('performs once under concurrent calls', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    const replies = await Promise.all([call('PerformTransaction', { id }), call('PerformTransaction', { id }), call('PerformTransaction', { id })]);
    expect(new Set(replies.map((r) => JSON.stringify(r.result))).size).toBe(1);
    expect(replies[0]!.result).toMatchObject({ state: 2 });
  });

  it('answers -31003 for an unknown transaction', async () => {
    const { call, paymeId } = setup();
    expect((await call('PerformTransaction', { id: paymeId() })).error?.code).toBe(-31003);
  });

  it('refuses to perform after 12 hours and cancels the transaction (state -1, reason 4)', async () => {
    const { call, account, paymeId, time, store, orderId } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    time.advance(PAYME_TRANSACTION_TIMEOUT_MS + 1);
    expect((await call('PerformTransaction', { id })).error?.code).toBe(-31008);
    expect(await store.findTransaction(id)).toMatchObject({ state: -1, reason: 4 });
    expect((await store.findOrder(orderId))!.state).toBe('awaiting_payment');
    expect((await call('CheckTransaction', { id })).result).toMatchObject({ state: -1, reason: 4 });
  });

  it('refuses to perform a cancelled transaction', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    await call('CancelTransaction', { id, reason: 3 });
    expect((await call('PerformTransaction', { id })).error?.code).toBe(-31008);
  });
});

describe('CancelTransaction', () => {
  it('cancels a created transaction (1 → -1) and answers repeats with the same cancel_time', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    const created = await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    time.advance(1_000);
    const cancelled = await call('CancelTransaction', { id, reason: 3 });
    expect(cancelled.result).toEqual({ transaction: created.result!.transaction, cancel_time: time.now(), state: -1 });
    expect(cancelled.outcome).toMatchObject({ kind: 'verified', payment: { status: 'cancelled' } });
    time.advance(1_000);
    expect((await call('CancelTransaction', { id, reason: 3 })).result).toEqual(cancelled.result);
    // The order is free again for a new attempt.
    expect((await call('CheckPerformTransaction', { amount: 500_000, account })).result).toEqual({ allow: true });
  });

  it('refunds a performed transaction (2 → -2) while the order is refundable', async () => {
    const { call, account, paymeId, time, store, orderId } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    await call('PerformTransaction', { id });
    const cancelled = await call('CancelTransaction', { id, reason: 5 });
    expect(cancelled.result).toMatchObject({ state: -2 });
    expect(cancelled.outcome).toMatchObject({ kind: 'verified', payment: { status: 'refunded', reference: orderId } });
    expect((await store.findOrder(orderId))!.state).toBe('cancelled');
  });

  it('refuses to cancel a performed transaction once the order is delivered (-31007)', async () => {
    const { call, account, paymeId, time, store, orderId } = setup();
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    await call('PerformTransaction', { id });
    store.orders.get(orderId)!.refundable = false;
    expect((await call('CancelTransaction', { id, reason: 5 })).error?.code).toBe(-31007);
    expect(await store.findTransaction(id)).toMatchObject({ state: 2 });
  });

  it('answers -31003 for an unknown transaction', async () => {
    const { call, paymeId } = setup();
    expect((await call('CancelTransaction', { id: paymeId(), reason: 1 })).error?.code).toBe(-31003);
  });
});

describe('CheckTransaction and GetStatement', () => {
  it('reports a transaction with zero times for what has not happened and a null reason', async () => {
    const { call, account, paymeId, time } = setup();
    const id = paymeId();
    const created = await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    expect((await call('CheckTransaction', { id })).result).toEqual({
      create_time: time.now(),
      perform_time: 0,
      cancel_time: 0,
      transaction: created.result!.transaction,
      state: 1,
      reason: null,
    });
    expect((await call('CheckTransaction', { id: paymeId() })).error?.code).toBe(-31003);
  });

  it('lists the transactions Payme created in the window, oldest first', async () => {
    const { call, account, paymeId, time } = setup();
    const start = time.now();
    const first = paymeId();
    await call('CreateTransaction', { id: first, time: start, amount: 500_000, account });
    await call('CancelTransaction', { id: first, reason: 3 });
    time.advance(10_000);
    const second = paymeId();
    await call('CreateTransaction', { id: second, time: time.now(), amount: 500_000, account });
    await call('PerformTransaction', { id: second });

    const statement = await call('GetStatement', { from: start, to: time.now() });
    const transactions = statement.result!.transactions as Array<Record<string, unknown>>;
    expect(transactions.map((t) => [t.id, t.state])).toEqual([[first, -1], [second, 2]]);
    expect(transactions[1]).toMatchObject({ time: time.now(), amount: 500_000, account, perform_time: time.now(), cancel_time: 0, reason: null });
    expect((await call('GetStatement', { from: start + 1, to: start + 5 })).result).toEqual({ transactions: [] });
    expect((await call('GetStatement', { from: 10, to: 5 })).error?.code).toBe(-32600);
  });
});

describe('Payme payment status for the poller', () => {
  it('reads the order’s latest transaction from the store', async () => {
    const { call, account, paymeId, time, gateway, orderId } = setup();
    expect(await gateway.fetchStatus(orderId)).toMatchObject({ status: 'pending', gatewayTransactionId: null });
    const id = paymeId();
    await call('CreateTransaction', { id, time: time.now(), amount: 500_000, account });
    await call('PerformTransaction', { id });
    expect(await gateway.fetchStatus(orderId)).toMatchObject({ status: 'succeeded', amountMinor: 500_000, gatewayTransactionId: id });
    await expect(gateway.fetchStatus(crypto.randomUUID())).rejects.toMatchObject({ code: 'payment_not_found' });
  });
});

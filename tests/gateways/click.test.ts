import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '../../src/gateways/errors.ts';
import { ClickGateway, clickSignString } from '../../src/gateways/click.ts';
import { MemoryClickStore } from '../../src/gateways/click-store.ts';
import { payment } from './helpers.ts';

const SECRET = 'click-secret-key';
const SERVICE = '3171';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function setup() {
  const store = new MemoryClickStore();
  const gateway = new ClickGateway({ serviceId: SERVICE, merchantId: '12017', secretKey: SECRET }, store);
  const orderId = crypto.randomUUID();
  store.addOrder({ orderId, amountMinor: 500_000, currency: 'UZS', state: 'awaiting_payment' });
  let nextClickId = 2_000_000;

  function fields(action: 0 | 1, overrides: Record<string, string> = {}) {
    const base: Record<string, string> = {
      click_trans_id: String(nextClickId),
      service_id: SERVICE,
      click_paydoc_id: '1946296773',
      merchant_trans_id: orderId,
      amount: '5000.00',
      action: String(action),
      error: '0',
      error_note: 'Success',
      sign_time: '2026-11-21 14:02:11',
      ...overrides,
    };
    return base;
  }

  /** Signs as Click's Django SDK does (merchant_prepare_id only on Complete). */
  function signed(values: Record<string, string>, secret = SECRET): Record<string, string> {
    const prepareId = values.action === '1' ? (values.merchant_prepare_id ?? '') : '';
    const sign = md5(`${values.click_trans_id}${values.service_id}${secret}${values.merchant_trans_id}${prepareId}${values.amount}${values.action}${values.sign_time}`);
    return { ...values, sign_string: sign };
  }

  async function post(values: Record<string, string>) {
    const request = new Request('https://soko.example/functions/v1/click', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(values).toString(),
    });
    const result = await gateway.verifyCallback(request);
    expect(result.reply.status).toBe(200);
    return { body: (await result.reply.json()) as Record<string, unknown>, outcome: result.outcome };
  }

  async function prepare(overrides: Record<string, string> = {}) {
    return post(signed(fields(0, overrides)));
  }

  async function complete(prepareId: number, overrides: Record<string, string> = {}) {
    return post(signed(fields(1, { merchant_prepare_id: String(prepareId), ...overrides })));
  }

  return { store, gateway, orderId, fields, signed, post, prepare, complete, newClickId: () => String(++nextClickId) };
}

describe('Click sign_string', () => {
  it('is md5 of the documented concatenation, with merchant_prepare_id only on Complete', () => {
    const prepareFields = {
      click_trans_id: '2000000', service_id: '3171', click_paydoc_id: '1', merchant_trans_id: 'order-7',
      amount: '5000.00', action: '0', error: '0', error_note: 'Success', sign_time: '2026-11-21 14:02:11', sign_string: '0'.repeat(32),
    };
    expect(clickSignString(prepareFields, SECRET)).toBe(md5(`20000003171${SECRET}order-75000.0002026-11-21 14:02:11`));
    expect(clickSignString({ ...prepareFields, action: '1', merchant_prepare_id: '1001' }, SECRET)).toBe(
      md5(`20000003171${SECRET}order-710015000.0012026-11-21 14:02:11`),
    );
  });
});

describe('Click Prepare (action 0)', () => {
  it('prepares a payable order and answers with merchant_prepare_id', async () => {
    const { prepare, orderId } = setup();
    const { body } = await prepare();
    expect(body).toEqual({ click_trans_id: 2000000, merchant_trans_id: orderId, merchant_prepare_id: expect.any(Number), error: 0, error_note: 'Success' });
  });

  it('answers a repeated Prepare with the same merchant_prepare_id', async () => {
    const { prepare } = setup();
    const first = await prepare();
    expect((await prepare()).body.merchant_prepare_id).toBe(first.body.merchant_prepare_id);
  });

  it('accepts the amount written without decimals, verifying the sign over the text as sent', async () => {
    const { prepare } = setup();
    expect((await prepare({ amount: '5000' })).body.error).toBe(0);
  });

  it('rejects a wrong signature (-1), including one made with another secret', async () => {
    const { post, fields, signed } = setup();
    const good = signed(fields(0));
    expect((await post({ ...good, amount: '1.00' })).body).toMatchObject({ error: -1, error_note: 'SIGN CHECK FAILED!' });
    expect((await post(signed(fields(0), 'other-secret'))).body.error).toBe(-1);
  });

  it.each([
    ['a wrong amount', -2, 'Incorrect parameter amount', { amount: '4999.00' }],
    ['more decimals than the sum has', -2, 'Incorrect parameter amount', { amount: '5000.001' }],
    ['an unknown order', -5, 'User does not exist', { merchant_trans_id: 'no-such-order' }],
    ['an unknown action', -3, 'Action not found', { action: '2' }],
    ['another service id', -8, 'Error in request from click', { service_id: '9999' }],
  ])('answers %s with %i', async (_case, error, note, overrides) => {
    const { post, fields, signed } = setup();
    expect((await post(signed(fields(0, overrides)))).body).toMatchObject({ error, error_note: note });
  });

  it('answers -8 to missing fields and to anything but POST', async () => {
    const { post, fields, signed, gateway } = setup();
    const { sign_time: _dropped, ...incomplete } = signed(fields(0));
    expect((await post(incomplete)).body).toMatchObject({ error: -8 });
    const result = await gateway.verifyCallback(new Request('https://soko.example/click'));
    expect(await result.reply.json()).toMatchObject({ error: -8 });
  });

  it('answers -4 once the order is paid and -9 once it is cancelled', async () => {
    const { prepare, store, orderId } = setup();
    store.orders.get(orderId)!.state = 'paid';
    expect((await prepare()).body).toMatchObject({ error: -4, error_note: 'Already paid' });
    store.orders.get(orderId)!.state = 'cancelled';
    expect((await prepare()).body).toMatchObject({ error: -9, error_note: 'Transaction cancelled' });
  });
});

describe('Click Complete (action 1)', () => {
  it('confirms the prepared payment, marks the order paid and reports the success', async () => {
    const { prepare, complete, store, orderId } = setup();
    const prepared = await prepare();
    const prepareId = prepared.body.merchant_prepare_id as number;
    const { body, outcome } = await complete(prepareId);
    expect(body).toEqual({
      click_trans_id: 2000000,
      merchant_trans_id: orderId,
      merchant_prepare_id: prepareId,
      merchant_confirm_id: expect.any(Number),
      error: 0,
      error_note: 'Success',
    });
    expect(outcome).toEqual({
      kind: 'verified',
      eventId: 'click:2000000:confirmed',
      payment: { gateway: 'click', reference: orderId, status: 'succeeded', amountMinor: 500_000, currency: 'UZS', gatewayTransactionId: '2000000', failureReason: null },
    });
    expect((await store.findOrder(orderId))!.state).toBe('paid');
  });

  it('answers a repeated Complete with -4 (already paid) and changes nothing', async () => {
    const { prepare, complete } = setup();
    const prepareId = (await prepare()).body.merchant_prepare_id as number;
    const first = await complete(prepareId);
    const again = await complete(prepareId);
    expect(again.body).toMatchObject({ error: -4, error_note: 'Already paid', merchant_confirm_id: first.body.merchant_confirm_id });
    expect(again.outcome.kind).toBe('ignored');
  });

  it('cancels when Click reports a failure (error < 0) and answers -9, also to later Completes', async () => {
    const { prepare, complete, store, orderId } = setup();
    const prepareId = (await prepare()).body.merchant_prepare_id as number;
    const failed = await complete(prepareId, { error: '-5017', error_note: 'Insufficient funds' });
    expect(failed.body).toMatchObject({ error: -9, error_note: 'Transaction cancelled' });
    expect(failed.outcome).toMatchObject({ kind: 'verified', payment: { status: 'failed', failureReason: 'click_error_-5017' } });
    expect((await store.findPrepare(prepareId))!.state).toBe('cancelled');
    expect((await store.findOrder(orderId))!.state).toBe('awaiting_payment');
    expect((await complete(prepareId)).body).toMatchObject({ error: -9 });
  });

  it.each([
    ['an unknown merchant_prepare_id', -6, 'Transaction does not exist', (id: number) => ({ merchant_prepare_id: String(id + 500) })],
    ['another click_trans_id', -6, 'Transaction does not exist', (_id: number) => ({ click_trans_id: '999' })],
    ['a different amount', -2, 'Incorrect parameter amount', (_id: number) => ({ amount: '4000.00' })],
  ])('answers %s with %i', async (_case, error, note, override) => {
    const { prepare, complete } = setup();
    const prepareId = (await prepare()).body.merchant_prepare_id as number;
    expect((await complete(prepareId, override(prepareId))).body).toMatchObject({ error, error_note: note });
  });

  it('rejects a Complete signed without merchant_prepare_id (the PHP SDK bug) with -1', async () => {
    const { prepare, fields, post } = setup();
    const prepareId = String((await prepare()).body.merchant_prepare_id);
    const values = fields(1, { merchant_prepare_id: prepareId });
    const wrong = md5(`${values.click_trans_id}${values.service_id}${SECRET}${values.merchant_trans_id}${values.amount}${values.action}${values.sign_time}`);
    expect((await post({ ...values, sign_string: wrong })).body.error).toBe(-1);
    const { merchant_prepare_id: _dropped, ...noPrepareId } = values;
    expect((await post({ ...noPrepareId, sign_string: wrong })).body.error).toBe(-8);
  });

  it('lets only one of two prepared attempts pay the order', async () => {
    const { prepare, complete, newClickId } = setup();
    const firstClickId = '2000000';
    const first = (await prepare({ click_trans_id: firstClickId })).body.merchant_prepare_id as number;
    const secondClickId = newClickId();
    const second = (await prepare({ click_trans_id: secondClickId })).body.merchant_prepare_id as number;
    expect((await complete(first, { click_trans_id: firstClickId })).body.error).toBe(0);
    expect((await complete(second, { click_trans_id: secondClickId })).body).toMatchObject({ error: -4 });
  });

  it('answers -7 when storage fails, so Click retries', async () => {
    const { prepare, store } = setup();
    store.prepare = async () => {
      throw new Error('database down');
    };
    expect((await prepare()).body).toMatchObject({ error: -7, error_note: 'Failed to update user' });
  });
});

describe('Click checkout link and status', () => {
  it('links to the hosted page with the amount in sum', async () => {
    const { gateway } = setup();
    const request = payment({ currency: 'UZS', amountMinor: 500_000, customer: { phone: '+998901234567' }, returnUrl: 'https://app.soko.example/paid' });
    const initiation = await gateway.initiate(request);
    expect(initiation).toEqual({
      kind: 'redirect',
      reference: request.paymentId,
      url: `https://my.click.uz/services/pay?service_id=3171&merchant_id=12017&amount=5000.00&transaction_param=${request.paymentId}&return_url=https%3A%2F%2Fapp.soko.example%2Fpaid`,
    });
    await expect(gateway.refund()).rejects.toBeInstanceOf(NotSupportedError);
  });

  it('reads the order’s latest attempt from the store', async () => {
    const { gateway, prepare, complete, orderId } = setup();
    expect(await gateway.fetchStatus(orderId)).toMatchObject({ status: 'pending', gatewayTransactionId: null });
    const prepareId = (await prepare()).body.merchant_prepare_id as number;
    await complete(prepareId);
    expect(await gateway.fetchStatus(orderId)).toMatchObject({ status: 'succeeded', amountMinor: 500_000 });
    await expect(gateway.fetchStatus('nope')).rejects.toMatchObject({ code: 'payment_not_found' });
  });
});

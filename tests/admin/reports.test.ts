import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asService, asUser, createUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { CITY, createAdmin, createProvider, uploadObject, type Provider, type ServicesMarket } from '../harness/services.ts';
import { deal, settle, startPayment, transition } from '../money/helpers.ts';

// The report views behind Studio and the admin screens. Each test works in a market of
// its own and rolls everything back.

const VIEWS = ['admin_daily_bookings', 'admin_daily_revenue', 'admin_daily_payouts', 'admin_verification_queue', 'admin_dispute_queue'] as const;

async function newMarket(tx: Tx): Promise<string> {
  const code = `rp-${randomBytes(4).toString('hex')}`;
  await tx`
    insert into public.markets (code, name, country_code, currency_code, phone_country_code, default_locale, locales,
                                time_zone, modules, payment_gateways)
    values (${code}, 'Reports test', 'GH', 'GHS', '999', 'en', '{en}', 'Africa/Accra', '{services}', '{fake}')`;
  await tx`insert into public.service_settings (market_code) values (${code})`;
  return code;
}

function customerIn(tx: Tx, market: string, name: string): Promise<TestUser> {
  return createUser(tx, { metadata: { market, display_name: name } });
}

function providerIn(tx: Tx, market: string, businessName: string, verified = true): Promise<Provider> {
  return createProvider(tx, {
    market: market as ServicesMarket, lat: CITY.gh.lat, lng: CITY.gh.lng, timeZone: 'Africa/Accra', businessName, verified,
  });
}

async function localDate(tx: Tx, offset = 0): Promise<string> {
  const [row] = await tx`select ((now() at time zone 'Africa/Accra')::date + ${offset}::int)::text as day`;
  return row!.day as string;
}

/** A view's rows for one market, as the user reads them (day as YYYY-MM-DD). */
function read(tx: Tx, user: TestUser, view: (typeof VIEWS)[number], market: string) {
  return asUser(tx, user, (q) => q`
    select to_jsonb(v) - 'market_code' as row from public.${q(view)} v where v.market_code = ${market}`)
    .then((rows) => rows.map((r) => r.row as Record<string, unknown>));
}

/**
 * Money and work in one market, all today unless said otherwise:
 *   b1 Kwame 100.00 by gateway, completed (10.00 commission); Kwame withdraws 50.00: sent
 *   b2 Yaa 50.00 in cash (5.00 commission owed)
 *   b3 Yaa 100.00 by gateway, completed (10.00); an admin refunds 20.00 to the wallet
 *      (2.00 commission back); Yaa withdraws 40.00, settling her 5.00 debt: it fails
 *   b4 Kwame 120.00 by gateway, in progress, disputed by Kofi with a photo (open)
 *   b5 requested three days ago
 * and Efo, a new provider, waits for his verification.
 */
async function scene(tx: Tx) {
  const market = await newMarket(tx);
  const admin = await createAdmin(tx);
  const ama = await customerIn(tx, market, 'Ama');
  const kofi = await customerIn(tx, market, 'Kofi');
  const kwame = await providerIn(tx, market, 'Kwame Cleaning');
  const yaa = await providerIn(tx, market, 'Yaa Plumbing');
  const paid = async (customer: TestUser, bookingId: string) => {
    const payment = await startPayment(tx, customer, bookingId);
    await settle(tx, payment, { status: 'succeeded', amount: payment.amount_minor });
    return payment;
  };

  const b1 = await deal(tx, { provider: kwame, customer: ama, priceMinor: 10_000, status: 'in_progress' });
  await paid(ama, b1.booking.id);
  await transition(tx, kwame, b1.booking.id, 'completed');

  const b2 = await deal(tx, { provider: yaa, customer: ama, priceMinor: 5_000, status: 'accepted' });
  await asUser(tx, yaa, (q) => q`select public.confirm_cash_payment(${b2.booking.id})`);

  const b3 = await deal(tx, { provider: yaa, customer: kofi, priceMinor: 10_000, status: 'in_progress' });
  const b3Payment = await paid(kofi, b3.booking.id);
  await transition(tx, yaa, b3.booking.id, 'completed');
  await asUser(tx, admin, (q) => q`select public.refund_payment(${b3Payment.id}, 2000, 'wallet', 'Arrived late')`);

  const b4 = await deal(tx, { provider: kwame, customer: kofi, priceMinor: 12_000, status: 'in_progress' });
  await paid(kofi, b4.booking.id);
  const photo = await uploadObject(tx, kofi, 'dispute-evidence', 'mess.jpg');
  const [dispute] = await asUser(tx, kofi, (q) => q`select * from public.open_dispute(${b4.booking.id}, 'Left a mess', ${[photo]})`);
  await asUser(tx, admin, (q) => q`select public.comment_on_dispute(${dispute!.id}, 'Looking into it')`);
  await tx`update public.disputes set created_at = now() - interval '5 hours' where id = ${dispute!.id}`;

  const b5 = await deal(tx, { provider: kwame, customer: ama, priceMinor: 3_000 });
  await tx`update public.bookings set created_at = now() - interval '3 days' where id = ${b5.booking.id}`;

  // Efo waits for his badge.
  const efo = await providerIn(tx, market, 'Efo Electricals', false);
  const card = await uploadObject(tx, efo, 'verification-documents', 'card.pdf');
  await asUser(tx, efo, (q) => q`select public.submit_verification(${[card]})`);

  const withdraw = async (provider: Provider, amount: number) => {
    const [row] = await asUser(tx, provider, (q) => q`select * from public.request_payout(${amount}, null, ${randomUUID()})`);
    return row!.id as string;
  };
  const sent = await withdraw(kwame, 5_000);
  const bounced = await withdraw(yaa, 4_000);
  await asService(tx, (q) => q`select private.complete_payout(${sent}, 'succeeded')`);
  await asService(tx, (q) => q`select private.complete_payout(${bounced}, 'failed', null, 'Number not registered')`);

  return { market, admin, ama, kofi, kwame, yaa, efo, b4, disputeId: dispute!.id as string };
}

describe('report views', () => {
  it('daily bookings: requested per local day, by the status they are in now', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      const [threeDaysAgo, today] = [await localDate(tx, -3), await localDate(tx)];
      expect(await read(tx, s.admin, 'admin_daily_bookings', s.market)).toEqual([
        { day: threeDaysAgo, bookings: 1, requested: 1, accepted: 0, in_progress: 0, completed: 0, cancelled: 0, declined: 0, expired: 0, disputed: 0, resolved: 0 },
        { day: today, bookings: 4, requested: 0, accepted: 1, in_progress: 0, completed: 2, cancelled: 0, declined: 0, expired: 0, disputed: 1, resolved: 0 },
      ]);
    });
  });

  it('daily revenue: GMV, commission net of refunds and refunds, from the ledger, matching the dashboard', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      const today = await localDate(tx);
      const revenue = await read(tx, s.admin, 'admin_daily_revenue', s.market);
      expect(revenue).toEqual([{
        currency: 'GHS',
        day: today,
        payments_settled: 4,
        gmv_minor: 37_000,
        gmv_platform_minor: 32_000,
        gmv_cash_minor: 5_000,
        commission_minor: 2_300,
        refunds: 1,
        refunds_minor: 2_000,
      }]);
      const [row] = await asUser(tx, s.admin, (q) => q`select public.admin_dashboard(${s.market}, ${today}::date, ${today}::date) -> 'money' as money`);
      const { currency: _c, day: _d, ...figures } = revenue[0]!;
      expect(row!.money).toEqual(figures);
    });
  });

  it('daily payouts: requested (with the debt they settled), sent and failed, from the ledger', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      expect(await read(tx, s.admin, 'admin_daily_payouts', s.market)).toEqual([{
        currency: 'GHS',
        day: await localDate(tx),
        requested: 2,
        requested_minor: 9_000,
        debt_settled_minor: 500,
        succeeded: 1,
        succeeded_minor: 5_000,
        failed: 1,
        failed_minor: 4_000,
      }]);
    });
  });

  it('verification queue: pending requests oldest first, with the provider, age and document count', async () => {
    await rollback(async (tx) => {
      const market = await newMarket(tx);
      const admin = await createAdmin(tx);
      const efo = await providerIn(tx, market, 'Efo Electricals', false);
      const adwoa = await providerIn(tx, market, 'Adwoa Hair', false);
      const submit = async (provider: Provider, files: string[], note: string | null = null) => {
        const paths: string[] = [];
        for (const file of files) paths.push(await uploadObject(tx, provider, 'verification-documents', file));
        const [row] = await asUser(tx, provider, (q) => q`select * from public.submit_verification(${paths}, ${note})`);
        return row!.id as string;
      };
      const efoRequest = await submit(efo, ['card.pdf', 'licence.pdf'], 'Card and licence');
      await tx`update public.provider_verifications set submitted_at = now() - interval '2 hours' where id = ${efoRequest}`;
      const first = await submit(adwoa, ['blurry.jpg']);
      await asUser(tx, admin, (q) => q`select public.reject_verification(${first}, 'Unreadable')`);
      const adwoaRequest = await submit(adwoa, ['sharp.jpg']);

      const queue = await read(tx, admin, 'admin_verification_queue', market);
      expect(queue).toEqual([
        expect.objectContaining({ verification_id: efoRequest, provider_id: efo.id, provider_name: 'Efo Electricals', provider_status: 'pending',
                                  age: '02:00:00', document_count: 2, note: 'Card and licence', earlier_rejections: 0 }),
        expect.objectContaining({ verification_id: adwoaRequest, provider_id: adwoa.id, provider_name: 'Adwoa Hair', provider_status: 'pending',
                                  age: '00:00:00', document_count: 1, note: null, earlier_rejections: 1 }),
      ]);
      await asUser(tx, admin, (q) => q`select public.approve_verification(${efoRequest}, 'Documents match')`);
      expect((await read(tx, admin, 'admin_verification_queue', market)).map((r) => r.verification_id)).toEqual([adwoaRequest]);
    });
  });

  it('dispute queue: open disputes with their age, amounts and parties; resolved ones leave it', async () => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      expect(await read(tx, s.admin, 'admin_dispute_queue', s.market)).toEqual([{
        dispute_id: s.disputeId,
        booking_id: s.b4.booking.id,
        opened_at: expect.any(String),
        age: '05:00:00',
        opener_role: 'customer',
        opened_by: s.kofi.id,
        reason: 'Left a mess',
        booking_status_before: 'in_progress',
        customer_id: s.kofi.id,
        customer_name: 'Kofi',
        provider_id: s.kwame.id,
        provider_name: 'Kwame Cleaning',
        price_minor: 12_000,
        currency: 'GHS',
        paid_minor: 12_000,
        escrow_minor: 12_000,
        evidence_count: 1,
        comment_count: 1,
      }]);
      await asUser(tx, s.admin, (q) => q`select public.resolve_dispute(${s.disputeId}, 'release_to_provider', 0, 'The photo shows a clean room')`);
      expect(await read(tx, s.admin, 'admin_dispute_queue', s.market)).toEqual([]);
    });
  });

  it.each(VIEWS)('%s returns nothing to customers and providers, even about their own bookings and money', async (view) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      expect((await read(tx, s.admin, view, s.market)).length).toBeGreaterThan(0);
      for (const user of [s.ama, s.kofi, s.kwame, s.yaa, s.efo]) {
        expect(await asUser(tx, user, (q) => q`select * from public.${q(view)}`), `${view} as ${user.id}`).toEqual([]);
      }
    });
  });

  it.each(VIEWS)('%s is not granted to anonymous clients', async (view) => {
    await rollback(async (tx) => {
      await expect(asAnon(tx, (q) => q`select * from public.${q(view)}`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it.each(VIEWS)('%s shows its rows to Studio and the service role, which carry no user token', async (view) => {
    await rollback(async (tx) => {
      const s = await scene(tx);
      const admins = await read(tx, s.admin, view, s.market);
      const studio = await tx`select to_jsonb(v) - 'market_code' as row from public.${tx(view)} v where v.market_code = ${s.market}`;
      const service = await asService(tx, (q) => q`select to_jsonb(v) - 'market_code' as row from public.${q(view)} v where v.market_code = ${s.market}`);
      expect(studio.map((r) => r.row)).toEqual(admins);
      expect(service.map((r) => r.row)).toEqual(admins);
    });
  });

  it('every admin view is security invoker and hidden from anon', async () => {
    await rollback(async (tx) => {
      const rows = await tx`
        select c.relname as name, coalesce('security_invoker=true' = any (c.reloptions), false) as invoker,
               has_table_privilege('anon', c.oid, 'select') as anon
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'v' and c.relname like 'admin\\_%'
        order by c.relname`;
      expect(rows).toEqual([...VIEWS].sort().map((name) => ({ name, invoker: true, anon: false })));
    });
  });
});

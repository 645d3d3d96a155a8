import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAnon, asUser, createUser, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { CITY, createAdmin, createCategory, createProvider, type Provider, type ServicesMarket } from '../harness/services.ts';
import { deal, settle, startPayment, transition } from '../money/helpers.ts';

// Every figure is exact: each test works in a market of its own (the ledger is per
// currency, so the money is told apart by market through the entries' references), and
// everything it makes is rolled back.

/** A fresh services market in Ghana cedis on Accra time, paying through the fake gateway. */
async function newMarket(tx: Tx): Promise<string> {
  const code = `ad-${randomBytes(4).toString('hex')}`;
  await tx`
    insert into public.markets (code, name, country_code, currency_code, phone_country_code, default_locale, locales,
                                time_zone, modules, payment_gateways)
    values (${code}, 'Dashboard test', 'GH', 'GHS', '999', 'en', '{en}', 'Africa/Accra', '{services}', '{fake}')`;
  await tx`insert into public.service_settings (market_code) values (${code})`;
  return code;
}

function customerIn(tx: Tx, market: string, name: string): Promise<TestUser> {
  return createUser(tx, { metadata: { market, display_name: name } });
}

function providerIn(tx: Tx, market: string, businessName: string): Promise<Provider> {
  // The harness knows the seeded markets; a test market passes its place and zone.
  return createProvider(tx, { market: market as ServicesMarket, lat: CITY.gh.lat, lng: CITY.gh.lng, timeZone: 'Africa/Accra', businessName });
}

/** The market's local date `offset` days from today, as YYYY-MM-DD. */
async function localDate(tx: Tx, offset = 0): Promise<string> {
  const [row] = await tx`select ((now() at time zone 'Africa/Accra')::date + ${offset}::int)::text as day`;
  return row!.day as string;
}

async function dashboard(tx: Tx, user: TestUser, market: string, from: string, to: string): Promise<Dashboard> {
  const [row] = await asUser(tx, user, (q) => q`select public.admin_dashboard(${market}, ${from}::date, ${to}::date) as d`);
  return row!.d as Dashboard;
}

interface Dashboard {
  market: string;
  currency: string;
  time_zone: string;
  from: string;
  to: string;
  users: { total: number; new_signups: number; suspended: number; by_role: Record<string, number> };
  bookings: { total: number; by_status: Record<string, number> };
  money: Record<string, number>;
  payments: Record<string, { attempts: number; succeeded: number; failed: number; pending: number; success_rate: number | null }>;
  disputes: { open: number; opened: number; resolved: number };
  ratings: { average: number | null; count: number };
  top_categories: { category_id: string; slug: string; name: string; bookings: number; completed: number }[];
}

/**
 * A market with a week's worth of life, all of it today:
 *   b1 Kwame, cleaning 100.00, paid by gateway, completed (escrow released: 10.00 commission)
 *   b2 Kwame, cleaning 200.00, paid, cancelled by the provider (all 200.00 refunded)
 *   b3 Yaa, plumbing 50.00, accepted, paid in cash (5.00 commission owed)
 *   b4 Yaa, plumbing 80.00, requested, the gateway declined the payment
 *   b5 Yaa, plumbing 60.00, requested, payment awaiting approval
 *   b6 Kwame, cleaning 120.00, paid, in progress, then disputed (open)
 *   b7 Yaa, plumbing 100.00, paid, completed (10.00 commission), disputed, resolved with
 *      40.00 back to the customer (4.00 of commission taken back)
 * Reviews: b1 customer 5 / provider 4; b7 customer 2 / provider 3 (all published).
 */
async function marketScene(tx: Tx) {
  const market = await newMarket(tx);
  const admin = await createAdmin(tx);
  const ama = await customerIn(tx, market, 'Ama');
  const kofi = await customerIn(tx, market, 'Kofi');
  const efua = await customerIn(tx, market, 'Efua');
  const kwame = await providerIn(tx, market, 'Kwame Cleaning');
  const yaa = await providerIn(tx, market, 'Yaa Plumbing');
  const cleaning = await createCategory(tx, { name: { en: 'Cleaning' } });
  const plumbing = await createCategory(tx, { name: { en: 'Plumbing' } });

  const pay = async (customer: TestUser, bookingId: string, outcome: 'succeeded' | 'failed' | null = 'succeeded') => {
    const payment = await startPayment(tx, customer, bookingId);
    if (outcome) await settle(tx, payment, { status: outcome, amount: payment.amount_minor, ...(outcome === 'failed' ? { failureReason: 'declined' } : {}) });
    return payment;
  };

  const b1 = await deal(tx, { provider: kwame, customer: ama, categoryId: cleaning, priceMinor: 10_000, status: 'in_progress' });
  await pay(ama, b1.booking.id);
  await transition(tx, kwame, b1.booking.id, 'completed');

  const b2 = await deal(tx, { provider: kwame, customer: kofi, categoryId: cleaning, priceMinor: 20_000, status: 'accepted' });
  await pay(kofi, b2.booking.id);
  await transition(tx, kwame, b2.booking.id, 'cancelled_by_provider', 'Van broke down');

  const b3 = await deal(tx, { provider: yaa, customer: ama, categoryId: plumbing, priceMinor: 5_000, status: 'accepted' });
  await asUser(tx, yaa, (q) => q`select public.confirm_cash_payment(${b3.booking.id})`);

  const b4 = await deal(tx, { provider: yaa, customer: kofi, categoryId: plumbing, priceMinor: 8_000 });
  await pay(kofi, b4.booking.id, 'failed');

  const b5 = await deal(tx, { provider: yaa, customer: efua, categoryId: plumbing, priceMinor: 6_000 });
  await pay(efua, b5.booking.id, null);

  const b6 = await deal(tx, { provider: kwame, customer: kofi, categoryId: cleaning, priceMinor: 12_000, status: 'in_progress' });
  await pay(kofi, b6.booking.id);
  await asUser(tx, kofi, (q) => q`select public.open_dispute(${b6.booking.id}, 'Left halfway through', ${[]})`);

  const b7 = await deal(tx, { provider: yaa, customer: efua, categoryId: plumbing, priceMinor: 10_000, status: 'in_progress' });
  await pay(efua, b7.booking.id);
  await transition(tx, yaa, b7.booking.id, 'completed');
  const [dispute] = await asUser(tx, efua, (q) => q`select * from public.open_dispute(${b7.booking.id}, 'Still leaking', ${[]})`);
  await asUser(tx, admin, (q) => q`select public.resolve_dispute(${dispute!.id}, 'partial_refund', 4000, 'Half the job was done')`);

  const review = async (user: TestUser, bookingId: string, rating: number) => {
    const [row] = await asUser(tx, user, (q) => q`select * from public.submit_review(${bookingId}, ${rating})`);
    return row!.id as string;
  };
  await review(ama, b1.booking.id, 5);
  await review(kwame, b1.booking.id, 4);
  const efuasReview = await review(efua, b7.booking.id, 2);
  await review(yaa, b7.booking.id, 3);

  return { market, admin, ama, kofi, efua, kwame, yaa, cleaning, plumbing, bookings: { b1, b2, b3, b4, b5, b6, b7 }, efuasReview };
}

const NO_BOOKINGS = {
  requested: 0, accepted: 0, declined: 0, expired: 0, in_progress: 0, completed: 0,
  cancelled_by_customer: 0, cancelled_by_provider: 0, cancelled_by_admin: 0, disputed: 0, resolved: 0,
};

describe('admin dashboard', () => {
  it('gives an admin the exact figures of a market for a period', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      // Efua joined last month; Kofi is suspended.
      await tx`update public.profiles set created_at = now() - interval '40 days' where id = ${s.efua.id}`;
      await asUser(tx, s.admin, (q) => q`select public.suspend_user(${s.kofi.id}, 'Chargebacks')`);
      const today = await localDate(tx);

      const d = await dashboard(tx, s.admin, s.market, today, today);
      expect(d).toEqual({
        market: s.market,
        currency: 'GHS',
        time_zone: 'Africa/Accra',
        from: today,
        to: today,
        users: { total: 5, new_signups: 4, suspended: 1, by_role: { customer: 5, provider: 2, seller: 0, staff: 0, admin: 0 } },
        bookings: {
          total: 7,
          by_status: { ...NO_BOOKINGS, requested: 2, accepted: 1, completed: 1, cancelled_by_provider: 1, disputed: 1, resolved: 1 },
        },
        money: {
          gmv_minor: 57_000,
          gmv_platform_minor: 52_000,
          gmv_cash_minor: 5_000,
          commission_minor: 2_100,
          refunds_minor: 24_000,
          refunds: 2,
          payments_settled: 5,
        },
        payments: {
          fake: { attempts: 5, succeeded: 4, failed: 1, pending: 1, success_rate: 0.8 },
          cash: { attempts: 1, succeeded: 1, failed: 0, pending: 0, success_rate: 1 },
        },
        disputes: { open: 1, opened: 2, resolved: 1 },
        ratings: { average: 3.5, count: 2 },
        top_categories: [
          { category_id: s.plumbing, slug: expect.any(String), name: 'Plumbing', bookings: 4, completed: 0 },
          { category_id: s.cleaning, slug: expect.any(String), name: 'Cleaning', bookings: 3, completed: 1 },
        ],
      });
    });
  });

  it('takes money from the ledger: commission is what platform revenue was credited, net of refunds', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      const today = await localDate(tx);
      // The same sums straight from the journal, by the references the payments post.
      const [ledger] = await tx`
        select coalesce(-sum(l.amount_minor) filter (where a.kind = 'platform_revenue'), 0)::int as commission,
               coalesce(sum(l.amount_minor) filter (where e.kind = 'refund.issued' and l.amount_minor > 0), 0)::int as refunds
        from public.journal_entries e
        join public.journal_lines l on l.entry_id = e.id
        join public.ledger_accounts a on a.id = l.account_id
        join public.payments p on p.id = (e.reference ->> 'payment_id')::uuid
        where p.market_code = ${s.market}`;
      const d = await dashboard(tx, s.admin, s.market, today, today);
      expect([d.money.commission_minor, d.money.refunds_minor]).toEqual([ledger!.commission, ledger!.refunds]);
      // The payments' own counters agree here, but the dashboard never reads them.
      const [counters] = await tx`select sum(refunded_minor)::int as refunded from public.payments where market_code = ${s.market}`;
      expect(counters!.refunded).toBe(24_000);
    });
  });

  it('follows moderation: a hidden review leaves the average', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      const today = await localDate(tx);
      await asUser(tx, s.admin, (q) => q`select public.hide_review(${s.efuasReview}, 'Threatening language')`);
      expect((await dashboard(tx, s.admin, s.market, today, today)).ratings).toEqual({ average: 5, count: 1 });
    });
  });

  it('counts only the period asked for; users and open disputes are as of now', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      // b5 was requested ten days ago.
      await tx`update public.bookings set created_at = now() - interval '10 days' where id = ${s.bookings.b5.booking.id}`;
      const [today, tenDaysAgo, tomorrow] = [await localDate(tx), await localDate(tx, -10), await localDate(tx, 1)];

      const past = await dashboard(tx, s.admin, s.market, tenDaysAgo, tenDaysAgo);
      expect(past.bookings).toEqual({ total: 1, by_status: { ...NO_BOOKINGS, requested: 1 } });
      expect(past.top_categories).toEqual([expect.objectContaining({ category_id: s.plumbing, bookings: 1 })]);
      expect(past.money).toMatchObject({ gmv_minor: 0, commission_minor: 0 });
      expect(past.payments).toEqual({});

      expect((await dashboard(tx, s.admin, s.market, tenDaysAgo, today)).bookings.total).toBe(7);
      expect((await dashboard(tx, s.admin, s.market, today, today)).bookings.total).toBe(6);

      const future = await dashboard(tx, s.admin, s.market, tomorrow, tomorrow);
      expect(future).toMatchObject({
        users: { total: 5, new_signups: 0 },
        bookings: { total: 0, by_status: NO_BOOKINGS },
        money: { gmv_minor: 0, gmv_platform_minor: 0, gmv_cash_minor: 0, commission_minor: 0, refunds_minor: 0, refunds: 0, payments_settled: 0 },
        payments: {},
        disputes: { open: 1, opened: 0, resolved: 0 },
        ratings: { average: null, count: 0 },
        top_categories: [],
      });
    });
  });

  it('keeps markets apart, even in the same currency', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      const other = await newMarket(tx);
      const kojo = await providerIn(tx, other, 'Kojo Repairs');
      const abena = await customerIn(tx, other, 'Abena');
      const elsewhere = await deal(tx, { provider: kojo, customer: abena, priceMinor: 7_000, status: 'in_progress' });
      const payment = await startPayment(tx, abena, elsewhere.booking.id);
      await settle(tx, payment, { status: 'succeeded', amount: payment.amount_minor });
      await transition(tx, kojo, elsewhere.booking.id, 'completed');
      const today = await localDate(tx);

      expect((await dashboard(tx, s.admin, s.market, today, today)).money).toMatchObject({ gmv_minor: 57_000, commission_minor: 2_100 });
      const theirs = await dashboard(tx, s.admin, other, today, today);
      expect(theirs).toMatchObject({
        users: { total: 2, by_role: { customer: 2, provider: 1 } },
        bookings: { total: 1, by_status: { completed: 1 } },
        money: { gmv_minor: 7_000, gmv_platform_minor: 7_000, gmv_cash_minor: 0, commission_minor: 700, refunds_minor: 0 },
        payments: { fake: { attempts: 1, succeeded: 1, success_rate: 1 } },
        disputes: { open: 0 },
      });
    });
  });

  it.each([
    ['an unknown market', 'zz-nowhere', 0, 0, '22023', 'market_unknown'],
    ['an end before the start', null, 0, -1, '22023', 'invalid_time_range'],
    ['more than 366 days', null, -366, 0, '22023', 'date_range_too_long'],
  ])('refuses %s with a stable code', async (_, market, fromOffset, toOffset, code, hint) => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      const [from, to] = [await localDate(tx, fromOffset), await localDate(tx, toOffset)];
      await expect(dashboard(tx, admin, market ?? 'gh', from, to)).rejects.toMatchObject({ code, hint });
    });
  });

  it('accepts exactly 366 days', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      const d = await dashboard(tx, admin, 'gh', await localDate(tx, -365), await localDate(tx));
      expect(d.market).toBe('gh');
    });
  });

  it('refuses a missing date as invalid input', async () => {
    await rollback(async (tx) => {
      const admin = await createAdmin(tx);
      await expect(asUser(tx, admin, (q) => q`select public.admin_dashboard('gh', null, current_date)`)).rejects.toMatchObject({
        code: '22023',
        hint: 'invalid_input',
      });
    });
  });

  it('gives customers and providers nothing, with a stable code', async () => {
    await rollback(async (tx) => {
      const s = await marketScene(tx);
      const today = await localDate(tx);
      for (const user of [s.ama, s.kwame]) {
        await expect(dashboard(tx, user, s.market, today, today)).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
      }
    });
  });

  it('cannot be called by anonymous clients at all', async () => {
    await rollback(async (tx) => {
      await expect(asAnon(tx, (q) => q`select public.admin_dashboard('gh', current_date, current_date)`)).rejects.toMatchObject({
        code: '42501',
      });
    });
  });

  it('refuses an admin whose role was revoked, even with a token that still says admin', async () => {
    await rollback(async (tx) => {
      const former = await createAdmin(tx);
      await tx`delete from public.user_roles where user_id = ${former.id} and role = 'admin'`;
      const today = await localDate(tx);
      await expect(dashboard(tx, former, 'gh', today, today)).rejects.toMatchObject({ code: '42501', hint: 'forbidden' });
    });
  });

  it('is security invoker: it reads through the admin’s own row level security', async () => {
    await rollback(async (tx) => {
      const [fn] = await tx`
        select p.prosecdef, has_function_privilege('anon', p.oid, 'execute') as anon
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and p.proname = 'admin_dashboard'`;
      expect(fn).toEqual({ prosecdef: false, anon: false });
    });
  });
});

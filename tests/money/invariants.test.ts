// R2: a randomized run of concurrent money operations — payments started and settled
// (with duplicate, out-of-order and wrong reports), wallet and cash payments, admin
// refunds, completions and cancellations (escrow release and policy refunds), payouts
// and their outcomes, refund outcomes — on real concurrent connections. Afterwards:
// every entry balanced, kept balances equal to their lines, no negative wallet,
// earnings or escrow, refunds never above what was captured, each booking's escrow
// exactly what its unreleased payments still hold, each payment settled at most once.
// It runs in Uzbekistan (UZS): committed money in GHS would disturb other files' exact reads.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mulberry32 } from '../../src/gateways/fake.ts';
import { asService, asUser, type TestUser } from '../harness/db.ts';
import { createCustomer, createListing, createProvider } from '../harness/services.ts';

const OPERATIONS = Number(process.env.SOKO_R2_OPERATIONS ?? 10_000);
const CONCURRENCY = 16;
const PROVIDERS = 12;
const CUSTOMERS = 60;
const BOOKINGS = 1_500;

let sql: postgres.Sql;
beforeAll(() => {
  sql = postgres(inject('databaseUrl'), { max: 8, onnotice: () => undefined, types: { bigint: postgres.BigInt } });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

interface BookingRef { id: string; customer: TestUser; provider: TestUser; price: number }
interface PaymentRef { id: string; reference: string; amount: number; booking: BookingRef; events: string[] }

describe('R2: randomized concurrent money operations', () => {
  it(`${OPERATIONS} operations leave the books exact`, async () => {
    const random = mulberry32(20261121);
    const pick = <T>(items: T[]): T | undefined => (items.length ? items[Math.floor(random() * items.length)] : undefined);
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

    const admin = await createCustomer(sql, 'uz');
    await sql`insert into public.user_roles (user_id, role) values (${admin.id}, 'admin')`;
    const adminUser: TestUser = { ...admin, claims: { ...admin.claims, user_roles: ['admin', 'customer'] } };
    const providers: TestUser[] = [];
    const listings: string[] = [];
    for (let i = 0; i < PROVIDERS; i++) {
      const provider = await createProvider(sql, { market: 'uz' });
      providers.push(provider);
      listings.push((await createListing(sql, provider, { priceMinor: 1_000 })).id);
    }
    const customers: TestUser[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customers.push(await createCustomer(sql, 'uz'));
    await sql`select private.payment_settings_for('uz')`;

    // Bookings straight into the table (their own rules are not under test here): half
    // accepted, half in progress, each at its own time so none overlap.
    const plan = Array.from({ length: BOOKINGS }, (_, i) => ({
      i,
      p: i % PROVIDERS,
      c: int(0, CUSTOMERS - 1),
      price: int(500, 20_000),
    }));
    const rows = await sql`
      insert into public.bookings (listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied,
                                   time_zone, price_minor, currency_code, pricing_unit, address, lat, lng, idempotency_key,
                                   accepted_at, started_at)
      select x.listing::uuid, x.provider::uuid, x.customer::uuid, 'uz',
             case when x.i % 2 = 0 then 'accepted' else 'in_progress' end::public.booking_status,
             now() + interval '4 days' + x.i * interval '2 hours', now() + interval '4 days 1 hour' + x.i * interval '2 hours',
             tstzrange(now() + interval '4 days' + x.i * interval '2 hours', now() + interval '4 days 1 hour' + x.i * interval '2 hours'),
             'Asia/Tashkent', x.price, 'UZS', 'fixed', 'R2 Street', 41.3, 69.24, 'r2-' || gen_random_uuid(), now(),
             case when x.i % 2 = 1 then now() end
      from jsonb_to_recordset(${JSON.stringify(plan.map((b) => ({ i: b.i, listing: listings[b.p], provider: providers[b.p]!.id, customer: customers[b.c]!.id, price: b.price })))}::text::jsonb)
        as x (i int, listing text, provider text, customer text, price bigint)
      returning id, provider_id, customer_id, price_minor`;
    const bookings: BookingRef[] = rows.map((r) => ({
      id: r.id as string,
      provider: providers.find((p) => p.id === r.provider_id)!,
      customer: customers.find((c) => c.id === r.customer_id)!,
      price: Number(r.price_minor),
    }));
    const payments: PaymentRef[] = [];
    const payouts: string[] = [];
    const refunds: string[] = [];

    const report = (p: PaymentRef, status: string, amount = p.amount, currency = 'UZS', event: string = randomUUID()) => {
      p.events.push(event);
      const body = { reference: p.reference, status, amount_minor: amount, currency, gateway_transaction_id: `r2-${p.id}` };
      return asService(sql, (q) => q`
        select private.handle_callback('fake', ${event}, ${JSON.stringify(body)}, '{}'::jsonb, true, ${JSON.stringify(body)}::text::jsonb)`);
    };

    const ops: [number, () => Promise<unknown>][] = [
      [15, async () => {
        const b = pick(bookings)!;
        const [row] = await asUser(sql, b.customer, (q) => q`select id, reference, amount_minor from public.start_payment(${b.id}, 'gateway', 'fake', ${randomUUID()})`);
        payments.push({ id: row!.id as string, reference: row!.reference as string, amount: Number(row!.amount_minor), booking: b, events: [] });
      }],
      [30, async () => {
        const p = pick(payments);
        if (!p) return;
        const roll = random();
        if (roll < 0.55) return report(p, 'succeeded');
        if (roll < 0.65) return report(p, 'failed');
        if (roll < 0.70) return report(p, 'expired');
        if (roll < 0.75) return report(p, 'succeeded', p.amount + 1);
        if (roll < 0.78) return report(p, 'succeeded', p.amount, 'GHS');
        if (roll < 0.85) return report(p, 'pending');
        return report(p, 'succeeded', p.amount, 'UZS', pick(p.events) ?? randomUUID());
      }],
      [5, async () => {
        const c = pick(customers)!;
        await sql`select private.post_entry('wallet.topped_up', 'UZS', jsonb_build_array(
          jsonb_build_object('account_id', private.ledger_account('gateway_clearing', 'UZS', gateway => 'fake'), 'amount_minor', 20000),
          jsonb_build_object('account_id', private.ledger_account('customer_wallet', 'UZS', owner_id => ${c.id}::uuid), 'amount_minor', -20000)),
          ${'r2-topup:' + randomUUID()})`;
      }],
      [5, async () => {
        const b = pick(bookings)!;
        await asUser(sql, b.customer, (q) => q`select public.start_payment(${b.id}, 'wallet', null, ${randomUUID()})`);
      }],
      [4, async () => {
        const b = pick(bookings)!;
        await asUser(sql, b.provider, (q) => q`select public.confirm_cash_payment(${b.id})`);
      }],
      [8, async () => {
        const p = pick(payments)!;
        if (!p) return;
        const [row] = await asUser(sql, adminUser, (q) => q`
          select id from public.refund_payment(${p.id}, ${int(1, p.amount)}, ${random() < 0.5 ? 'gateway' : 'wallet'}::public.refund_destination, 'R2')`);
        refunds.push(row!.id as string);
      }],
      [6, async () => {
        const b = pick(bookings)!;
        await asUser(sql, b.provider, (q) => q`select public.transition_booking(${b.id}, 'completed')`);
      }],
      [5, async () => {
        const b = pick(bookings)!;
        if (random() < 0.5) await asUser(sql, b.customer, (q) => q`select public.transition_booking(${b.id}, 'cancelled_by_customer')`);
        else await asUser(sql, b.provider, (q) => q`select public.transition_booking(${b.id}, 'cancelled_by_provider', 'R2')`);
      }],
      [8, async () => {
        const provider = pick(providers)!;
        const [row] = await asUser(sql, provider, (q) => q`select id from public.request_payout(${int(100, 15_000)}, null, ${randomUUID()})`);
        payouts.push(row!.id as string);
      }],
      [6, async () => {
        const id = pick(payouts);
        if (!id) return;
        const status = random() < 0.7 ? 'succeeded' : random() < 0.5 ? 'failed' : 'processing';
        await asService(sql, (q) => q`select private.complete_payout(${id}, ${status}::public.payout_status)`);
      }],
      [5, async () => {
        const id = pick(refunds);
        if (!id) return;
        const status = random() < 0.7 ? 'succeeded' : random() < 0.5 ? 'failed' : 'processing';
        await asService(sql, (q) => q`select private.complete_refund(${id}, ${status}::public.refund_status)`);
      }],
    ];
    const total = ops.reduce((sum, [w]) => sum + w, 0);
    const choose = () => {
      let roll = random() * total;
      for (const [w, op] of ops) {
        roll -= w;
        if (roll < 0) return op;
      }
      return ops[0]![1];
    };

    const refused = new Map<string, number>();
    const unexpected: unknown[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < OPERATIONS) {
          next += 1;
          try {
            await choose()();
          } catch (error) {
            const hint = (error as { hint?: string }).hint;
            if (hint && /^[a-z][a-z0-9_]+$/.test(hint)) refused.set(hint, (refused.get(hint) ?? 0) + 1);
            else unexpected.push(error);
          }
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`R2: ${OPERATIONS} operations in ${seconds.toFixed(1)} s; refused by rule: ${JSON.stringify(Object.fromEntries(refused))}`);
    for (const e of unexpected.slice(0, 3)) console.log("UNEXPECTED", (e as { detail?: string }).detail, (e as { where?: string }).where);
    expect(unexpected.map((e) => `${(e as { code?: string }).code}: ${(e as Error).message}`).slice(0, 5)).toEqual([]);

    const [books] = await sql`
      select
        (select count(*) from (select entry_id from public.journal_lines group by entry_id
                               having sum(amount_minor) <> 0 or count(*) < 2) as u)::int as unbalanced,
        (select count(*) from public.journal_entries e where not exists (select from public.journal_lines l where l.entry_id = e.id))::int as empty,
        (select count(*) from private.ledger_drift())::int as drift,
        (select count(*) from public.ledger_accounts where balance_minor < 0 and not allow_negative)::int as negative,
        (select count(*) from public.payments p
          where p.refunded_minor > p.captured_minor
             or p.refunded_minor <> coalesce((select sum(r.amount_minor) from public.refunds r where r.payment_id = p.id), 0))::int as bad_refunds,
        (select count(*) from public.payments p
          where (select count(*) from public.journal_entries e where e.idempotency_key = 'payment:' || p.id || ':settled')
                <> case when p.captured_minor > 0 and (p.method <> 'cash' or p.commission_minor > 0) then 1 else 0 end)::int as bad_settlements,
        (select count(*) from public.bookings b
          where b.id = any(${bookings.map((b) => b.id)}::uuid[])
            and coalesce((select a.balance_minor from public.ledger_accounts a where a.kind = 'escrow' and a.subject_id = b.id), 0)
             <> coalesce((select sum(p.captured_minor - p.refunded_minor) from public.payments p
                          where p.booking_id = b.id and p.released_at is null and p.method <> 'cash'), 0))::int as bad_escrow,
        (select count(*) from public.payouts o
          where o.provider_id = any(${providers.map((p) => p.id)}::uuid[]) and o.status in ('succeeded', 'failed')
            and (select count(*) from public.journal_entries e where e.idempotency_key like 'payout:' || o.id || ':%') <> 2)::int as bad_payouts,
        (select count(*) from public.payments where booking_id = any(${bookings.map((b) => b.id)}::uuid[]) and captured_minor > 0)::int as captured`;
    expect(books).toMatchObject({ unbalanced: 0, empty: 0, drift: 0, negative: 0, bad_refunds: 0, bad_settlements: 0, bad_escrow: 0, bad_payouts: 0 });
    expect(books!.captured).toBeGreaterThan(100);
  }, 120_000);
});

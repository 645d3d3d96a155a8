// P7: payment callbacks as gateways send them — 10,000 signed callbacks, 30 % of them
// duplicates (redeliveries, some arriving before the original finished), from 8
// concurrent senders — through the real webhook handler (src/payments/webhooks.ts:
// Standard Webhooks signature check over the raw body, inbox, the one settlement
// function) on a pool of 8 connections as `postgres`, the way the payment-webhooks
// function connects. Targets: zero double credits; ≥ 500 settlements per second.
//
// Setup, not measured: 7,000 bookings in Ghana (accepted, each at its own time) with a
// pending fake-gateway payment each, and the 10,000 signed requests built in advance.
import postgres from 'postgres';
import { FakeGateway } from '../../src/gateways/fake.ts';
import { gatewaysOf } from '../../src/payments/gateways.ts';
import { createWebhookHandler } from '../../src/payments/webhooks.ts';
import { defineScenario, type Result } from '../lib/scenario.ts';
import { formatMs, summarize } from '../lib/timing.ts';
import { seededRandom } from '../lib/users.ts';

const PAYMENTS = 7_000;
const CALLBACKS = 10_000;
const SENDERS = 8;
/** Extra payments settled before measuring, to warm the pool and the plans. */
const WARM = 64;
const TARGET_PER_SECOND = 500;
const SECRET = 'whsec_YmVuY2gtc2V0dGxlbWVudC1zaWduaW5nLXNlY3JldA==';
const PLUMBING = 'ca7e0000-0000-4000-8000-000000000011';

interface Delivery {
  url: string;
  headers: [string, string][];
  body: string;
}

export default defineScenario({
  name: 'settlement',
  description: `${CALLBACKS / 1000}k signed payment callbacks, 30 % duplicates, ${SENDERS} concurrent senders, through the webhook handler`,
  async run(ctx) {
    const users = await ctx.users(100 + PAYMENTS + WARM);
    const providers = users.slice(0, 100);
    const customers = users.slice(100, 100 + PAYMENTS + WARM);
    const admin = ctx.admin;

    ctx.log(`  ${providers.length} providers with a listing, ${PAYMENTS} bookings with a pending payment`);
    await admin`
      insert into public.providers (id, market_code, business_name, time_zone, verification_status, verified_at)
      select p, 'gh', 'Bench provider ' || n, 'Africa/Accra', 'verified', now()
      from unnest(${providers}::uuid[]) with ordinality as u (p, n)
      on conflict (id) do nothing`;
    await admin`
      insert into public.service_listings (provider_id, category_id, market_code, title, price_minor)
      select p, ${PLUMBING}::uuid, 'gh', '{"en": "Bench job"}'::jsonb, 1000 + (n * 37) % 9000
      from unnest(${providers}::uuid[]) with ordinality as u (p, n)`;
    const all = await admin<{ id: string; amount_minor: string; booking_id: string }[]>`
      with listing as (
        select l.id, l.provider_id, l.price_minor, row_number() over (order by l.id) - 1 as k
        from public.service_listings as l where l.provider_id = any(${providers}::uuid[])
      ),
      booked as (
        insert into public.bookings (listing_id, provider_id, customer_id, market_code, status, starts_at, ends_at, occupied,
                                     time_zone, price_minor, currency_code, pricing_unit, address, lat, lng, idempotency_key,
                                     accepted_at, payment_status)
        select l.id, l.provider_id, c.customer, 'gh', 'accepted',
               now() + interval '3 days' + c.n * interval '2 hours', now() + interval '3 days 1 hour' + c.n * interval '2 hours',
               tstzrange(now() + interval '3 days' + c.n * interval '2 hours', now() + interval '3 days 1 hour' + c.n * interval '2 hours'),
               'Africa/Accra', l.price_minor, 'GHS', 'fixed', 'Bench Street', 5.56, -0.2, 'bench-' || lpad(c.n::text, 8, '0'), now(), 'pending'
        from unnest(${customers}::uuid[]) with ordinality as c (customer, n)
        join listing as l on l.k = c.n % ${providers.length}
        returning id, customer_id, provider_id, price_minor
      )
      insert into public.payments (booking_id, payer_id, payee_id, market_code, amount_minor, currency, method, gateway,
                                   idempotency_key, expires_at, reference)
      select b.id, b.customer_id, b.provider_id, 'gh', b.price_minor, 'GHS', 'gateway', 'fake', 'bench-' || b.id,
             now() + interval '10 minutes', null
      from booked as b
      returning id, amount_minor::text, booking_id`;
    await admin`update public.payments set reference = id::text where reference is null and gateway = 'fake'`;
    const payments = all.slice(0, PAYMENTS);
    const warm = all.slice(PAYMENTS);
    await admin`analyze public.payments`;
    await admin`analyze public.bookings`;

    // The gateway side: each payment known to the fake gateway, its success callback signed.
    const gateway = new FakeGateway({ seed: 'bench', successRate: 1, signingSecret: SECRET });
    const originals: Delivery[] = [];
    for (const p of all) {
      await gateway.initiate({ paymentId: p.id, amountMinor: Number(p.amount_minor), currency: 'GHS', description: 'Bench', customer: { phone: '+233241234567' } });
      const request = await gateway.buildCallback(p.id, 'http://bench.local/functions/v1/payment-webhooks/fake');
      originals.push({ url: request.url, headers: [...request.headers], body: await request.text() });
    }
    const warmups = originals.splice(PAYMENTS);
    const random = seededRandom(77);
    const deliveries: Delivery[] = [...originals];
    while (deliveries.length < CALLBACKS) deliveries.push(originals[Math.floor(random() * originals.length)]!);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }

    // As supabase/functions/_shared/env.ts connects (prepare: false suits Supabase's transaction pooler).
    const sql = postgres(ctx.db.url, { max: SENDERS, prepare: false, onnotice: () => undefined });
    try {
      const handler = createWebhookHandler({ sql, gateways: gatewaysOf([gateway]) });
      // Warm the pool and the plans on payments outside the measured set.
      await Promise.all(Array.from({ length: SENDERS }, async (_, k) => {
        for (let i = k; i < warmups.length; i += SENDERS) {
          const d = warmups[i]!;
          await handler(new Request(d.url, { method: 'POST', headers: d.headers, body: d.body }));
        }
      }));
      if (warm.length !== WARM) throw new Error('warm-up payments missing');

      ctx.log(`  ${CALLBACKS} callbacks (${CALLBACKS - PAYMENTS} duplicates) from ${SENDERS} senders`);
      const latencies: number[] = [];
      const statuses = new Map<number, number>();
      let next = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < deliveries.length) {
            const d = deliveries[next++]!;
            const t0 = process.hrtime.bigint();
            const response = await handler(new Request(d.url, { method: 'POST', headers: d.headers, body: d.body }));
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;

      const ids = payments.map((p) => p.id);
      const [check] = await admin<{ settled_entries: number; doubled: number; succeeded: number; escrow_off: number; applied: number; duplicates: number }[]>`
        select
          (select count(*)::int from public.journal_entries e
            where e.idempotency_key = any(select 'payment:' || x || ':settled' from unnest(${ids}::uuid[]) as x)) as settled_entries,
          (select count(*)::int from (select l.account_id from public.journal_lines l
             join public.ledger_accounts a on a.id = l.account_id
             where a.kind = 'escrow' and a.subject_id = any(${payments.map((p) => p.booking_id)}::uuid[])
             group by l.account_id having count(*) > 1) as x) as doubled,
          (select count(*)::int from public.payments where id = any(${ids}::uuid[]) and status = 'succeeded') as succeeded,
          (select count(*)::int from public.payments p join public.ledger_accounts a on a.kind = 'escrow' and a.subject_id = p.booking_id
            where p.id = any(${ids}::uuid[]) and a.balance_minor <> p.amount_minor) as escrow_off,
          (select count(*)::int from public.webhook_inbox where payment_id = any(${ids}::uuid[]) and result = 'applied') as applied,
          (select count(*)::int from public.webhook_inbox where payment_id = any(${ids}::uuid[]) and result <> 'applied') as duplicates`;
      const c = check!;
      const lat = summarize(latencies);
      const callbacksPerSecond = CALLBACKS / seconds;
      const settlementsPerSecond = c.succeeded / seconds;
      ctx.log(`  ${seconds.toFixed(2)} s; responses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `${c.settled_entries} settlement entries for ${PAYMENTS} payments; inbox applied ${c.applied}, other ${c.duplicates}`);

      const rows: Result[] = [
        {
          metric: 'double credits (entries beyond one per payment, escrow ≠ amount)',
          measured: `${c.settled_entries - c.succeeded + c.doubled + c.escrow_off} (entries ${c.settled_entries}, succeeded ${c.succeeded}/${PAYMENTS})`,
          target: '0, every payment settled',
          ratio: null,
          pass: c.settled_entries === PAYMENTS && c.succeeded === PAYMENTS && c.doubled === 0 && c.escrow_off === 0,
        },
        {
          metric: `settlements per second (${PAYMENTS} applied in ${seconds.toFixed(2)} s)`,
          measured: `${settlementsPerSecond.toFixed(0)}/s`,
          target: `≥ ${TARGET_PER_SECOND}/s`,
          ratio: TARGET_PER_SECOND / settlementsPerSecond,
          pass: settlementsPerSecond >= TARGET_PER_SECOND,
        },
        {
          metric: `callbacks per second (${CALLBACKS} incl. duplicates)`,
          measured: `${callbacksPerSecond.toFixed(0)}/s`,
          target: `≥ ${TARGET_PER_SECOND}/s`,
          ratio: TARGET_PER_SECOND / callbacksPerSecond,
          pass: callbacksPerSecond >= TARGET_PER_SECOND,
        },
        {
          metric: `callback latency (p95, n=${lat.n})`,
          measured: `p50 ${formatMs(lat.p50)} · p95 ${formatMs(lat.p95)} · p99 ${formatMs(lat.p99)}`,
          target: 'reported',
          ratio: null,
          pass: true,
        },
      ];
      return rows;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },
});

// Fixtures for the money tests: a booking ready to pay, payments started the way the
// app starts them (as the customer, through the API), gateway reports applied the way
// the webhook and the poller apply them (as the service role), and ledger read-outs.
import { randomUUID } from 'node:crypto';
import { asService, asUser, type Queryable, type TestUser } from '../harness/db.ts';
import {
  createCustomer,
  createListing,
  createProvider,
  requestBooking,
  soon,
  transition,
  utcDay,
  type Booking,
  type Listing,
  type Provider,
  type ServicesMarket,
} from '../harness/services.ts';

export interface Deal {
  customer: TestUser;
  provider: Provider;
  listing: Listing;
  booking: Booking;
}

let slot = 0;

/** A future start more than 48 hours out (the full-refund tier), varied per call. */
export function nextStart(): Date {
  slot += 1;
  // Within every services market's booking horizon (60 days in Uzbekistan).
  return utcDay(3 + (slot % 40), (slot * 3) % 20, 0);
}

export interface NewDeal {
  market?: ServicesMarket;
  priceMinor?: number;
  categoryId?: string;
  /** How far the booking goes before it is paid: requested (default), accepted, in_progress. */
  status?: 'requested' | 'accepted' | 'in_progress';
  startsAt?: Date;
  provider?: Provider;
  customer?: TestUser;
}

/** A customer's booking of a fresh provider's listing. */
export async function deal(q: Queryable, options: NewDeal = {}): Promise<Deal> {
  const market = options.market ?? 'gh';
  const customer = options.customer ?? (await createCustomer(q, market));
  const provider = options.provider ?? (await createProvider(q, { market }));
  const listing = await createListing(q, provider, {
    priceMinor: options.priceMinor ?? 10_000,
    ...(options.categoryId ? { categoryId: options.categoryId } : {}),
  });
  // A booking can only start close to its start time.
  let booking = await requestBooking(q, customer, listing, options.startsAt ?? (options.status === 'in_progress' ? soon() : nextStart()));
  if (options.status === 'accepted' || options.status === 'in_progress') booking = await transition(q, provider, booking.id, 'accepted');
  if (options.status === 'in_progress') booking = await transition(q, provider, booking.id, 'in_progress');
  return { customer, provider, listing, booking };
}

export interface Payment {
  id: string;
  status: string;
  method: string;
  gateway: string | null;
  reference: string | null;
  amount_minor: bigint;
  captured_minor: bigint;
  refunded_minor: bigint;
  commission_minor: bigint | null;
  currency: string;
  late: boolean;
  released_at: Date | null;
  [column: string]: unknown;
}

/** public.start_payment as the customer. */
export async function startPayment(
  q: Queryable,
  customer: TestUser,
  bookingId: string,
  method: 'gateway' | 'wallet' = 'gateway',
  gateway: string | null = 'fake',
  idempotencyKey: string = randomUUID(),
): Promise<Payment> {
  const [row] = await asUser(q, customer, (tx) => tx`
    select * from public.start_payment(${bookingId}, ${method}::public.payment_method, ${method === 'gateway' ? gateway : null}, ${idempotencyKey})`);
  return row as unknown as Payment;
}

export interface Report {
  status: string;
  amount: number | bigint;
  currency?: string;
  transactionId?: string | null;
  failureReason?: string | null;
}

/** private.settle_payment as the service role (what the poller and re-fetches do). */
export async function settle(q: Queryable, payment: Pick<Payment, 'gateway' | 'reference'>, report: Report): Promise<Record<string, unknown>> {
  const [row] = await asService(q, (tx) => tx`
    select private.settle_payment(${payment.gateway}, ${payment.reference}, ${report.status}::public.payment_status,
                                  ${String(report.amount)}::bigint, ${report.currency ?? 'GHS'},
                                  ${report.transactionId === undefined ? `tx-${payment.reference}` : report.transactionId},
                                  ${report.failureReason ?? null}, 'test') as outcome`);
  return row!.outcome as Record<string, unknown>;
}

/** private.handle_callback as the service role (what payment-webhooks does with a verified callback). */
export async function callback(
  q: Queryable,
  payment: Pick<Payment, 'gateway' | 'reference'>,
  report: Report,
  eventId: string = randomUUID(),
): Promise<Record<string, unknown>> {
  const body = {
    reference: payment.reference,
    status: report.status,
    amount_minor: Number(report.amount),
    currency: report.currency ?? 'GHS',
    gateway_transaction_id: report.transactionId === undefined ? `tx-${payment.reference}` : report.transactionId,
    failure_reason: report.failureReason ?? null,
  };
  const [row] = await asService(q, (tx) => tx`
    select private.handle_callback(${payment.gateway}, ${eventId}, ${JSON.stringify({ data: body })}, '{}'::jsonb, true,
                                   ${JSON.stringify(body)}::text::jsonb) as outcome`);
  return row!.outcome as Record<string, unknown>;
}

/** A gateway payment started and settled as succeeded. */
export async function paidBooking(q: Queryable, options: NewDeal = {}): Promise<Deal & { payment: Payment }> {
  const d = await deal(q, options);
  const started = await startPayment(q, d.customer, d.booking.id);
  await settle(q, started, { status: 'succeeded', amount: started.amount_minor, currency: started.currency });
  return { ...d, payment: await paymentRow(q, started.id) };
}

export async function paymentRow(q: Queryable, id: string): Promise<Payment> {
  const [row] = await q`select * from public.payments where id = ${id}`;
  return row as unknown as Payment;
}

export async function bookingRow(q: Queryable, id: string): Promise<Booking & { payment_status: string }> {
  const [row] = await q`select * from public.bookings where id = ${id}`;
  return row as unknown as Booking & { payment_status: string };
}

type Kind = 'platform_revenue' | 'gateway_clearing' | 'customer_wallet' | 'provider_earnings' | 'escrow' | 'commission_receivable' | 'payout_clearing';

/** An account's balance (0 when the account does not exist yet). */
export async function balance(q: Queryable, kind: Kind, who: { owner?: string; gateway?: string; subject?: string } = {}, currency = 'GHS'): Promise<number> {
  const [row] = await q`
    select coalesce(sum(balance_minor), 0)::bigint as balance from public.ledger_accounts
    where kind = ${kind} and currency = ${currency}
      and owner_id is not distinct from ${who.owner ?? null}::uuid
      and gateway is not distinct from ${who.gateway ?? null}
      and subject_id is not distinct from ${who.subject ?? null}::uuid`;
  return Number(row!.balance);
}

/** Journal entries whose reference names the payment. */
export async function entriesFor(q: Queryable, paymentId: string): Promise<{ kind: string; idempotency_key: string }[]> {
  const rows = await q`
    select kind, idempotency_key from public.journal_entries
    where reference @> ${JSON.stringify({ payment_id: paymentId })}::text::jsonb order by id`;
  return rows as unknown as { kind: string; idempotency_key: string }[];
}

/** Credit a user's wallet as a top-up through a gateway would. */
export async function topUpWallet(q: Queryable, user: TestUser, amount: number, currency = 'GHS'): Promise<void> {
  await q`
    select private.post_entry('wallet.topped_up', ${currency}, jsonb_build_array(
      jsonb_build_object('account_id', private.ledger_account('gateway_clearing', ${currency}, gateway => 'fake'), 'amount_minor', ${amount}::bigint),
      jsonb_build_object('account_id', private.ledger_account('customer_wallet', ${currency}, owner_id => ${user.id}::uuid), 'amount_minor', -${amount}::bigint)),
      ${'topup:' + randomUUID()})`;
}

export { transition };

export interface Line {
  kind: string;
  gateway: string | null;
  owner: string | null;
  amount: number;
}

/** The lines of the entry posted under `key` (debits positive), in account order. */
export async function entryLines(q: Queryable, key: string): Promise<Line[]> {
  const rows = await q`
    select a.kind::text as kind, a.gateway, a.owner_id, l.amount_minor
    from public.journal_entries e
    join public.journal_lines l on l.entry_id = e.id
    join public.ledger_accounts a on a.id = l.account_id
    where e.idempotency_key = ${key}
    order by a.kind::text, l.amount_minor`;
  return rows.map((r) => ({ kind: r.kind as string, gateway: (r.gateway as string | null) ?? null, owner: (r.owner_id as string | null) ?? null, amount: Number(r.amount_minor) }));
}

/** Notifications the money code emitted for a user, from the outbox or already delivered. */
export async function noticesFor(q: Queryable, userId: string): Promise<{ template_key: string; params: Record<string, unknown>; critical: boolean }[]> {
  const rows = await q`
    select template_key, params, critical from private.payment_notices where user_id = ${userId}
    union all
    select template_key, params, critical from public.notifications where user_id = ${userId}
    order by 1`;
  return rows as unknown as { template_key: string; params: Record<string, unknown>; critical: boolean }[];
}

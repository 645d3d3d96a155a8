-- Payments: money in for a booking (later orders, donations, city fees), by gateway,
-- wallet or cash; the webhook inbox; commission; escrow release; refunds.
--
-- ONE settlement path. Every report about a payment — a verified webhook, a status the
-- poller fetched, a Payme/Click Merchant API call, a wallet debit, a provider's cash
-- confirmation — goes through private.apply_payment_report, which locks the booking and
-- the payment row, decides with the same rules as src/gateways/reconcile.ts (duplicates
-- and out-of-order reports are no-ops, a wrong amount or currency is refused, a late
-- success is applied and flagged), then writes the journal, the payment, the booking's
-- payment_status and the notification events (an outbox, delivered after commit) in the
-- same transaction.
--
-- Money map (ledger accounts, see the ledger migration):
--   gateway payment settled   Dr gateway_clearing(gateway)      Cr escrow(booking)
--   wallet payment            Dr customer_wallet(payer)         Cr escrow(booking)
--   cash confirmed            Dr commission_receivable(provider) Cr platform_revenue   (commission only)
--   escrow released           Dr escrow  Cr provider_earnings (kept − commission)  Cr platform_revenue (commission)
--   refund from escrow        Dr escrow                                      Cr gateway_clearing | customer_wallet
--   refund after release      Dr provider_earnings, then commission_receivable for what earnings
--                             cannot cover, Dr platform_revenue (commission share)  Cr gateway_clearing | wallet
--   failed gateway refund     Dr gateway_clearing  Cr customer_wallet   (the customer is refunded in credit)
--
-- Commission is fixed at settlement (market × category rate, default 10 %) and
-- recognised when the escrow is released; refunds take back the commission share they
-- refund (cumulative rounding, so the shares always add up to the commission).
--
-- Escrow is released when the booking completes, after the market's release_hold (0 by
-- default: released at once). A market that sees disputes after completion sets the hold
-- to its dispute window, so disputed money is still in escrow; with no hold, a refund
-- after release is taken back from the provider's earnings and, where those were already
-- paid out, becomes a debt (commission_receivable) netted against the next payout.
--
-- Hooks into other contexts, attached from here: a trigger on public.bookings (status
-- changes: cancellations refund per the cancellation policy, completion releases escrow,
-- dispute resolution refunds and releases), the bookings.payment_status column,
-- extending a requested booking's expires_at while a payment awaits approval, and a
-- trigger on public.markets giving each market its payment settings and platform
-- ledger accounts.
--
-- Lock order, everywhere: booking → payment → ledger accounts (by id; a transaction that
-- posts several entries locks them all first) → notification counters (only after
-- commit, through the outbox). Nothing here can deadlock with itself.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

-- What a payment pays for. Orders, donations and city fees come later (alter type … add value).
create type public.payment_purpose as enum ('booking');
create type public.payment_method as enum ('gateway', 'wallet', 'cash');
create type public.payment_status as enum (
  'pending', 'succeeded', 'failed', 'expired', 'cancelled', 'refunded', 'partially_refunded'
);
-- A booking's money at a glance, derived from its payments.
create type public.booking_payment_status as enum ('unpaid', 'pending', 'paid', 'partially_refunded', 'refunded');
create type public.refund_destination as enum ('gateway', 'wallet');
-- pending: booked in the ledger, not yet sent to the gateway; processing: the gateway
-- accepted it and has not confirmed yet.
create type public.refund_status as enum ('pending', 'processing', 'succeeded', 'failed');
create type public.refund_origin as enum ('cancellation', 'dispute', 'admin', 'gateway', 'duplicate', 'late');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Per-market payment rules. A row appears for a market the first time it is needed.
create table public.payment_settings (
  market_code text primary key references public.markets (code) on delete cascade,
  -- How long a pending (mobile-money) payment holds the booking for the customer to approve.
  approval_window interval not null default '10 minutes',
  -- How long after completion the provider's earnings stay in escrow.
  release_hold interval not null default '0',
  wallet_enabled boolean not null default true,
  cash_enabled boolean not null default true,
  -- Smallest payout, in minor units.
  min_payout_minor bigint not null default 100,
  -- Which rail pays providers out (payouts migration): mtn_momo or fake (development).
  payout_rail text not null default 'mtn_momo',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payment_settings_approval_window_in_range check (approval_window between interval '1 minute' and interval '1 day'),
  constraint payment_settings_release_hold_in_range check (release_hold between interval '0' and interval '60 days'),
  constraint payment_settings_min_payout_positive check (min_payout_minor > 0),
  constraint payment_settings_payout_rail_known check (payout_rail in ('mtn_momo', 'fake'))
);

alter table public.payment_settings enable row level security;
revoke all on table public.payment_settings from anon, authenticated;
grant select on table public.payment_settings to anon, authenticated;
grant insert, update, delete on table public.payment_settings to authenticated;
grant all on table public.payment_settings to service_role;

-- Commission in basis points per market, optionally per category (a category's rate
-- also covers its subcategories); no row: 1000 (10 %).
create table public.commission_rates (
  id uuid primary key default gen_random_uuid(),
  market_code text not null references public.markets (code) on delete cascade,
  category_id uuid references public.service_categories (id) on delete cascade,
  rate_bps integer not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint commission_rate_in_range check (rate_bps between 0 and 10000),
  constraint commission_rates_market_category_key unique nulls not distinct (market_code, category_id)
);
create index commission_rates_category_id on public.commission_rates (category_id);

alter table public.commission_rates enable row level security;
revoke all on table public.commission_rates from anon, authenticated;
grant select on table public.commission_rates to anon, authenticated;
grant insert, update, delete on table public.commission_rates to authenticated;
grant all on table public.commission_rates to service_role;

create table public.payments (
  id uuid primary key default gen_random_uuid(),
  purpose public.payment_purpose not null default 'booking',
  booking_id uuid references public.bookings (id) on delete restrict,
  payer_id uuid not null references public.profiles (id) on delete restrict,
  -- Who the money is for (the provider); null when it is the platform's.
  payee_id uuid references public.profiles (id) on delete restrict,
  market_code text not null references public.markets (code),
  -- Copied from the booking in SQL, never from the client.
  amount_minor bigint not null,
  currency text not null,
  method public.payment_method not null,
  gateway text,
  -- What the gateway knows the payment by (our id, or its own id such as bKash's paymentID).
  reference text,
  -- The gateway's id of the money movement, once known.
  gateway_transaction_id text,
  status public.payment_status not null default 'pending',
  captured_minor bigint not null default 0,
  -- Refunds booked so far, including those still on their way through the gateway.
  refunded_minor bigint not null default 0,
  commission_rate_bps integer,
  commission_minor bigint,
  -- Succeeded after we had given up on it (failed, expired, cancelled).
  late boolean not null default false,
  failure_reason text,
  -- Chosen by the client per attempt: a retry returns the same payment.
  idempotency_key text not null,
  -- End of the approval window.
  expires_at timestamptz,
  settled_at timestamptz,
  -- When the escrow was released to the provider (cash: at confirmation).
  released_at timestamptz,
  -- The poller's lease.
  checked_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payment_amount_is_positive check (amount_minor > 0),
  constraint payment_currency_is_iso check (currency ~ '^[A-Z]{3}$'),
  constraint payment_booking_has_booking check (purpose <> 'booking' or booking_id is not null),
  constraint payment_gateway_matches_method check ((gateway is not null) = (method = 'gateway')),
  constraint payment_gateway_is_slug check (gateway ~ '^[a-z][a-z0-9_]{0,31}$'),
  constraint payment_reference_length check (length(reference) between 1 and 200),
  constraint payment_transaction_id_length check (length(gateway_transaction_id) between 1 and 200),
  constraint payment_captures_all_or_nothing check (captured_minor in (0, amount_minor)),
  constraint payment_refunds_within_captured check (refunded_minor between 0 and captured_minor),
  constraint payment_status_matches_amounts check (
    (status in ('pending', 'failed', 'expired', 'cancelled') and captured_minor = 0)
    or (status = 'succeeded' and captured_minor > 0 and refunded_minor = 0)
    or (status = 'partially_refunded' and refunded_minor > 0 and refunded_minor < captured_minor)
    or (status = 'refunded' and captured_minor > 0 and refunded_minor = captured_minor)),
  constraint payment_commission_fixed_at_capture check ((commission_minor is not null) = (captured_minor > 0)),
  constraint payment_commission_in_range check (commission_minor between 0 and amount_minor),
  constraint payment_idempotency_key_format check (idempotency_key ~ '^[A-Za-z0-9._:-]{8,128}$'),
  constraint payment_failure_reason_length check (length(failure_reason) <= 500),
  constraint payments_gateway_reference_key unique (gateway, reference),
  constraint payments_gateway_transaction_key unique (gateway, gateway_transaction_id),
  constraint payments_payer_idempotency_key unique (payer_id, idempotency_key)
);
create index payments_booking_id on public.payments (booking_id, created_at);
create index payments_payer_id on public.payments (payer_id, created_at desc);
create index payments_payee_id on public.payments (payee_id, created_at desc);
create index payments_market_code on public.payments (market_code);
create index payments_created_by on public.payments (created_by);
-- One payment at a time awaits approval per booking.
create unique index payments_one_pending_per_booking on public.payments (booking_id) where status = 'pending';
-- The poller's queue.
create index payments_pending on public.payments (created_at) where status = 'pending' and method = 'gateway';

alter table public.payments enable row level security;
revoke all on table public.payments from anon, authenticated;
grant select on table public.payments to authenticated;
grant all on table public.payments to service_role;

-- Every callback any gateway sends, stored before it is acted on.
create table public.webhook_inbox (
  id bigint generated always as identity primary key,
  gateway text not null,
  -- The gateway's event id (stable across redeliveries); null when there is none to
  -- trust (a bad signature) or the protocol has none (Payme and Click calls).
  event_id text,
  -- null: decided by the protocol layer (Payme, Click) while processing.
  signature_valid boolean,
  payload text not null,
  -- A safe subset (content-type, user-agent, event ids): never credentials.
  headers jsonb not null default '{}',
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  -- applied, duplicate, stale, still_pending, amount_mismatch, currency_mismatch,
  -- other_transaction, unknown_payment, ignored, invalid_signature, protocol, error …
  result text,
  payment_id uuid references public.payments (id) on delete set null,
  error text,
  attempts integer not null default 1,
  constraint webhook_inbox_gateway_is_slug check (gateway ~ '^[a-z][a-z0-9_]{0,31}$'),
  constraint webhook_inbox_event_id_length check (length(event_id) between 1 and 300),
  constraint webhook_inbox_payload_size check (octet_length(payload) <= 65536),
  constraint webhook_inbox_result_length check (length(result) <= 100),
  constraint webhook_inbox_error_length check (length(error) <= 2000),
  constraint webhook_inbox_gateway_event_key unique (gateway, event_id)
);
create index webhook_inbox_received_at on public.webhook_inbox (received_at desc);
create index webhook_inbox_payment_id on public.webhook_inbox (payment_id);

alter table public.webhook_inbox enable row level security;
revoke all on table public.webhook_inbox from anon, authenticated, service_role;
grant select on table public.webhook_inbox to authenticated, service_role;

create table public.refunds (
  id uuid primary key default gen_random_uuid(),
  payment_id uuid not null references public.payments (id) on delete restrict,
  booking_id uuid references public.bookings (id) on delete restrict,
  amount_minor bigint not null,
  currency text not null,
  destination public.refund_destination not null,
  origin public.refund_origin not null,
  status public.refund_status not null,
  reason text,
  gateway text,
  gateway_refund_id text,
  failure_reason text,
  -- One refund per cause: 'payment:<id>:cancellation', 'dispute:<id>:<payment>', an admin's key.
  idempotency_key text not null,
  requested_by uuid references auth.users (id) on delete set null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint refund_amount_is_positive check (amount_minor > 0),
  constraint refund_currency_is_iso check (currency ~ '^[A-Z]{3}$'),
  constraint refund_gateway_matches_destination check ((gateway is not null) = (destination = 'gateway')),
  constraint refund_wallet_is_immediate check (destination = 'gateway' or status = 'succeeded'),
  constraint refund_reason_length check (length(reason) <= 1000),
  constraint refund_failure_reason_length check (length(failure_reason) <= 500),
  constraint refunds_idempotency_key_key unique (idempotency_key)
);
create index refunds_payment_id on public.refunds (payment_id);
create index refunds_booking_id on public.refunds (booking_id);
create index refunds_requested_by on public.refunds (requested_by);
-- The refund worker's queue.
create index refunds_due on public.refunds (next_attempt_at) where status in ('pending', 'processing');

alter table public.refunds enable row level security;
revoke all on table public.refunds from anon, authenticated;
grant select on table public.refunds to authenticated;
grant all on table public.refunds to service_role;

-- Payme Merchant API transactions (private: only the SQL-backed PaymeStore reads them).
create table private.payme_transactions (
  id text primary key,
  -- Our id for it, returned to Payme as `transaction`.
  transaction bigint generated always as identity,
  payment_id uuid not null references public.payments (id) on delete restrict,
  payme_time bigint not null,
  amount bigint not null,
  account jsonb not null,
  create_time bigint not null,
  perform_time bigint not null default 0,
  cancel_time bigint not null default 0,
  state smallint not null default 1,
  reason smallint,
  constraint payme_transaction_state_known check (state in (1, 2, -1, -2)),
  constraint payme_transaction_reason_known check (reason is null or reason in (1, 2, 3, 4, 5, 10)),
  constraint payme_transactions_transaction_key unique (transaction)
);
create index payme_transactions_payment_id on private.payme_transactions (payment_id, payme_time desc);
create index payme_transactions_payme_time on private.payme_transactions (payme_time);
revoke all on table private.payme_transactions from public, anon, authenticated;

-- Click SHOP API prepares (private: only the SQL-backed ClickStore reads them).
create table private.click_prepares (
  prepare_id bigint generated always as identity (start with 1001) primary key,
  click_trans_id text not null,
  click_paydoc_id text not null,
  payment_id uuid not null references public.payments (id) on delete restrict,
  amount bigint not null,
  state text not null default 'prepared',
  confirm_id bigint,
  cancel_code integer,
  created_at timestamptz not null default now(),
  constraint click_prepare_state_known check (state in ('prepared', 'confirmed', 'cancelled')),
  constraint click_prepares_click_trans_id_key unique (click_trans_id)
);
create index click_prepares_payment_id on private.click_prepares (payment_id, prepare_id desc);
create sequence private.click_confirm_ids start with 5001;
revoke all on table private.click_prepares from public, anon, authenticated;
revoke all on sequence private.click_confirm_ids from public, anon, authenticated;

-- Notifications money transactions emit: an outbox written in the same transaction and
-- delivered after commit by private.send_payment_notices (the function that caused
-- them calls it right away; payments-reconcile and pg_cron sweep up the rest). Keeping
-- private.notify out of money transactions keeps them short where they hold the shared
-- clearing and revenue accounts, and means no transaction ever holds a ledger lock
-- while waiting on a notification counter (or the reverse).
create table private.payment_notices (
  id bigint generated always as identity primary key,
  user_id uuid not null,
  template_key text not null,
  params jsonb not null,
  collapse_key text,
  critical boolean not null default false,
  created_at timestamptz not null default now()
);
revoke all on table private.payment_notices from public, anon, authenticated;

-- A booking's money at a glance; kept by the functions below.
alter table public.bookings
  add column payment_status public.booking_payment_status not null default 'unpaid';

create trigger payment_settings_touch_updated_at before update on public.payment_settings
  for each row execute function private.touch_updated_at();
create trigger commission_rates_touch_updated_at before update on public.commission_rates
  for each row execute function private.touch_updated_at();
create trigger payments_touch_updated_at before update on public.payments
  for each row execute function private.touch_updated_at();
create trigger refunds_touch_updated_at before update on public.refunds
  for each row execute function private.touch_updated_at();

-- Privileged money actions and money configuration are audited.
create trigger refunds_audit after insert or update of status on public.refunds
  for each row execute function private.audit_row();
create trigger commission_rates_audit after insert or update or delete on public.commission_rates
  for each row execute function private.audit_row();
create trigger payment_settings_audit after insert or update or delete on public.payment_settings
  for each row execute function private.audit_row();

insert into private.error_catalogue (code, sqlstate, message) values
  ('payment_not_found', 'PT404', 'No such payment.'),
  ('booking_not_payable', 'PT409', 'This booking cannot be paid in its current status.'),
  ('booking_already_paid', 'PT409', 'This booking is already paid.'),
  ('payment_in_progress', 'PT409', 'A payment for this booking is awaiting approval.'),
  ('payment_method_unavailable', '22023', 'This payment method is not available in this market.'),
  ('nothing_to_pay', 'PT409', 'There is nothing to pay for this booking.'),
  ('payment_not_pending', 'PT409', 'This payment is no longer pending.'),
  ('payment_reference_taken', 'PT409', 'The gateway reference is already used by another payment.'),
  ('payment_not_refundable', 'PT409', 'Only a captured payment can be refunded.'),
  ('refund_exceeds_captured', '22023', 'A refund cannot exceed what was captured and not yet refunded.'),
  ('refund_destination_unavailable', '22023', 'This gateway cannot refund: refund to the customer''s wallet instead.'),
  ('refund_not_found', 'PT404', 'No such refund.'),
  ('provider_role_required_for_cash', '42501', 'Only the booking''s provider can confirm cash.'),
  ('invalid_payment_report', '22023', 'The payment report is not valid.');

-- Push and SMS texts for payment notifications (English; markets add their locales).
insert into private.notification_templates (template_key, locale, title, body) values
  ('payment.succeeded', 'en', 'Payment received', 'We received your payment of {amount}.'),
  ('payment.received', 'en', 'Booking paid', 'Your customer paid {amount}. It is held until the job is done.'),
  ('payment.failed', 'en', 'Payment failed', 'Your payment of {amount} did not go through.'),
  ('payment.refunded', 'en', 'Refund issued', 'We refunded {amount} to your {destination}.'),
  ('earnings.released', 'en', 'Earnings available', '{amount} is now available to withdraw.')
on conflict on constraint notification_templates_pkey do nothing;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- round(total × part / whole), half away from zero, exactly.
create function private.share_minor(total bigint, part bigint, whole bigint)
returns bigint
immutable
security invoker
set search_path = ''
language sql
as $$ select case when whole = 0 then 0 else round(total::numeric * part / whole)::bigint end; $$;

-- "150.00 GHS" from minor units, for notification texts (ISO 4217 exponents, as
-- CURRENCY_EXPONENTS in src/money.ts).
create function private.format_money(amount bigint, currency text)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select case when currency in ('RWF', 'UGX', 'XAF', 'XOF') then amount::text
              else trim(to_char(amount / 100.0, 'FM999999999999990.00')) end || ' ' || currency;
$$;
revoke execute on function private.format_money(bigint, text) from public;

-- Emits a notification into the outbox (see private.payment_notices).
create function private.queue_notice(
  user_id uuid, template_key text, params jsonb, collapse_key text default null, critical boolean default false
)
returns void
volatile
security definer
set search_path = ''
language sql
as $$
  insert into private.payment_notices (user_id, template_key, params, collapse_key, critical)
  values (user_id, template_key, params, collapse_key, critical);
$$;
revoke execute on function private.queue_notice(uuid, text, jsonb, text, boolean) from public;

-- Delivers up to `batch_size` queued notifications through private.notify, oldest
-- first, each batch in user order (concurrent senders take disjoint batches). Returns
-- how many it sent.
create function private.send_payment_notices(batch_size integer default 500)
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  notices private.payment_notices[];
  notice private.payment_notices;
begin
  with taken as (
    delete from private.payment_notices as q
    where q.id in (select x.id from private.payment_notices as x order by x.id limit batch_size for update skip locked)
    returning q.*
  )
  select coalesce(array_agg(t order by t.user_id, t.id), '{}') into notices from taken as t;
  foreach notice in array notices loop
    if private.recipient_present(notice.user_id) then
      perform private.notify(notice.user_id, notice.template_key, notice.params, notice.collapse_key, notice.critical);
    end if;
  end loop;
  return cardinality(notices);
end;
$$;
revoke execute on function private.send_payment_notices(integer) from public;
grant execute on function private.send_payment_notices(integer) to service_role;

-- The ledger account's id, looked up first (an index probe): private.ledger_account
-- creates missing accounts with an INSERT … ON CONFLICT, which costs more than the
-- lookup on every settlement. Accounts are never deleted, so a found id stays valid.
create function private.account_id(
  kind public.ledger_account_kind,
  currency text,
  owner_id uuid default null,
  gateway text default null,
  subject_id uuid default null
)
returns bigint
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  found_id bigint;
begin
  if owner_id is not null then
    select a.id into found_id from public.ledger_accounts as a
    where a.kind = account_id.kind and a.currency = account_id.currency and a.owner_id = account_id.owner_id
      and a.gateway is null and a.subject_id is null;
  elsif gateway is not null then
    select a.id into found_id from public.ledger_accounts as a
    where a.kind = account_id.kind and a.currency = account_id.currency and a.owner_id is null
      and a.gateway = account_id.gateway and a.subject_id is null;
  elsif subject_id is not null then
    select a.id into found_id from public.ledger_accounts as a
    where a.kind = account_id.kind and a.currency = account_id.currency and a.owner_id is null
      and a.gateway is null and a.subject_id = account_id.subject_id;
  else
    select a.id into found_id from public.ledger_accounts as a
    where a.kind = account_id.kind and a.currency = account_id.currency and a.owner_id is null
      and a.gateway is null and a.subject_id is null;
  end if;
  if found_id is null then
    found_id := private.ledger_account(kind, currency, owner_id, gateway, subject_id);
  end if;
  return found_id;
end;
$$;
revoke execute on function private.account_id(public.ledger_account_kind, text, uuid, text, uuid) from public;

-- A provider's ledger accounts in the currency, created (when new) always in the same
-- order, so two transactions creating them cannot wait on each other in a cycle.
create function private.provider_accounts(owner uuid, currency text)
returns table (earnings bigint, receivable bigint, payouts bigint)
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  earnings := private.account_id('provider_earnings', currency, owner_id => owner);
  receivable := private.account_id('commission_receivable', currency, owner_id => owner);
  payouts := private.account_id('payout_clearing', currency, owner_id => owner);
  return next;
end;
$$;
revoke execute on function private.provider_accounts(uuid, text) from public;

-- The market's payment settings, its row created with the defaults on first use.
create function private.payment_settings_for(market text)
returns public.payment_settings
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  settings public.payment_settings;
begin
  select s.* into settings from public.payment_settings as s where s.market_code = market;
  if not found then
    insert into public.payment_settings as s (market_code) values (market)
    on conflict on constraint payment_settings_pkey do nothing;
    select s.* into settings from public.payment_settings as s where s.market_code = market;
  end if;
  return settings;
end;
$$;
revoke execute on function private.payment_settings_for(text) from public;

-- Every market gets its payment settings and its platform accounts (revenue, one
-- clearing account per gateway and payout rail) when it is created or its currency or
-- gateways change, so no payment has to create these shared accounts concurrently.
create function private.prepare_market_money()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  insert into public.payment_settings as s (market_code) values (new.code)
  on conflict on constraint payment_settings_pkey do nothing;
  perform private.account_id('platform_revenue', new.currency_code);
  perform private.account_id('gateway_clearing', new.currency_code, gateway => g.gateway)
  from (select distinct u.gateway from unnest(new.payment_gateways || array['mtn_momo']) as u (gateway) order by u.gateway) as g;
  return null;
end;
$$;
revoke execute on function private.prepare_market_money() from public;

create trigger markets_prepare_money after insert or update of currency_code, payment_gateways on public.markets
  for each row execute function private.prepare_market_money();

-- Markets that exist already.
do $backfill$
declare
  market public.markets;
begin
  for market in select m.* from public.markets as m order by m.code loop
    insert into public.payment_settings as s (market_code) values (market.code)
    on conflict on constraint payment_settings_pkey do nothing;
    perform private.account_id('platform_revenue', market.currency_code);
    perform private.account_id('gateway_clearing', market.currency_code, gateway => g.gateway)
    from (select distinct u.gateway from unnest(market.payment_gateways || array['mtn_momo']) as u (gateway) order by u.gateway) as g;
  end loop;
end
$backfill$;

-- The commission rate for a market and category: the nearest category up the tree with
-- a rate, else the market's default row, else 10 %.
create function private.commission_rate_bps(market text, category uuid)
returns integer
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  node uuid := category;
  rate integer;
  depth integer := 0;
begin
  if not exists (select from public.commission_rates as r where r.market_code = market) then
    return 1000;
  end if;
  while node is not null and depth < 20 loop
    select r.rate_bps into rate from public.commission_rates as r where r.market_code = market and r.category_id = node;
    if found then
      return rate;
    end if;
    select c.parent_id into node from public.service_categories as c where c.id = node;
    depth := depth + 1;
  end loop;
  select r.rate_bps into rate from public.commission_rates as r where r.market_code = market and r.category_id is null;
  return coalesce(rate, 1000);
end;
$$;
revoke execute on function private.commission_rate_bps(text, uuid) from public;
grant execute on function private.commission_rate_bps(text, uuid) to service_role;

-- Gateways whose adapters refund through the gateway (capabilities.refund in
-- src/gateways); Payme and Click refunds start in their own cabinets.
create function private.gateway_refunds(gateway text)
returns boolean
immutable
security invoker
set search_path = ''
language sql
as $$ select gateway in ('fake', 'mtn_momo', 'paymob', 'bkash', 'paystack'); $$;

-- What to do with a gateway's report about a payment we hold: the same rules as
-- decide() in src/gateways/reconcile.ts (tests hold the two to each other).
-- Returns apply, apply_late, duplicate, stale, still_pending, currency_mismatch,
-- amount_mismatch or other_transaction.
create function private.payment_report_decision(
  record_status public.payment_status,
  record_amount bigint,
  record_currency text,
  record_transaction text,
  report_status public.payment_status,
  report_amount bigint,
  report_currency text,
  report_transaction text
)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select case
    when report_currency is distinct from record_currency then 'currency_mismatch'
    when report_amount is distinct from record_amount then 'amount_mismatch'
    when report_status = 'succeeded' and record_transaction is not null and report_transaction is not null
         and record_transaction <> report_transaction
         and record_status in ('succeeded', 'partially_refunded', 'refunded') then 'other_transaction'
    when report_status = 'pending' then case when record_status = 'pending' then 'still_pending' else 'stale' end
    when report_status = record_status then 'duplicate'
    when record_status = 'pending' then 'apply'
    when record_status = 'succeeded' then
      case when report_status in ('refunded', 'partially_refunded') then 'apply' else 'stale' end
    when record_status = 'partially_refunded' then case when report_status = 'refunded' then 'apply' else 'stale' end
    when record_status = 'refunded' then 'stale'
    else case when report_status = 'succeeded' then 'apply_late' else 'stale' end
  end;
$$;
grant execute on function private.payment_report_decision(public.payment_status, bigint, text, text, public.payment_status, bigint, text, text)
  to service_role;

-- Locks the payment's booking, then the payment: every money path takes them in this
-- order (booking transitions lock the booking first too), so none can deadlock.
create function private.lock_payment(payment_id uuid)
returns public.payments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  subject uuid;
  result public.payments;
begin
  select p.booking_id into subject from public.payments as p where p.id = lock_payment.payment_id;
  if not found then
    return null;
  end if;
  if subject is not null then
    perform from public.bookings as b where b.id = subject for no key update;
  end if;
  select p.* into result from public.payments as p where p.id = lock_payment.payment_id for update;
  return result;
end;
$$;
revoke execute on function private.lock_payment(uuid) from public;

-- Locks ledger accounts in id order (the order post_entry writes them in) before their
-- balances are read for a decision.
create function private.lock_accounts(ids bigint[])
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform from public.ledger_accounts as a where a.id = any (ids) order by a.id for no key update;
end;
$$;
revoke execute on function private.lock_accounts(bigint[]) from public;

-- Before a transaction posts several entries for a booking (a refund then a release, a
-- settlement then a release), it locks every account they may touch in id order, as a
-- single entry would: the platform's revenue and the gateways' clearing accounts are
-- shared by all bookings, and taking them in different orders would deadlock.
create function private.lock_booking_accounts(booking public.bookings)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  ids bigint[];
begin
  ids := array[
    private.account_id('platform_revenue', booking.currency_code),
    private.account_id('escrow', booking.currency_code, subject_id => booking.id),
    private.account_id('customer_wallet', booking.currency_code, owner_id => booking.customer_id)];
  ids := ids || (select array[a.earnings, a.receivable] from private.provider_accounts(booking.provider_id, booking.currency_code) as a);
  ids := ids || coalesce((
    select array_agg(private.account_id('gateway_clearing', booking.currency_code, gateway => g.gateway))
    from (select distinct p.gateway from public.payments as p
          where p.booking_id = booking.id and p.gateway is not null order by p.gateway) as g), '{}');
  perform private.lock_accounts(ids);
end;
$$;
revoke execute on function private.lock_booking_accounts(public.bookings) from public;

-- Recomputes bookings.payment_status from the booking's payments.
create function private.refresh_booking_payment_status(booking_id uuid)
returns public.booking_payment_status
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  captured bigint;
  refunded bigint;
  awaiting boolean;
  price bigint;
  result public.booking_payment_status;
begin
  if booking_id is null then
    return null;
  end if;
  select coalesce(sum(p.captured_minor), 0), coalesce(sum(p.refunded_minor), 0), coalesce(bool_or(p.status = 'pending'), false)
  into captured, refunded, awaiting
  from public.payments as p where p.booking_id = refresh_booking_payment_status.booking_id;
  select b.price_minor into price from public.bookings as b where b.id = refresh_booking_payment_status.booking_id;
  result := case
    when captured > 0 and (refunded = 0 or captured - refunded >= price) then 'paid'
    when captured - refunded > 0 then 'partially_refunded'
    when captured > 0 then 'refunded'
    when awaiting then 'pending'
    else 'unpaid'
  end;
  update public.bookings as b set payment_status = result
  where b.id = refresh_booking_payment_status.booking_id and b.payment_status is distinct from result;
  return result;
end;
$$;
revoke execute on function private.refresh_booking_payment_status(uuid) from public;

-- Moves what is left of a captured payment out of escrow: the commission share to the
-- platform, the rest to the provider. Once per payment; nothing left, nothing posted.
create function private.release_payment(payment public.payments)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  kept bigint := payment.captured_minor - payment.refunded_minor;
  commission bigint;
  lines jsonb;
begin
  if payment.released_at is not null or payment.captured_minor = 0 or payment.method = 'cash' then
    return;
  end if;
  update public.payments as p set released_at = now() where p.id = payment.id;
  if kept = 0 then
    return;
  end if;
  commission := payment.commission_minor - private.share_minor(payment.commission_minor, payment.refunded_minor, payment.captured_minor);
  lines := jsonb_build_array(jsonb_build_object(
    'account_id', private.account_id('escrow', payment.currency, subject_id => payment.booking_id),
    'amount_minor', kept));
  if kept - commission > 0 then
    lines := lines || jsonb_build_object(
      'account_id', (select a.earnings from private.provider_accounts(payment.payee_id, payment.currency) as a),
      'amount_minor', -(kept - commission));
  end if;
  if commission > 0 then
    lines := lines || jsonb_build_object(
      'account_id', private.account_id('platform_revenue', payment.currency), 'amount_minor', -commission);
  end if;
  perform private.post_entry('booking.released', payment.currency, lines, 'payment:' || payment.id || ':released',
    'Escrow released to the provider', jsonb_build_object('payment_id', payment.id, 'booking_id', payment.booking_id));
  perform private.queue_notice(payment.payee_id, 'earnings.released',
    jsonb_build_object('amount', private.format_money(kept - commission, payment.currency), 'amount_minor', kept - commission,
                       'currency', payment.currency, 'booking_id', payment.booking_id, 'payment_id', payment.id),
    'earnings:' || payment.id);
end;
$$;
revoke execute on function private.release_payment(public.payments) from public;

-- Releases every captured payment of a booking still in escrow. The caller has locked
-- the booking.
create function private.release_booking_escrow(booking_id uuid)
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payment public.payments;
  released integer := 0;
begin
  for payment in
    select p.* from public.payments as p
    where p.booking_id = release_booking_escrow.booking_id and p.captured_minor > 0 and p.released_at is null
      and p.method <> 'cash'
    order by p.created_at
    for update
  loop
    perform private.release_payment(payment);
    released := released + 1;
  end loop;
  return released;
end;
$$;
revoke execute on function private.release_booking_escrow(uuid) from public;

-- Whether a booking's escrow may be released now.
create function private.booking_release_due(booking public.bookings)
returns boolean
volatile
security definer
set search_path = ''
language sql
as $$
  select booking.status = 'resolved'
      or (booking.status = 'completed'
          and coalesce(booking.completed_at, now()) + (private.payment_settings_for(booking.market_code)).release_hold <= now());
$$;
revoke execute on function private.booking_release_due(public.bookings) from public;

-- Books a refund of a locked, captured payment: the refund row, the journal (from escrow
-- while it holds the money, from the provider's earnings, then their debt, after
-- release), the payment's refunded amount and status, the booking's payment status, and
-- the customer's notification. Gateway refunds are then sent by the refund worker.
-- Idempotent on `key`. A gateway that cannot refund sends automatic refunds to the wallet.
create function private.book_refund(
  payment public.payments,
  amount bigint,
  destination public.refund_destination,
  origin public.refund_origin,
  key text,
  reason text default null,
  requested_by uuid default null,
  already_at_gateway boolean default false
)
returns public.refunds
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  existing public.refunds;
  result public.refunds;
  target public.refund_destination := destination;
  before_refunded bigint := payment.refunded_minor;
  after_refunded bigint := payment.refunded_minor + amount;
  commission_share bigint := 0;
  provider_share bigint;
  from_earnings bigint := 0;
  earnings_id bigint;
  receivable_id bigint;
  revenue_id bigint;
  destination_id bigint;
  lines jsonb := '[]';
begin
  select r.* into existing from public.refunds as r where r.idempotency_key = key;
  if found then
    return existing;
  end if;
  if payment.captured_minor = 0 then
    perform private.raise_error('payment_not_refundable', jsonb_build_object('payment_id', payment.id, 'status', payment.status));
  end if;
  if amount is null or amount <= 0 or after_refunded > payment.captured_minor then
    perform private.raise_error('refund_exceeds_captured', jsonb_build_object(
      'payment_id', payment.id, 'amount_minor', amount, 'refundable_minor', payment.captured_minor - payment.refunded_minor));
  end if;
  if target = 'gateway' and (payment.method <> 'gateway' or not private.gateway_refunds(payment.gateway)) and not already_at_gateway then
    if origin = 'admin' then
      perform private.raise_error('refund_destination_unavailable', jsonb_build_object('gateway', payment.gateway, 'method', payment.method));
    end if;
    target := 'wallet';
  end if;

  insert into public.refunds as r (payment_id, booking_id, amount_minor, currency, destination, origin, status, reason,
                                   gateway, idempotency_key, requested_by, completed_at)
  values (payment.id, payment.booking_id, amount, payment.currency, target, origin,
          case when target = 'wallet' or already_at_gateway then 'succeeded' else 'pending' end::public.refund_status,
          nullif(btrim(reason), ''), case when target = 'gateway' then payment.gateway end, key, requested_by,
          case when target = 'wallet' or already_at_gateway then now() end)
  returning r.* into result;

  -- Where it goes.
  destination_id := case target
    when 'gateway' then private.account_id('gateway_clearing', payment.currency, gateway => payment.gateway)
    else private.account_id('customer_wallet', payment.currency, owner_id => payment.payer_id)
  end;

  -- Where the money comes from.
  if payment.method = 'cash' then
    -- The provider holds the cash: what they keep of it becomes their debt.
    commission_share := private.share_minor(payment.commission_minor, after_refunded, payment.captured_minor)
                      - private.share_minor(payment.commission_minor, before_refunded, payment.captured_minor);
    provider_share := amount - commission_share;
    if provider_share > 0 then
      lines := lines || jsonb_build_object('account_id',
        (select a.receivable from private.provider_accounts(payment.payee_id, payment.currency) as a), 'amount_minor', provider_share);
    end if;
    if commission_share > 0 then
      lines := lines || jsonb_build_object('account_id', private.account_id('platform_revenue', payment.currency),
                                           'amount_minor', commission_share);
    end if;
  elsif payment.released_at is null then
    lines := lines || jsonb_build_object('account_id',
      private.account_id('escrow', payment.currency, subject_id => payment.booking_id), 'amount_minor', amount);
  else
    commission_share := private.share_minor(payment.commission_minor, after_refunded, payment.captured_minor)
                      - private.share_minor(payment.commission_minor, before_refunded, payment.captured_minor);
    provider_share := amount - commission_share;
    earnings_id := (select a.earnings from private.provider_accounts(payment.payee_id, payment.currency) as a);
    receivable_id := (select a.receivable from private.provider_accounts(payment.payee_id, payment.currency) as a);
    revenue_id := private.account_id('platform_revenue', payment.currency);
    -- Every account this entry touches, in id order, before reading the earnings.
    perform private.lock_accounts(array[earnings_id, receivable_id, revenue_id, destination_id]);
    select least(greatest(a.balance_minor, 0), provider_share) into from_earnings
    from public.ledger_accounts as a where a.id = earnings_id;
    if from_earnings > 0 then
      lines := lines || jsonb_build_object('account_id', earnings_id, 'amount_minor', from_earnings);
    end if;
    if provider_share - from_earnings > 0 then
      lines := lines || jsonb_build_object('account_id', receivable_id, 'amount_minor', provider_share - from_earnings);
    end if;
    if commission_share > 0 then
      lines := lines || jsonb_build_object('account_id', revenue_id, 'amount_minor', commission_share);
    end if;
  end if;

  lines := lines || jsonb_build_object('account_id', destination_id, 'amount_minor', -amount);
  perform private.post_entry('refund.issued', payment.currency, lines, 'refund:' || result.id || ':issued',
    coalesce(nullif(btrim(reason), ''), origin::text),
    jsonb_build_object('refund_id', result.id, 'payment_id', payment.id, 'booking_id', payment.booking_id));

  update public.payments as p
  set refunded_minor = after_refunded,
      status = case when after_refunded = p.captured_minor then 'refunded' else 'partially_refunded' end::public.payment_status
  where p.id = payment.id;
  perform private.refresh_booking_payment_status(payment.booking_id);
  perform private.queue_notice(payment.payer_id, 'payment.refunded',
    jsonb_build_object('amount', private.format_money(amount, payment.currency), 'amount_minor', amount,
                       'currency', payment.currency, 'destination', target, 'payment_id', payment.id,
                       'booking_id', payment.booking_id, 'refund_id', result.id),
    'refund:' || result.id);
  return result;
end;
$$;
revoke execute on function private.book_refund(public.payments, bigint, public.refund_destination, public.refund_origin, text, text, uuid, boolean) from public;

-- THE settlement: applies one report about a payment. The payment must be locked by the
-- caller (private.lock_payment). Returns {result, payment_id, status, late}; `result`
-- is 'applied' or why nothing changed (duplicate, stale, still_pending,
-- amount_mismatch, currency_mismatch, other_transaction, needs_review).
create function private.apply_payment_report(
  payment public.payments,
  report_status public.payment_status,
  report_amount bigint,
  report_currency text,
  report_transaction text default null,
  failure_reason text default null,
  source text default null
)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  decision text;
  booking public.bookings;
  category uuid;
  rate integer;
  commission bigint;
  debit_account bigint;
  lines jsonb;
  updated public.payments;
  others_net bigint;
  outcome jsonb;
begin
  if payment.id is null or report_status is null then
    perform private.raise_error('invalid_payment_report');
  end if;
  decision := private.payment_report_decision(payment.status, payment.amount_minor, payment.currency,
    payment.gateway_transaction_id, report_status, report_amount, report_currency, nullif(report_transaction, ''));
  outcome := jsonb_build_object('payment_id', payment.id, 'status', payment.status, 'late', payment.late);
  if decision not in ('apply', 'apply_late') then
    return outcome || jsonb_build_object('result', decision);
  end if;
  -- The same gateway transaction cannot pay two payments.
  if report_status = 'succeeded' and nullif(report_transaction, '') is not null and exists (
       select from public.payments as p
       where p.gateway = payment.gateway and p.gateway_transaction_id = report_transaction and p.id <> payment.id) then
    return outcome || jsonb_build_object('result', 'other_transaction');
  end if;

  if payment.booking_id is not null then
    select b.* into booking from public.bookings as b where b.id = payment.booking_id;
  end if;

  if report_status = 'succeeded' then
    if booking.id is not null and payment.method <> 'cash' then
      select coalesce(sum(p.captured_minor - p.refunded_minor), 0) into others_net
      from public.payments as p where p.booking_id = booking.id and p.id <> payment.id;
      -- A refund or a release will follow the settlement in this transaction.
      if booking.status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'declined', 'expired',
                            'completed', 'resolved')
         or others_net >= booking.price_minor then
        perform private.lock_booking_accounts(booking);
      end if;
    end if;
    select l.category_id into category from public.service_listings as l where l.id = booking.listing_id;
    rate := private.commission_rate_bps(payment.market_code, category);
    commission := private.share_minor(payment.amount_minor, rate, 10000);
    update public.payments as p
    set status = 'succeeded',
        captured_minor = p.amount_minor,
        commission_rate_bps = rate,
        commission_minor = commission,
        gateway_transaction_id = coalesce(nullif(report_transaction, ''), p.gateway_transaction_id),
        late = decision = 'apply_late',
        failure_reason = null,
        settled_at = now(),
        released_at = case when p.method = 'cash' then now() end
    where p.id = payment.id
    returning p.* into updated;

    perform private.refresh_booking_payment_status(payment.booking_id);
    -- The payer's receipt and the payee's news, in one statement.
    insert into private.payment_notices (user_id, template_key, params, collapse_key)
    select n.user_id, n.template_key, n.params, 'payment:' || payment.id
    from (select jsonb_build_object('amount', private.format_money(payment.amount_minor, payment.currency),
                                    'amount_minor', payment.amount_minor, 'currency', payment.currency,
                                    'payment_id', payment.id, 'booking_id', payment.booking_id) as params) as p,
         lateral (values (payment.payer_id, 'payment.succeeded', p.params), (payment.payee_id, 'payment.received', p.params))
           as n (user_id, template_key, params)
    where n.user_id is not null;

    -- Last before any follow-up: the shared clearing account stays locked from here to commit.
    if payment.method = 'cash' then
      if commission > 0 then
        lines := jsonb_build_array(
          jsonb_build_object('account_id', (select a.receivable from private.provider_accounts(payment.payee_id, payment.currency) as a),
                             'amount_minor', commission),
          jsonb_build_object('account_id', private.account_id('platform_revenue', payment.currency), 'amount_minor', -commission));
      end if;
    else
      debit_account := case payment.method
        when 'gateway' then private.account_id('gateway_clearing', payment.currency, gateway => payment.gateway)
        else private.account_id('customer_wallet', payment.currency, owner_id => payment.payer_id)
      end;
      lines := jsonb_build_array(
        jsonb_build_object('account_id', debit_account, 'amount_minor', payment.amount_minor),
        jsonb_build_object('account_id', private.account_id('escrow', payment.currency, subject_id => payment.booking_id),
                           'amount_minor', -payment.amount_minor));
    end if;
    if lines is not null then
      perform private.post_entry('payment.settled', payment.currency, lines, 'payment:' || payment.id || ':settled',
        coalesce(source, payment.method::text),
        jsonb_build_object('payment_id', payment.id, 'booking_id', payment.booking_id, 'late', decision = 'apply_late'));
    end if;
    if booking.id is not null and payment.method <> 'cash' then
      if booking.status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'declined', 'expired') then
        -- Money for a booking that already ended: all of it goes back.
        perform private.book_refund(updated, updated.amount_minor, 'gateway', 'late', 'payment:' || payment.id || ':late',
                                    'Paid after the booking ended');
      elsif others_net >= booking.price_minor then
        -- The customer paid twice: the second payment goes back.
        perform private.book_refund(updated, updated.amount_minor, 'gateway', 'duplicate', 'payment:' || payment.id || ':duplicate',
                                    'The booking was already paid');
      elsif booking.status in ('completed', 'resolved') and private.booking_release_due(booking) then
        select p.* into updated from public.payments as p where p.id = payment.id;
        perform private.release_payment(updated);
      end if;
    end if;
  elsif report_status in ('failed', 'expired', 'cancelled') then
    update public.payments as p
    set status = report_status, failure_reason = left(apply_payment_report.failure_reason, 500), settled_at = now()
    where p.id = payment.id
    returning p.* into updated;
    perform private.refresh_booking_payment_status(payment.booking_id);
    perform private.queue_notice(payment.payer_id, 'payment.failed',
      jsonb_build_object('amount', private.format_money(payment.amount_minor, payment.currency), 'amount_minor', payment.amount_minor,
                         'currency', payment.currency, 'payment_id', payment.id, 'booking_id', payment.booking_id,
                         'status', report_status, 'reason', apply_payment_report.failure_reason),
      'payment:' || payment.id,
      -- Critical: the booking stays unpaid, and SMS reaches a customer push cannot.
      true);
  elsif report_status = 'refunded' then
    -- Refunded at the gateway, outside our refund flow (e.g. from Payme's cabinet).
    if payment.captured_minor - payment.refunded_minor > 0 then
      perform private.book_refund(payment, payment.captured_minor - payment.refunded_minor, 'gateway', 'gateway',
                                  'payment:' || payment.id || ':refunded_at_gateway', 'Refunded at the gateway',
                                  already_at_gateway => true);
    end if;
    select p.* into updated from public.payments as p where p.id = payment.id;
  else
    -- A partial refund we did not make: the gateway does not say how much.
    return outcome || jsonb_build_object('result', 'needs_review');
  end if;

  return jsonb_build_object('result', 'applied', 'payment_id', updated.id, 'status', updated.status, 'late', updated.late);
end;
$$;
revoke execute on function private.apply_payment_report(public.payments, public.payment_status, bigint, text, text, text, text) from public;

-- The settlement entry point for gateway reports (webhooks, the poller): finds the
-- payment by gateway and reference, locks it and applies the report.
create function private.settle_payment(
  gateway text,
  reference text,
  status public.payment_status,
  amount_minor bigint,
  currency text,
  gateway_transaction_id text default null,
  failure_reason text default null,
  source text default null
)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  found_id uuid;
  subject uuid;
  payment public.payments;
begin
  select p.id, p.booking_id into found_id, subject from public.payments as p
  where p.gateway = settle_payment.gateway and p.reference = settle_payment.reference;
  if found_id is null then
    return jsonb_build_object('result', 'unknown_payment');
  end if;
  -- The booking, then the payment (private.lock_payment's order).
  if subject is not null then
    perform from public.bookings as b where b.id = subject for no key update;
  end if;
  select p.* into payment from public.payments as p where p.id = found_id for update;
  return private.apply_payment_report(payment, status, amount_minor, currency, gateway_transaction_id, failure_reason, source);
end;
$$;
revoke execute on function private.settle_payment(text, text, public.payment_status, bigint, text, text, text, text) from public;
grant execute on function private.settle_payment(text, text, public.payment_status, bigint, text, text, text, text) to service_role;

-- Stores a callback in the inbox. Returns the row and whether it still needs processing
-- (false: the same event was already processed — a duplicate delivery).
create function private.receive_callback(
  gateway text,
  event_id text,
  payload text,
  headers jsonb default '{}',
  signature_valid boolean default null
)
returns table (inbox_id bigint, needs_processing boolean)
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  inserted bigint;
  prior public.webhook_inbox;
begin
  insert into public.webhook_inbox as w (gateway, event_id, payload, headers, signature_valid)
  values (receive_callback.gateway, nullif(receive_callback.event_id, ''), receive_callback.payload,
          coalesce(receive_callback.headers, '{}'), receive_callback.signature_valid)
  on conflict on constraint webhook_inbox_gateway_event_key do nothing
  returning w.id into inserted;
  if inserted is not null then
    return query select inserted, true;
    return;
  end if;
  -- A redelivery: process it again only if the first delivery did not get through.
  select w.* into prior from public.webhook_inbox as w
  where w.gateway = receive_callback.gateway and w.event_id = receive_callback.event_id
  for update;
  if prior.processed_at is null or prior.result = 'error' then
    update public.webhook_inbox as w set attempts = w.attempts + 1, payload = receive_callback.payload where w.id = prior.id;
    return query select prior.id, true;
  else
    return query select prior.id, false;
  end if;
end;
$$;
revoke execute on function private.receive_callback(text, text, text, jsonb, boolean) from public;
grant execute on function private.receive_callback(text, text, text, jsonb, boolean) to service_role;

-- Applies a stored callback's report (as verified or re-fetched) and records the result
-- on the inbox row. `report` is {"reference", "status", "amount_minor", "currency",
-- "gateway_transaction_id", "failure_reason"} or null (nothing to apply: `result`
-- says why). A failure inside the settlement is recorded as 'error' and re-raised
-- nowhere: the inbox row keeps it and the gateway's redelivery (or the poller) retries.
create function private.process_callback(inbox_id bigint, report jsonb, result text default null)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  entry public.webhook_inbox;
  outcome jsonb;
  message text;
begin
  select w.* into entry from public.webhook_inbox as w where w.id = inbox_id for update;
  if not found then
    perform private.raise_error('not_found', jsonb_build_object('inbox_id', inbox_id));
  end if;
  if entry.processed_at is not null and entry.result is distinct from 'error' then
    return jsonb_build_object('result', 'duplicate', 'payment_id', entry.payment_id);
  end if;
  if report is null then
    outcome := jsonb_build_object('result', coalesce(process_callback.result, 'ignored'));
  else
    begin
      outcome := private.settle_payment(
        entry.gateway, report ->> 'reference', (report ->> 'status')::public.payment_status,
        (report ->> 'amount_minor')::bigint, report ->> 'currency', report ->> 'gateway_transaction_id',
        report ->> 'failure_reason', 'webhook');
    exception when others then
      get stacked diagnostics message = message_text;
      outcome := jsonb_build_object('result', 'error', 'error', left(message, 2000));
    end;
  end if;
  update public.webhook_inbox as w
  set processed_at = now(), result = outcome ->> 'result', error = outcome ->> 'error',
      payment_id = coalesce((outcome ->> 'payment_id')::uuid, w.payment_id)
  where w.id = entry.id;
  return outcome;
end;
$$;
revoke execute on function private.process_callback(bigint, jsonb, text) from public;
grant execute on function private.process_callback(bigint, jsonb, text) to service_role;

-- Both in one round trip, for callbacks whose facts are verified as they arrive (the hot
-- path): a callback with a new event id is settled and stored with its result in one
-- insert; a redelivery of one already processed is stored nowhere and changes nothing
-- (two copies racing both reach the settlement, which makes the second a no-op, and
-- the inbox keeps one row). A failure inside the settlement is stored as 'error'.
create function private.handle_callback(
  gateway text,
  event_id text,
  payload text,
  headers jsonb,
  signature_valid boolean,
  report jsonb,
  result text default null
)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  received record;
  prior public.webhook_inbox;
  outcome jsonb;
  message text;
  stored bigint;
begin
  if event_id is null or signature_valid is not true or report is null then
    select * into received from private.receive_callback(gateway, event_id, payload, headers, signature_valid);
    if not received.needs_processing then
      return jsonb_build_object('result', 'duplicate', 'inbox_id', received.inbox_id);
    end if;
    return private.process_callback(received.inbox_id, case when signature_valid is false then null else report end,
                                    case when signature_valid is false then 'invalid_signature' else result end)
           || jsonb_build_object('inbox_id', received.inbox_id);
  end if;

  select w.* into prior from public.webhook_inbox as w where w.gateway = handle_callback.gateway and w.event_id = handle_callback.event_id;
  if found and prior.processed_at is not null and prior.result is distinct from 'error' then
    return jsonb_build_object('result', 'duplicate', 'inbox_id', prior.id, 'payment_id', prior.payment_id);
  end if;
  begin
    outcome := private.settle_payment(
      gateway, report ->> 'reference', (report ->> 'status')::public.payment_status,
      (report ->> 'amount_minor')::bigint, report ->> 'currency', report ->> 'gateway_transaction_id',
      report ->> 'failure_reason', 'webhook');
  exception when others then
    get stacked diagnostics message = message_text;
    outcome := jsonb_build_object('result', 'error', 'error', left(message, 2000));
  end;
  insert into public.webhook_inbox as w (gateway, event_id, payload, headers, signature_valid, processed_at, result, payment_id, error)
  values (gateway, event_id, payload, coalesce(headers, '{}'), true, now(), outcome ->> 'result',
          (outcome ->> 'payment_id')::uuid, outcome ->> 'error')
  on conflict on constraint webhook_inbox_gateway_event_key do update
    set attempts = w.attempts + 1, processed_at = excluded.processed_at, result = excluded.result,
        payment_id = coalesce(excluded.payment_id, w.payment_id), error = excluded.error
    where w.result = 'error' or w.processed_at is null
  returning w.id into stored;
  if stored is null then
    -- A copy of this event got in first; its settlement made ours a no-op.
    select w.id into stored from public.webhook_inbox as w where w.gateway = handle_callback.gateway and w.event_id = handle_callback.event_id;
    return jsonb_build_object('result', 'duplicate', 'inbox_id', stored, 'payment_id', outcome ->> 'payment_id');
  end if;
  return outcome || jsonb_build_object('inbox_id', stored);
end;
$$;
revoke execute on function private.handle_callback(text, text, text, jsonb, boolean, jsonb, text) from public;
grant execute on function private.handle_callback(text, text, text, jsonb, boolean, jsonb, text) to service_role;

-- The poller's batch: pending gateway payments older than `older_than`, each leased for
-- `lease` so concurrent pollers do not ask the gateway twice.
create function private.claim_pending_payments(older_than interval, batch_size integer default 100, lease interval default '1 minute')
returns table (payment_id uuid, gateway text, reference text, amount_minor bigint, currency text,
               expires_at timestamptz, payer_phone text, created_at timestamptz)
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  if batch_size is null or batch_size not between 1 and 1000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'batch_size'));
  end if;
  return query
    with due as (
      select p.id from public.payments as p
      where p.status = 'pending' and p.method = 'gateway' and p.created_at <= now() - older_than
        and (p.checked_at is null or p.checked_at <= now() - lease)
      order by p.created_at
      limit batch_size
      for update skip locked
    )
    update public.payments as p set checked_at = now()
    from due
    where p.id = due.id
    returning p.id, p.gateway, p.reference, p.amount_minor, p.currency, p.expires_at,
              (select a.phone from public.accounts as a where a.id = p.payer_id), p.created_at;
end;
$$;
revoke execute on function private.claim_pending_payments(interval, integer, interval) from public;
grant execute on function private.claim_pending_payments(interval, integer, interval) to service_role;

-- ---------------------------------------------------------------------------
-- Refund worker (service role)
-- ---------------------------------------------------------------------------

-- Gateway refunds to send (pending) or to check (processing), leased for `lease` (or just `only_refund`).
create function private.claim_gateway_refunds(batch_size integer default 50, lease interval default '2 minutes', only_refund uuid default null)
returns table (refund_id uuid, status public.refund_status, gateway text, reference text, gateway_transaction_id text,
               gateway_refund_id text, amount_minor bigint, currency text, reason text, attempts integer)
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  return query
    with due as (
      select r.id from public.refunds as r
      where r.status in ('pending', 'processing') and r.destination = 'gateway'
        and ((only_refund is null and r.next_attempt_at <= now()) or r.id = only_refund)
      order by r.next_attempt_at
      limit batch_size
      for update skip locked
    )
    update public.refunds as r
    set attempts = r.attempts + 1, next_attempt_at = now() + lease
    from due, public.payments as p
    where r.id = due.id and p.id = r.payment_id
    returning r.id, r.status, r.gateway, p.reference, p.gateway_transaction_id, r.gateway_refund_id,
              r.amount_minor, r.currency, r.reason, r.attempts;
end;
$$;
revoke execute on function private.claim_gateway_refunds(integer, interval, uuid) from public;
grant execute on function private.claim_gateway_refunds(integer, interval, uuid) to service_role;

-- The gateway's answer to a refund: succeeded, processing (check again after
-- `retry_after`), failed (the customer is refunded in wallet credit instead), or
-- null status (no answer: try again after `retry_after`).
create function private.complete_refund(
  refund_id uuid,
  status public.refund_status,
  gateway_refund_id text default null,
  failure_reason text default null,
  retry_after interval default '5 minutes'
)
returns public.refunds
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  refund public.refunds;
  payment public.payments;
  result public.refunds;
begin
  select r.* into refund from public.refunds as r where r.id = complete_refund.refund_id;
  if not found then
    perform private.raise_error('refund_not_found', jsonb_build_object('refund_id', refund_id));
  end if;
  payment := private.lock_payment(refund.payment_id);
  select r.* into refund from public.refunds as r where r.id = complete_refund.refund_id for update;
  if refund.status not in ('pending', 'processing') then
    return refund;
  end if;
  if status is null or status = 'pending' or status = 'processing' then
    update public.refunds as r
    set status = case when complete_refund.status = 'processing' then 'processing' else r.status end,
        gateway_refund_id = coalesce(complete_refund.gateway_refund_id, r.gateway_refund_id),
        failure_reason = left(complete_refund.failure_reason, 500),
        next_attempt_at = now() + retry_after
    where r.id = refund.id
    returning r.* into result;
  elsif status = 'succeeded' then
    update public.refunds as r
    set status = 'succeeded', gateway_refund_id = coalesce(complete_refund.gateway_refund_id, r.gateway_refund_id),
        failure_reason = null, completed_at = now()
    where r.id = refund.id
    returning r.* into result;
  else
    -- The gateway would not refund: the customer gets the money as wallet credit.
    perform private.post_entry('refund.redirected', refund.currency, jsonb_build_array(
        jsonb_build_object('account_id', private.account_id('gateway_clearing', refund.currency, gateway => refund.gateway),
                           'amount_minor', refund.amount_minor),
        jsonb_build_object('account_id', private.account_id('customer_wallet', refund.currency, owner_id => payment.payer_id),
                           'amount_minor', -refund.amount_minor)),
      'refund:' || refund.id || ':to_wallet', 'Gateway refund failed; credited to the wallet',
      jsonb_build_object('refund_id', refund.id, 'payment_id', refund.payment_id));
    update public.refunds as r
    set status = 'succeeded', destination = 'wallet', gateway = null,
        failure_reason = left(coalesce(complete_refund.failure_reason, 'gateway refused'), 500), completed_at = now()
    where r.id = refund.id
    returning r.* into result;
    perform private.queue_notice(payment.payer_id, 'payment.refunded',
      jsonb_build_object('amount', private.format_money(refund.amount_minor, refund.currency), 'amount_minor', refund.amount_minor,
                         'currency', refund.currency, 'destination', 'wallet', 'payment_id', refund.payment_id, 'refund_id', refund.id),
      'refund:' || refund.id);
  end if;
  return result;
end;
$$;
revoke execute on function private.complete_refund(uuid, public.refund_status, text, text, interval) from public;
grant execute on function private.complete_refund(uuid, public.refund_status, text, text, interval) to service_role;

-- ---------------------------------------------------------------------------
-- Bookings: what money does when a booking's status changes
-- ---------------------------------------------------------------------------

-- Cancelled, declined or expired: pending payments are cancelled, captured money is
-- refunded per the market's cancellation policy (all of it when the provider or an admin
-- cancelled, or the booking never went ahead), and what the customer does not get back
-- is released to the provider (minus commission) as the late-cancellation fee.
create function private.settle_ended_booking(booking public.bookings)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payment public.payments;
  fraction numeric := private.booking_refund_fraction(booking.id);
  due bigint;
begin
  if exists (select from public.payments as p where p.booking_id = booking.id and p.captured_minor > 0) then
    perform private.lock_booking_accounts(booking);
  end if;
  for payment in
    select p.* from public.payments as p where p.booking_id = booking.id and p.status = 'pending' for update
  loop
    perform private.apply_payment_report(payment, 'cancelled', payment.amount_minor, payment.currency, null,
                                         'booking ' || booking.status::text, 'booking');
  end loop;
  for payment in
    select p.* from public.payments as p
    where p.booking_id = booking.id and p.captured_minor > 0 and p.method <> 'cash'
    order by p.created_at
    for update
  loop
    due := floor(payment.captured_minor * fraction)::bigint - payment.refunded_minor;
    if due > 0 then
      perform private.book_refund(payment, due, 'gateway', 'cancellation', 'payment:' || payment.id || ':cancellation',
                                  'Cancellation policy: ' || round(fraction * 100) || ' %');
      select p.* into payment from public.payments as p where p.id = payment.id;
    end if;
    perform private.release_payment(payment);
  end loop;
end;
$$;
revoke execute on function private.settle_ended_booking(public.bookings) from public;

-- Resolved dispute: the refund the admin decided goes back to the customer (spread over
-- the booking's captured payments, oldest first), the rest is released to the provider.
create function private.settle_resolved_dispute(booking public.bookings)
returns void
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  dispute public.disputes;
  payment public.payments;
  remaining bigint;
  part bigint;
begin
  select d.* into dispute from public.disputes as d where d.booking_id = booking.id and d.status = 'resolved';
  if not found then
    return;
  end if;
  perform private.lock_booking_accounts(booking);
  remaining := coalesce(dispute.refund_minor, 0);
  for payment in
    select p.* from public.payments as p
    where p.booking_id = booking.id and p.captured_minor > 0
    order by p.created_at
    for update
  loop
    part := least(remaining, payment.captured_minor - payment.refunded_minor);
    if part > 0 then
      perform private.book_refund(payment, part, 'gateway', 'dispute', 'dispute:' || dispute.id || ':' || payment.id,
                                  coalesce(dispute.resolution_note, dispute.outcome::text));
      remaining := remaining - part;
      select p.* into payment from public.payments as p where p.id = payment.id;
    end if;
    perform private.release_payment(payment);
  end loop;
end;
$$;
revoke execute on function private.settle_resolved_dispute(public.bookings) from public;

create function private.on_booking_status_changed()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  if new.status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'declined', 'expired') then
    perform private.settle_ended_booking(new);
  elsif new.status = 'completed' then
    if private.booking_release_due(new) then
      perform private.release_booking_escrow(new.id);
    end if;
  elsif new.status = 'resolved' then
    perform private.settle_resolved_dispute(new);
  end if;
  return null;
end;
$$;
revoke execute on function private.on_booking_status_changed() from public;

create trigger bookings_settle_money after update of status on public.bookings
  for each row when (old.status is distinct from new.status and new.status in (
    'cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin', 'declined', 'expired', 'completed', 'resolved'))
  execute function private.on_booking_status_changed();

-- Releases the escrow of completed bookings whose market hold has passed. Run by
-- payments-reconcile and, where installed, pg_cron.
create function private.release_held_escrow(batch_size integer default 500)
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  booking public.bookings;
  released integer := 0;
begin
  for booking in
    select b.* from public.bookings as b
    where b.status = 'completed'
      and exists (select from public.payments as p
                  where p.booking_id = b.id and p.captured_minor > 0 and p.released_at is null and p.method <> 'cash')
    order by b.completed_at
    limit batch_size
    for no key update skip locked
  loop
    if private.booking_release_due(booking) then
      released := released + private.release_booking_escrow(booking.id);
    end if;
  end loop;
  return released;
end;
$$;
revoke execute on function private.release_held_escrow(integer) from public;
grant execute on function private.release_held_escrow(integer) to service_role;

-- ---------------------------------------------------------------------------
-- Payme Merchant API store (src/payments/stores.ts → SqlPaymeStore), service role
-- ---------------------------------------------------------------------------

-- A payment as a Payme/Click "order".
create function private.merchant_order(payment public.payments)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select jsonb_build_object(
    'orderId', payment.id,
    'amountMinor', payment.amount_minor,
    'currency', payment.currency,
    'state', case
      when payment.status = 'pending' and (payment.expires_at is null or payment.expires_at > now()) then 'awaiting_payment'
      when payment.status in ('succeeded', 'partially_refunded') then 'paid'
      else 'cancelled' end,
    'refundable', payment.released_at is null and payment.refunded_minor = 0
      and coalesce((select b.status not in ('in_progress', 'completed', 'disputed', 'resolved')
                    from public.bookings as b where b.id = payment.booking_id), true));
$$;
revoke execute on function private.merchant_order(public.payments) from public;

create function private.payment_by_order(order_id text, gateway text)
returns public.payments
stable
security definer
set search_path = ''
language sql
as $$
  select p.* from public.payments as p
  where p.id = case when order_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then order_id::uuid end
    and p.gateway = payment_by_order.gateway;
$$;
revoke execute on function private.payment_by_order(text, text) from public;

create function private.payme_json(t private.payme_transactions)
returns jsonb
immutable
security invoker
set search_path = ''
language sql
as $$
  select jsonb_build_object(
    'id', t.id, 'time', t.payme_time, 'amount', t.amount, 'account', t.account, 'orderId', t.payment_id,
    'transaction', t.transaction::text, 'createTime', t.create_time, 'performTime', t.perform_time,
    'cancelTime', t.cancel_time, 'state', t.state, 'reason', t.reason);
$$;
revoke execute on function private.payme_json(private.payme_transactions) from public;

create function private.payme_find_order(order_id text)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select private.merchant_order(p) from private.payment_by_order(order_id, 'payme') as p where p.id is not null;
$$;
revoke execute on function private.payme_find_order(text) from public;
grant execute on function private.payme_find_order(text) to service_role;

create function private.payme_find_transaction(transaction_id text)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$ select private.payme_json(t) from private.payme_transactions as t where t.id = transaction_id; $$;
revoke execute on function private.payme_find_transaction(text) from public;
grant execute on function private.payme_find_transaction(text) to service_role;

create function private.payme_latest_transaction(order_id text)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select private.payme_json(t) from private.payme_transactions as t
  where t.payment_id = (select p.id from private.payment_by_order(order_id, 'payme') as p)
  order by t.payme_time desc, t.transaction desc
  limit 1;
$$;
revoke execute on function private.payme_latest_transaction(text) from public;
grant execute on function private.payme_latest_transaction(text) to service_role;

-- Inserts a state-1 transaction unless the order already has one in state 1 or 2
-- (then returns it as the conflict). The order's payment row lock makes it atomic.
create function private.payme_create_transaction(
  transaction_id text, payme_time bigint, amount bigint, account jsonb, order_id text, create_time bigint
)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payment public.payments := private.payment_by_order(order_id, 'payme');
  existing private.payme_transactions;
  created private.payme_transactions;
begin
  if payment.id is null then
    perform private.raise_error('payment_not_found', jsonb_build_object('order_id', order_id));
  end if;
  payment := private.lock_payment(payment.id);
  select t.* into existing from private.payme_transactions as t
  where t.payment_id = payment.id and t.state in (1, 2)
  order by t.payme_time desc limit 1;
  if found then
    return jsonb_build_object('conflict', private.payme_json(existing));
  end if;
  select t.* into existing from private.payme_transactions as t where t.id = transaction_id;
  if found then
    return jsonb_build_object('conflict', private.payme_json(existing));
  end if;
  insert into private.payme_transactions as t (id, payment_id, payme_time, amount, account, create_time)
  values (transaction_id, payment.id, payme_time, amount, coalesce(account, '{}'), create_time)
  returning t.* into created;
  return jsonb_build_object('created', private.payme_json(created));
end;
$$;
revoke execute on function private.payme_create_transaction(text, bigint, bigint, jsonb, text, bigint) from public;
grant execute on function private.payme_create_transaction(text, bigint, bigint, jsonb, text, bigint) to service_role;

-- State 1 → 2 and the payment settles, atomically, only if the transaction is still in
-- state 1 and the payment still awaits payment.
create function private.payme_perform_transaction(transaction_id text, perform_time bigint)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  subject uuid;
  payment public.payments;
  t private.payme_transactions;
  settled jsonb;
begin
  select x.payment_id into subject from private.payme_transactions as x where x.id = transaction_id;
  if not found then
    perform private.raise_error('payment_not_found', jsonb_build_object('transaction_id', transaction_id));
  end if;
  payment := private.lock_payment(subject);
  select x.* into t from private.payme_transactions as x where x.id = transaction_id for update;
  if t.state = 1 and private.merchant_order(payment) ->> 'state' = 'awaiting_payment' then
    settled := private.apply_payment_report(payment, 'succeeded', t.amount, 'UZS', t.id, null, 'payme');
    if settled ->> 'result' = 'applied' then
      update private.payme_transactions as x set state = 2, perform_time = payme_perform_transaction.perform_time
      where x.id = t.id
      returning x.* into t;
    end if;
  end if;
  return private.payme_json(t);
end;
$$;
revoke execute on function private.payme_perform_transaction(text, bigint) from public;
grant execute on function private.payme_perform_transaction(text, bigint) to service_role;

-- State `from_state` → -1 (from 1) or -2 (from 2: refunded at Payme, so the payment is
-- refunded in full), atomically, only if still in `from_state`.
create function private.payme_cancel_transaction(transaction_id text, from_state smallint, cancel_time bigint, reason smallint)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  subject uuid;
  payment public.payments;
  t private.payme_transactions;
begin
  select x.payment_id into subject from private.payme_transactions as x where x.id = transaction_id;
  if not found then
    perform private.raise_error('payment_not_found', jsonb_build_object('transaction_id', transaction_id));
  end if;
  payment := private.lock_payment(subject);
  select x.* into t from private.payme_transactions as x where x.id = transaction_id for update;
  if t.state = from_state and from_state in (1, 2) then
    update private.payme_transactions as x
    set state = case when from_state = 1 then -1 else -2 end,
        cancel_time = payme_cancel_transaction.cancel_time, reason = payme_cancel_transaction.reason
    where x.id = t.id
    returning x.* into t;
    if from_state = 2 then
      perform private.apply_payment_report(payment, 'refunded', payment.amount_minor, payment.currency, t.id, null, 'payme');
    end if;
  end if;
  return private.payme_json(t);
end;
$$;
revoke execute on function private.payme_cancel_transaction(text, smallint, bigint, smallint) from public;
grant execute on function private.payme_cancel_transaction(text, smallint, bigint, smallint) to service_role;

create function private.payme_list_transactions(from_time bigint, to_time bigint)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select coalesce(jsonb_agg(private.payme_json(t) order by t.payme_time), '[]')
  from private.payme_transactions as t where t.payme_time between from_time and to_time;
$$;
revoke execute on function private.payme_list_transactions(bigint, bigint) from public;
grant execute on function private.payme_list_transactions(bigint, bigint) to service_role;

-- ---------------------------------------------------------------------------
-- Click SHOP API store (src/payments/stores.ts → SqlClickStore), service role
-- ---------------------------------------------------------------------------

create function private.click_json(c private.click_prepares)
returns jsonb
immutable
security invoker
set search_path = ''
language sql
as $$
  select jsonb_build_object(
    'prepareId', c.prepare_id, 'clickTransId', c.click_trans_id, 'clickPaydocId', c.click_paydoc_id,
    'orderId', c.payment_id, 'amountMinor', c.amount, 'state', c.state, 'confirmId', c.confirm_id,
    'cancelCode', c.cancel_code);
$$;
revoke execute on function private.click_json(private.click_prepares) from public;

create function private.click_find_order(order_id text)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select private.merchant_order(p) - 'refundable' from private.payment_by_order(order_id, 'click') as p where p.id is not null;
$$;
revoke execute on function private.click_find_order(text) from public;
grant execute on function private.click_find_order(text) to service_role;

create function private.click_find_prepare(prepare_id bigint)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$ select private.click_json(c) from private.click_prepares as c where c.prepare_id = click_find_prepare.prepare_id; $$;
revoke execute on function private.click_find_prepare(bigint) from public;
grant execute on function private.click_find_prepare(bigint) to service_role;

create function private.click_latest_prepare(order_id text)
returns jsonb
stable
security definer
set search_path = ''
language sql
as $$
  select private.click_json(c) from private.click_prepares as c
  where c.payment_id = (select p.id from private.payment_by_order(order_id, 'click') as p)
  order by c.prepare_id desc limit 1;
$$;
revoke execute on function private.click_latest_prepare(text) from public;
grant execute on function private.click_latest_prepare(text) to service_role;

-- Records a Prepare; a repeat of the same click_trans_id returns the first.
create function private.click_prepare(click_trans_id text, click_paydoc_id text, order_id text, amount bigint)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payment public.payments := private.payment_by_order(order_id, 'click');
  result private.click_prepares;
begin
  if payment.id is null then
    perform private.raise_error('payment_not_found', jsonb_build_object('order_id', order_id));
  end if;
  insert into private.click_prepares as c (click_trans_id, click_paydoc_id, payment_id, amount)
  values (click_prepare.click_trans_id, click_prepare.click_paydoc_id, payment.id, click_prepare.amount)
  on conflict on constraint click_prepares_click_trans_id_key do nothing
  returning c.* into result;
  if result.prepare_id is null then
    select c.* into result from private.click_prepares as c where c.click_trans_id = click_prepare.click_trans_id;
  end if;
  return private.click_json(result);
end;
$$;
revoke execute on function private.click_prepare(text, text, text, bigint) from public;
grant execute on function private.click_prepare(text, text, text, bigint) to service_role;

-- prepared → confirmed and the payment settles, atomically, only if the prepare is still
-- prepared and the payment still awaits payment.
create function private.click_confirm(prepare_id bigint)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  subject uuid;
  payment public.payments;
  c private.click_prepares;
  settled jsonb;
begin
  select x.payment_id into subject from private.click_prepares as x where x.prepare_id = click_confirm.prepare_id;
  if not found then
    perform private.raise_error('payment_not_found', jsonb_build_object('prepare_id', prepare_id));
  end if;
  payment := private.lock_payment(subject);
  select x.* into c from private.click_prepares as x where x.prepare_id = click_confirm.prepare_id for update;
  if c.state = 'prepared' and private.merchant_order(payment) ->> 'state' = 'awaiting_payment' then
    settled := private.apply_payment_report(payment, 'succeeded', c.amount, 'UZS', c.click_trans_id, null, 'click');
    if settled ->> 'result' = 'applied' then
      update private.click_prepares as x set state = 'confirmed', confirm_id = nextval('private.click_confirm_ids')
      where x.prepare_id = c.prepare_id
      returning x.* into c;
    end if;
  end if;
  return private.click_json(c);
end;
$$;
revoke execute on function private.click_confirm(bigint) from public;
grant execute on function private.click_confirm(bigint) to service_role;

-- prepared → cancelled with Click's error code, only if still prepared.
create function private.click_cancel(prepare_id bigint, click_error integer)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  c private.click_prepares;
begin
  update private.click_prepares as x set state = 'cancelled', cancel_code = click_error
  where x.prepare_id = click_cancel.prepare_id and x.state = 'prepared'
  returning x.* into c;
  if c.prepare_id is null then
    select x.* into c from private.click_prepares as x where x.prepare_id = click_cancel.prepare_id;
    if not found then
      perform private.raise_error('payment_not_found', jsonb_build_object('prepare_id', prepare_id));
    end if;
  end if;
  return private.click_json(c);
end;
$$;
revoke execute on function private.click_cancel(bigint, integer) from public;
grant execute on function private.click_cancel(bigint, integer) to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Everyone reads the payment rules of every market.
create policy payment_settings_select_everyone on public.payment_settings
  for select to anon, authenticated
  using (true);

-- Admins set a market's payment rules.
create policy payment_settings_insert_admins on public.payment_settings
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change a market's payment rules.
create policy payment_settings_update_admins on public.payment_settings
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove a market's payment rules (the defaults apply again).
create policy payment_settings_delete_admins on public.payment_settings
  for delete to authenticated
  using ((select private.has_role('admin')));

-- Commission rates are public: providers see what they pay.
create policy commission_rates_select_everyone on public.commission_rates
  for select to anon, authenticated
  using (true);

-- Admins set commission rates.
create policy commission_rates_insert_admins on public.commission_rates
  for insert to authenticated
  with check ((select private.has_role('admin')));

-- Admins change commission rates.
create policy commission_rates_update_admins on public.commission_rates
  for update to authenticated
  using ((select private.has_role('admin')))
  with check ((select private.has_role('admin')));

-- Admins remove commission rates.
create policy commission_rates_delete_admins on public.commission_rates
  for delete to authenticated
  using ((select private.has_role('admin')));

-- The payer, the payee (the booking's provider) and admins see a payment.
create policy payments_select_parties_or_admin on public.payments
  for select to authenticated
  using (
    payer_id = (select auth.uid())
    or payee_id = (select auth.uid())
    or (select private.has_role('admin'))
  );

-- Whoever sees the payment sees its refunds.
create policy refunds_select_parties_or_admin on public.refunds
  for select to authenticated
  using (exists (select from public.payments as p where p.id = payment_id));

-- Callbacks are for support: admins only.
create policy webhook_inbox_select_admins on public.webhook_inbox
  for select to authenticated
  using ((select private.has_role('admin')));

-- Suspended users write nothing.
create policy payment_settings_insert_active_users on public.payment_settings
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy payment_settings_update_active_users on public.payment_settings
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy payment_settings_delete_active_users on public.payment_settings
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));
create policy commission_rates_insert_active_users on public.commission_rates
  as restrictive for insert to authenticated
  with check ((select private.is_active_user()));
create policy commission_rates_update_active_users on public.commission_rates
  as restrictive for update to authenticated
  using ((select private.is_active_user()));
create policy commission_rates_delete_active_users on public.commission_rates
  as restrictive for delete to authenticated
  using ((select private.is_active_user()));

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- The customer starts paying for their booking. See public.start_payment.
create function private.start_payment(
  booking_id uuid,
  method public.payment_method,
  gateway text default null,
  idempotency_key text default null
)
returns public.payments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  existing public.payments;
  booking public.bookings;
  market public.markets;
  settings public.payment_settings;
  stale public.payments;
  result public.payments;
begin
  if idempotency_key is null or idempotency_key !~ '^[A-Za-z0-9._:-]{8,128}$' then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'idempotency_key'));
  end if;
  select p.* into existing from public.payments as p
  where p.payer_id = caller and p.idempotency_key = start_payment.idempotency_key;
  if found then
    if existing.booking_id is distinct from start_payment.booking_id or existing.method is distinct from start_payment.method
       or existing.gateway is distinct from start_payment.gateway then
      perform private.raise_error('idempotency_key_reused');
    end if;
    return existing;
  end if;

  select b.* into booking from public.bookings as b where b.id = start_payment.booking_id for no key update;
  if not found or booking.customer_id <> caller then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if booking.status not in ('requested', 'accepted', 'in_progress', 'completed')
     or (booking.status = 'requested' and booking.expires_at <= now()) then
    perform private.raise_error('booking_not_payable', jsonb_build_object('status', booking.status));
  end if;
  if booking.price_minor <= 0 then
    perform private.raise_error('nothing_to_pay');
  end if;
  if booking.payment_status = 'paid' then
    perform private.raise_error('booking_already_paid');
  end if;
  select m.* into market from public.markets as m where m.code = booking.market_code;
  settings := private.payment_settings_for(booking.market_code);
  if method = 'gateway' then
    if gateway is null or not (gateway = any (market.payment_gateways)) then
      perform private.raise_error('payment_method_unavailable', jsonb_build_object('gateway', gateway));
    end if;
  elsif method = 'wallet' then
    if not settings.wallet_enabled or gateway is not null then
      perform private.raise_error('payment_method_unavailable', jsonb_build_object('method', method));
    end if;
  else
    -- Cash is confirmed by the provider (confirm_cash_payment), not started by the customer.
    perform private.raise_error('payment_method_unavailable', jsonb_build_object('method', method));
  end if;

  -- One payment awaits approval at a time; one whose window has passed gives way (it
  -- may still succeed late, and is then refunded if this one succeeds too).
  select p.* into stale from public.payments as p
  where p.booking_id = booking.id and p.status = 'pending' for update;
  if found then
    if stale.expires_at > now() then
      perform private.raise_error('payment_in_progress', jsonb_build_object('payment_id', stale.id));
    end if;
    perform private.apply_payment_report(stale, 'expired', stale.amount_minor, stale.currency, null, 'approval window passed', 'start_payment');
  end if;

  insert into public.payments as p (booking_id, payer_id, payee_id, market_code, amount_minor, currency, method, gateway,
                                    idempotency_key, expires_at, created_by)
  values (booking.id, caller, booking.provider_id, booking.market_code, booking.price_minor, booking.currency_code,
          method, gateway, start_payment.idempotency_key, now() + settings.approval_window, caller)
  returning p.* into result;
  if method = 'gateway' then
    -- The gateway knows the payment by our id unless it names its own (attach_payment_reference).
    update public.payments as p set reference = p.id::text where p.id = result.id returning p.* into result;
    -- The booking is held for the customer while they approve.
    update public.bookings as b set expires_at = least(result.expires_at, b.starts_at)
    where b.id = booking.id and b.status = 'requested' and b.expires_at < result.expires_at;
    perform private.refresh_booking_payment_status(booking.id);
  else
    perform private.apply_payment_report(result, 'succeeded', result.amount_minor, result.currency, null, null, 'wallet');
    select p.* into result from public.payments as p where p.id = result.id;
  end if;
  return result;
end;
$$;
revoke execute on function private.start_payment(uuid, public.payment_method, text, text) from public;
grant execute on function private.start_payment(uuid, public.payment_method, text, text) to authenticated, service_role;

-- The gateway named its own reference for the payment (bKash's paymentID, …). Service role.
create function private.attach_payment_reference(payment_id uuid, reference text)
returns public.payments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  result public.payments;
begin
  if reference is null or length(reference) not between 1 and 200 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'reference'));
  end if;
  begin
    update public.payments as p set reference = attach_payment_reference.reference
    where p.id = attach_payment_reference.payment_id and p.method = 'gateway'
    returning p.* into result;
  exception when unique_violation then
    perform private.raise_error('payment_reference_taken');
  end;
  if result.id is null then
    perform private.raise_error('payment_not_found', jsonb_build_object('payment_id', payment_id));
  end if;
  return result;
end;
$$;
revoke execute on function private.attach_payment_reference(uuid, text) from public;
grant execute on function private.attach_payment_reference(uuid, text) to service_role;

-- The gateway refused to start the payment (declined, invalid number). Service role.
create function private.fail_payment(payment_id uuid, failure_reason text)
returns jsonb
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payment public.payments := private.lock_payment(payment_id);
begin
  if payment.id is null then
    perform private.raise_error('payment_not_found', jsonb_build_object('payment_id', payment_id));
  end if;
  return private.apply_payment_report(payment, 'failed', payment.amount_minor, payment.currency, null, failure_reason, 'initiate');
end;
$$;
revoke execute on function private.fail_payment(uuid, text) from public;
grant execute on function private.fail_payment(uuid, text) to service_role;

-- The payer gives up on a pending payment. See public.cancel_payment.
create function private.cancel_payment(payment_id uuid)
returns public.payments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  payment public.payments := private.lock_payment(payment_id);
begin
  if payment.id is null or payment.payer_id <> caller then
    perform private.raise_error('payment_not_found', jsonb_build_object('payment_id', payment_id));
  end if;
  if payment.status <> 'pending' then
    perform private.raise_error('payment_not_pending', jsonb_build_object('status', payment.status));
  end if;
  perform private.apply_payment_report(payment, 'cancelled', payment.amount_minor, payment.currency, null, 'cancelled by the payer', 'payer');
  select p.* into payment from public.payments as p where p.id = payment.id;
  return payment;
end;
$$;
revoke execute on function private.cancel_payment(uuid) from public;
grant execute on function private.cancel_payment(uuid) to authenticated, service_role;

-- The provider confirms they received the price in cash. See public.confirm_cash_payment.
create function private.confirm_cash_payment(booking_id uuid)
returns public.payments
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
  settings public.payment_settings;
  pending public.payments;
  result public.payments;
begin
  select b.* into booking from public.bookings as b where b.id = confirm_cash_payment.booking_id for no key update;
  if not found or caller not in (booking.customer_id, booking.provider_id) then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if caller <> booking.provider_id then
    perform private.raise_error('provider_role_required_for_cash');
  end if;
  select p.* into result from public.payments as p
  where p.payer_id = booking.customer_id and p.idempotency_key = 'cash:' || booking.id;
  if found then
    return result;
  end if;
  if booking.status not in ('accepted', 'in_progress', 'completed') then
    perform private.raise_error('booking_not_payable', jsonb_build_object('status', booking.status));
  end if;
  if booking.price_minor <= 0 then
    perform private.raise_error('nothing_to_pay');
  end if;
  if booking.payment_status = 'paid' then
    perform private.raise_error('booking_already_paid');
  end if;
  settings := private.payment_settings_for(booking.market_code);
  if not settings.cash_enabled then
    perform private.raise_error('payment_method_unavailable', jsonb_build_object('method', 'cash'));
  end if;
  -- Cash replaces a payment still awaiting approval (a late success of it is refunded).
  for pending in select p.* from public.payments as p where p.booking_id = booking.id and p.status = 'pending' for update loop
    perform private.apply_payment_report(pending, 'cancelled', pending.amount_minor, pending.currency, null, 'paid in cash', 'cash');
  end loop;
  insert into public.payments as p (booking_id, payer_id, payee_id, market_code, amount_minor, currency, method,
                                    idempotency_key, created_by)
  values (booking.id, booking.customer_id, booking.provider_id, booking.market_code, booking.price_minor,
          booking.currency_code, 'cash', 'cash:' || booking.id, caller)
  returning p.* into result;
  perform private.apply_payment_report(result, 'succeeded', result.amount_minor, result.currency, null, null, 'cash');
  select p.* into result from public.payments as p where p.id = result.id;
  return result;
end;
$$;
revoke execute on function private.confirm_cash_payment(uuid) from public;
grant execute on function private.confirm_cash_payment(uuid) to authenticated, service_role;

-- Admins refund part or all of a captured payment. See public.refund_payment.
create function private.refund_payment(
  payment_id uuid,
  amount_minor bigint,
  destination public.refund_destination,
  reason text,
  idempotency_key text default null
)
returns public.refunds
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  payment public.payments;
begin
  if reason is null or length(btrim(reason)) = 0 then
    perform private.raise_error('reason_required');
  end if;
  if length(reason) > 1000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'reason'));
  end if;
  if destination is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'destination'));
  end if;
  if idempotency_key is not null and idempotency_key !~ '^[A-Za-z0-9._:-]{8,128}$' then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'idempotency_key'));
  end if;
  perform private.set_audit_reason(btrim(reason));
  payment := private.lock_payment(payment_id);
  if payment.id is null then
    perform private.raise_error('payment_not_found', jsonb_build_object('payment_id', payment_id));
  end if;
  return private.book_refund(payment, amount_minor, destination, 'admin',
    'admin:' || coalesce(idempotency_key, gen_random_uuid()::text), btrim(reason), caller);
end;
$$;
revoke execute on function private.refund_payment(uuid, bigint, public.refund_destination, text, text) from public;
grant execute on function private.refund_payment(uuid, bigint, public.refund_destination, text, text) to authenticated, service_role;

-- API: the customer starts paying for their booking, by gateway (then the `payments`
-- edge function asks the gateway) or from their wallet (settled at once). The amount is
-- the booking's price. Retrying with the same idempotency key returns the same payment.
create function public.start_payment(
  booking_id uuid,
  method public.payment_method,
  gateway text default null,
  idempotency_key text default null
)
returns public.payments
volatile
security invoker
set search_path = ''
language sql
as $$ select private.start_payment(booking_id, method, gateway, idempotency_key); $$;
revoke execute on function public.start_payment(uuid, public.payment_method, text, text) from public, anon;
grant execute on function public.start_payment(uuid, public.payment_method, text, text) to authenticated, service_role;

-- API: the payer cancels a payment still awaiting approval.
create function public.cancel_payment(payment_id uuid)
returns public.payments
volatile
security invoker
set search_path = ''
language sql
as $$ select private.cancel_payment(payment_id); $$;
revoke execute on function public.cancel_payment(uuid) from public, anon;
grant execute on function public.cancel_payment(uuid) to authenticated, service_role;

-- API: the provider confirms the customer paid them in cash; the commission becomes
-- the provider's debt, netted against their next payout.
create function public.confirm_cash_payment(booking_id uuid)
returns public.payments
volatile
security invoker
set search_path = ''
language sql
as $$ select private.confirm_cash_payment(booking_id); $$;
revoke execute on function public.confirm_cash_payment(uuid) from public, anon;
grant execute on function public.confirm_cash_payment(uuid) to authenticated, service_role;

-- API: admins refund part or all of a captured payment, to the gateway or the customer's
-- wallet, with a reason (audited). Never more than captured and not yet refunded.
create function public.refund_payment(
  payment_id uuid,
  amount_minor bigint,
  destination public.refund_destination,
  reason text,
  idempotency_key text default null
)
returns public.refunds
volatile
security invoker
set search_path = ''
language sql
as $$ select private.refund_payment(payment_id, amount_minor, destination, reason, idempotency_key); $$;
revoke execute on function public.refund_payment(uuid, bigint, public.refund_destination, text, text) from public, anon;
grant execute on function public.refund_payment(uuid, bigint, public.refund_destination, text, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Jobs
-- ---------------------------------------------------------------------------

-- With pg_cron, held escrow is released every five minutes and notifications left in the
-- outbox are sent every minute; without it, payments-reconcile does both.
do $cron$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    execute $job$select cron.schedule('soko-release-held-escrow', '*/5 * * * *',
                                      'select private.release_held_escrow()')$job$;
    execute $job$select cron.schedule('soko-send-payment-notices', '* * * * *',
                                      'select private.send_payment_notices(5000)')$job$;
  end if;
end
$cron$;

-- Payouts: a provider withdraws available earnings to a mobile-money number; MTN MoMo
-- Disbursement (transfer) sends it (the `payouts` and `payments-reconcile` functions).
--
-- Available = provider_earnings − commission_receivable (commission owed on cash jobs
-- and refunds clawed back after release). Requesting a payout settles that debt from the
-- earnings and moves the amount into payout_clearing, in one entry:
--   requested   Dr provider_earnings (amount + debt)  Cr commission_receivable (debt)  Cr payout_clearing (amount)
--   succeeded   Dr payout_clearing                    Cr gateway_clearing(rail)
--   failed      Dr payout_clearing                    Cr provider_earnings          (the ledger reverses)

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

-- pending: booked, not yet sent; processing: the rail accepted it, not yet confirmed.
create type public.payout_status as enum ('pending', 'processing', 'succeeded', 'failed');

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table public.payouts (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references public.profiles (id) on delete restrict,
  market_code text not null references public.markets (code),
  amount_minor bigint not null,
  currency text not null,
  -- Commission debt paid off from the earnings with this payout.
  debt_settled_minor bigint not null default 0,
  rail text not null,
  -- E.164 digits without '+', as accounts.phone.
  phone text not null,
  status public.payout_status not null default 'pending',
  -- The rail's id for the transfer (MoMo: our payout id, its X-Reference-Id).
  gateway_reference text,
  failure_reason text,
  idempotency_key text not null,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payout_amount_is_positive check (amount_minor > 0),
  constraint payout_debt_not_negative check (debt_settled_minor >= 0),
  constraint payout_currency_is_iso check (currency ~ '^[A-Z]{3}$'),
  constraint payout_rail_known check (rail in ('mtn_momo', 'fake')),
  constraint payout_phone_is_e164 check (phone ~ '^[1-9][0-9]{7,14}$'),
  constraint payout_failure_reason_length check (length(failure_reason) <= 500),
  constraint payout_idempotency_key_format check (idempotency_key ~ '^[A-Za-z0-9._:-]{8,128}$'),
  constraint payout_completed_when_final check ((completed_at is not null) = (status in ('succeeded', 'failed'))),
  constraint payouts_provider_idempotency_key unique (provider_id, idempotency_key)
);
create index payouts_provider_id on public.payouts (provider_id, created_at desc);
create index payouts_market_code on public.payouts (market_code);
-- The payout worker's queue.
create index payouts_due on public.payouts (next_attempt_at) where status in ('pending', 'processing');

alter table public.payouts enable row level security;
revoke all on table public.payouts from anon, authenticated;
grant select on table public.payouts to authenticated;
grant all on table public.payouts to service_role;

create trigger payouts_touch_updated_at before update on public.payouts
  for each row execute function private.touch_updated_at();

-- Money leaving the platform is audited.
create trigger payouts_audit after insert or update of status on public.payouts
  for each row execute function private.audit_row();

insert into private.error_catalogue (code, sqlstate, message) values
  ('payout_below_minimum', '22023', 'This is less than the smallest payout.'),
  ('payout_not_found', 'PT404', 'No such payout.'),
  ('payout_phone_invalid', '22023', 'Give the mobile-money number in international format.');

insert into private.notification_templates (template_key, locale, title, body) values
  ('payout.sent', 'en', 'Payout sent', '{amount} was sent to your mobile money.'),
  ('payout.failed', 'en', 'Payout failed', 'We could not send {amount}; it is back in your balance.')
on conflict on constraint notification_templates_pkey do nothing;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- A user's money per currency: wallet credit; as a provider, earnings, the debt they owe,
-- what they can withdraw, payouts on their way and what their bookings hold in escrow.
create function private.balances_of(owner uuid)
returns table (currency text, wallet_minor bigint, earnings_minor bigint, receivable_minor bigint,
               available_minor bigint, in_flight_minor bigint, escrow_minor bigint)
stable
security definer
set search_path = ''
language sql
as $$
  with own as (
    select a.currency, a.kind, a.balance_minor from public.ledger_accounts as a where a.owner_id = owner
    union all
    select a.currency, a.kind, a.balance_minor from public.ledger_accounts as a
    where a.kind = 'escrow' and a.subject_id in (select b.id from public.bookings as b where b.provider_id = owner)
  )
  select o.currency,
         coalesce(sum(o.balance_minor) filter (where o.kind = 'customer_wallet'), 0)::bigint,
         coalesce(sum(o.balance_minor) filter (where o.kind = 'provider_earnings'), 0)::bigint,
         coalesce(sum(o.balance_minor) filter (where o.kind = 'commission_receivable'), 0)::bigint,
         greatest(coalesce(sum(o.balance_minor) filter (where o.kind = 'provider_earnings'), 0)
                  - coalesce(sum(o.balance_minor) filter (where o.kind = 'commission_receivable'), 0), 0)::bigint,
         coalesce(sum(o.balance_minor) filter (where o.kind = 'payout_clearing'), 0)::bigint,
         coalesce(sum(o.balance_minor) filter (where o.kind = 'escrow'), 0)::bigint
  from own as o
  group by o.currency
  order by o.currency;
$$;
revoke execute on function private.balances_of(uuid) from public;
grant execute on function private.balances_of(uuid) to service_role;

-- ---------------------------------------------------------------------------
-- Worker (service role)
-- ---------------------------------------------------------------------------

-- Payouts to send (pending) or to check (processing), leased for `lease` (or just `only_payout`).
create function private.claim_payouts(batch_size integer default 50, lease interval default '2 minutes', only_payout uuid default null)
returns table (payout_id uuid, status public.payout_status, rail text, phone text, amount_minor bigint,
               currency text, gateway_reference text, attempts integer)
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  return query
    with due as (
      select o.id from public.payouts as o
      where o.status in ('pending', 'processing')
        and ((only_payout is null and o.next_attempt_at <= now()) or o.id = only_payout)
      order by o.next_attempt_at
      limit batch_size
      for update skip locked
    )
    update public.payouts as o
    set attempts = o.attempts + 1, next_attempt_at = now() + lease
    from due
    where o.id = due.id
    returning o.id, o.status, o.rail, o.phone, o.amount_minor, o.currency, o.gateway_reference, o.attempts;
end;
$$;
revoke execute on function private.claim_payouts(integer, interval, uuid) from public;
grant execute on function private.claim_payouts(integer, interval, uuid) to service_role;

-- The rail's answer: succeeded, failed (the money goes back to the provider's earnings),
-- processing (check again after `retry_after`), or null (no answer: try again later).
-- A payout already final is returned unchanged, so late or repeated answers are no-ops.
create function private.complete_payout(
  payout_id uuid,
  status public.payout_status,
  gateway_reference text default null,
  failure_reason text default null,
  retry_after interval default '2 minutes'
)
returns public.payouts
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payout public.payouts;
  clearing bigint;
  result public.payouts;
begin
  select o.* into payout from public.payouts as o where o.id = complete_payout.payout_id for update;
  if not found then
    perform private.raise_error('payout_not_found', jsonb_build_object('payout_id', payout_id));
  end if;
  if payout.status in ('succeeded', 'failed') then
    return payout;
  end if;
  if status is null or status in ('pending', 'processing') then
    update public.payouts as o
    set status = case when complete_payout.status = 'processing' then 'processing' else o.status end,
        gateway_reference = coalesce(complete_payout.gateway_reference, o.gateway_reference),
        failure_reason = left(complete_payout.failure_reason, 500),
        next_attempt_at = now() + retry_after
    where o.id = payout.id
    returning o.* into result;
    return result;
  end if;
  clearing := (select a.payouts from private.provider_accounts(payout.provider_id, payout.currency) as a);
  if status = 'succeeded' then
    perform private.post_entry('payout.succeeded', payout.currency, jsonb_build_array(
        jsonb_build_object('account_id', clearing, 'amount_minor', payout.amount_minor),
        jsonb_build_object('account_id', private.account_id('gateway_clearing', payout.currency, gateway => payout.rail),
                           'amount_minor', -payout.amount_minor)),
      'payout:' || payout.id || ':succeeded', 'Payout sent', jsonb_build_object('payout_id', payout.id));
  else
    perform private.post_entry('payout.failed', payout.currency, jsonb_build_array(
        jsonb_build_object('account_id', clearing, 'amount_minor', payout.amount_minor),
        jsonb_build_object('account_id', (select a.earnings from private.provider_accounts(payout.provider_id, payout.currency) as a),
                           'amount_minor', -payout.amount_minor)),
      'payout:' || payout.id || ':failed', 'Payout failed; back to earnings', jsonb_build_object('payout_id', payout.id));
  end if;
  update public.payouts as o
  set status = complete_payout.status,
      gateway_reference = coalesce(complete_payout.gateway_reference, o.gateway_reference),
      failure_reason = case when complete_payout.status = 'failed' then left(coalesce(complete_payout.failure_reason, 'failed'), 500) end,
      completed_at = now()
  where o.id = payout.id
  returning o.* into result;
  perform private.queue_notice(payout.provider_id, case when status = 'succeeded' then 'payout.sent' else 'payout.failed' end,
    jsonb_build_object('amount', private.format_money(payout.amount_minor, payout.currency), 'amount_minor', payout.amount_minor,
                       'currency', payout.currency, 'payout_id', payout.id),
    'payout:' || payout.id, critical => status = 'failed');
  return result;
end;
$$;
revoke execute on function private.complete_payout(uuid, public.payout_status, text, text, interval) from public;
grant execute on function private.complete_payout(uuid, public.payout_status, text, text, interval) to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- A provider sees their own payouts; admins see all.
create policy payouts_select_owner_or_admin on public.payouts
  for select to authenticated
  using (provider_id = (select auth.uid()) or (select private.has_role('admin')));

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- A provider withdraws. See public.request_payout.
create function private.request_payout(amount_minor bigint, phone text default null, idempotency_key text default null)
returns public.payouts
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_provider();
  existing public.payouts;
  market public.markets;
  settings public.payment_settings;
  number text;
  earnings_id bigint;
  receivable_id bigint;
  clearing_id bigint;
  earnings bigint;
  debt bigint;
  lines jsonb;
  result public.payouts;
begin
  if idempotency_key is null or idempotency_key !~ '^[A-Za-z0-9._:-]{8,128}$' then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'idempotency_key'));
  end if;
  select o.* into existing from public.payouts as o
  where o.provider_id = caller and o.idempotency_key = request_payout.idempotency_key;
  if found then
    if existing.amount_minor is distinct from request_payout.amount_minor then
      perform private.raise_error('idempotency_key_reused');
    end if;
    return existing;
  end if;
  select m.* into market from public.markets as m
  join public.profiles as p on p.market_code = m.code where p.id = caller;
  settings := private.payment_settings_for(market.code);
  if amount_minor is null or amount_minor < settings.min_payout_minor then
    perform private.raise_error('payout_below_minimum', jsonb_build_object('min_payout_minor', settings.min_payout_minor));
  end if;
  number := coalesce(regexp_replace(btrim(phone), '^\+', ''), (select a.phone from public.accounts as a where a.id = caller));
  if number is null or number !~ '^[1-9][0-9]{7,14}$' then
    perform private.raise_error('payout_phone_invalid');
  end if;

  earnings_id := (select a.earnings from private.provider_accounts(caller, market.currency_code) as a);
  receivable_id := (select a.receivable from private.provider_accounts(caller, market.currency_code) as a);
  clearing_id := (select a.payouts from private.provider_accounts(caller, market.currency_code) as a);
  -- Concurrent payouts (and refunds taken back from these earnings) queue here.
  perform private.lock_accounts(array[earnings_id, receivable_id, clearing_id]);
  select a.balance_minor into earnings from public.ledger_accounts as a where a.id = earnings_id;
  select a.balance_minor into debt from public.ledger_accounts as a where a.id = receivable_id;
  if amount_minor > earnings - debt then
    perform private.raise_error('insufficient_funds', jsonb_build_object('available_minor', greatest(earnings - debt, 0)));
  end if;

  insert into public.payouts as o (provider_id, market_code, amount_minor, currency, debt_settled_minor, rail, phone,
                                   idempotency_key)
  values (caller, market.code, request_payout.amount_minor, market.currency_code, debt, settings.payout_rail, number,
          request_payout.idempotency_key)
  returning o.* into result;
  lines := jsonb_build_array(
    jsonb_build_object('account_id', earnings_id, 'amount_minor', request_payout.amount_minor + debt),
    jsonb_build_object('account_id', clearing_id, 'amount_minor', -request_payout.amount_minor));
  if debt > 0 then
    lines := lines || jsonb_build_object('account_id', receivable_id, 'amount_minor', -debt);
  end if;
  perform private.post_entry('payout.requested', market.currency_code, lines, 'payout:' || result.id || ':requested',
    'Payout requested', jsonb_build_object('payout_id', result.id));
  return result;
end;
$$;
revoke execute on function private.request_payout(bigint, text, text) from public;
grant execute on function private.request_payout(bigint, text, text) to authenticated, service_role;

-- The caller's balances. See public.my_balances.
create function private.my_balances()
returns table (currency text, wallet_minor bigint, earnings_minor bigint, receivable_minor bigint,
               available_minor bigint, in_flight_minor bigint, escrow_minor bigint)
stable
security definer
set search_path = ''
language plpgsql
as $$
begin
  if auth.uid() is null then
    perform private.raise_error('not_authenticated');
  end if;
  return query select * from private.balances_of(auth.uid());
end;
$$;
revoke execute on function private.my_balances() from public;
grant execute on function private.my_balances() to authenticated, service_role;

-- API: a provider withdraws available earnings (less any commission they owe) to a
-- mobile-money number (default: their own phone). The `payouts` edge function sends it.
create function public.request_payout(amount_minor bigint, phone text default null, idempotency_key text default null)
returns public.payouts
volatile
security invoker
set search_path = ''
language sql
as $$ select private.request_payout(amount_minor, phone, idempotency_key); $$;
revoke execute on function public.request_payout(bigint, text, text) from public, anon;
grant execute on function public.request_payout(bigint, text, text) to authenticated, service_role;

-- API: the caller's money per currency: wallet credit and, for providers, earnings,
-- commission owed, what can be withdrawn, payouts on their way and money in escrow.
create function public.my_balances()
returns table (currency text, wallet_minor bigint, earnings_minor bigint, receivable_minor bigint,
               available_minor bigint, in_flight_minor bigint, escrow_minor bigint)
stable
security invoker
set search_path = ''
language sql
as $$ select * from private.my_balances(); $$;
revoke execute on function public.my_balances() from public, anon;
grant execute on function public.my_balances() to authenticated, service_role;

-- Admin: the dashboard, report views for Studio and the admin screens, and the rule
-- that every moderation action carries a reason.
--
-- Figures are computed from the facts, never from counters: money from the ledger
-- (journal entries and lines, attributed to a market through the payment or payout the
-- entry's reference names; the ledger keeps one platform account per currency, not per
-- market), counts from the bookings, payments, reviews and disputes themselves.
-- Days are the market's local days (markets.time_zone).
--
-- Money per journal entry (kinds and references as the payments migration posts them):
--   payment.settled  {payment_id}  gateway/wallet: the escrow credit is GMV through the
--                                  platform; cash: only the commission reaches the
--                                  ledger, so the GMV is the amount of the payment named
--   booking.released {payment_id}  commission credited to platform_revenue
--   refund.issued    {payment_id}  the amount refunded (the entry's debits); the
--                                  commission share debited back from platform_revenue
--   payout.requested/succeeded/failed {payout_id}  payout_clearing movements
-- (refund.redirected only moves a refund from the gateway to the wallet: not counted.)
--
-- The views are security invoker and return rows only to admins: base-table RLS applies
-- to the caller, and each view adds private.can_read_admin_reports(), so a customer or
-- provider gets nothing (not even their own rows) and anon has no grant at all.

-- ---------------------------------------------------------------------------
-- Indexes the reports read by (tables of earlier contexts)
-- ---------------------------------------------------------------------------

create index bookings_market_created_at on public.bookings (market_code, created_at);
create index payments_market_created_at on public.payments (market_code, created_at);

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- Who may read the report views: admins (by their token, like every admin policy) and
-- the database's own roles — Studio's SQL and table editors (postgres) and back-office
-- jobs (service_role) — which carry no user token. Never a customer or provider.
-- Views call it as `(select private.can_read_admin_reports())`, once per statement.
create function private.can_read_admin_reports()
returns boolean
stable
security invoker
set search_path = ''
language sql
as $$
  select private.has_role('admin') or current_user not in ('anon', 'authenticated');
$$;
grant execute on function private.can_read_admin_reports() to authenticated, service_role;

-- The money of each journal entry about a payment (see the table at the top), optionally
-- for one market, in [window_start, window_end). Runs as the caller: RLS decides.
create function private.ledger_money(market text, window_start timestamptz, window_end timestamptz)
returns table (
  entry_id bigint,
  market_code text,
  currency text,
  occurred_at timestamptz,
  kind text,
  gmv_platform_minor bigint,
  gmv_cash_minor bigint,
  commission_minor bigint,
  refund_minor bigint
)
stable
security invoker
set search_path = ''
language sql
as $$
  select e.id, p.market_code, e.currency, e.occurred_at, e.kind,
         case when e.kind = 'payment.settled' and p.method <> 'cash' then t.escrow_credit else 0 end::bigint,
         case when e.kind = 'payment.settled' and p.method = 'cash' then p.amount_minor else 0 end::bigint,
         t.revenue_credit::bigint,
         case when e.kind = 'refund.issued' then t.debits else 0 end::bigint
  from public.journal_entries as e
  join public.payments as p on p.id = (e.reference ->> 'payment_id')::uuid
  cross join lateral (
    select coalesce(-sum(l.amount_minor) filter (where a.kind = 'escrow'), 0) as escrow_credit,
           coalesce(-sum(l.amount_minor) filter (where a.kind = 'platform_revenue'), 0) as revenue_credit,
           coalesce(sum(l.amount_minor) filter (where l.amount_minor > 0), 0) as debits
    from public.journal_lines as l
    join public.ledger_accounts as a on a.id = l.account_id
    where l.entry_id = e.id
  ) as t
  where e.kind in ('payment.settled', 'booking.released', 'refund.issued')
    and e.occurred_at >= window_start and e.occurred_at < window_end
    and (ledger_money.market is null or p.market_code = ledger_money.market);
$$;
grant execute on function private.ledger_money(text, timestamptz, timestamptz) to authenticated, service_role;

-- Moderation changes carry a reason. The functions behind them (decide_verification,
-- revoke_verification, set_review_hidden, resolve_dispute) record it with
-- private.set_audit_reason; these triggers refuse the change when there is none, so no
-- code path, present or future, can moderate without one.
create function private.require_moderation_reason()
returns trigger
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  if nullif(btrim(current_setting('soko.audit_reason', true)), '') is null then
    perform private.raise_error('reason_required', jsonb_build_object('table', tg_table_name));
  end if;
  return new;
end;
$$;

-- Verification approved, rejected or closed by a revocation.
create trigger provider_verifications_require_reason
  before update of status on public.provider_verifications
  for each row when (old.status is distinct from new.status)
  execute function private.require_moderation_reason();

-- Review hidden or shown again.
create trigger reviews_require_reason
  before update of hidden_at on public.reviews
  for each row when (old.hidden_at is distinct from new.hidden_at)
  execute function private.require_moderation_reason();

-- Dispute resolved.
create trigger disputes_require_reason
  before update of status on public.disputes
  for each row when (old.status is distinct from new.status)
  execute function private.require_moderation_reason();

-- ---------------------------------------------------------------------------
-- Report views
-- ---------------------------------------------------------------------------

-- Bookings requested per market and local day, by the status they are in now.
create view public.admin_daily_bookings
with (security_invoker = true)
as
select b.market_code,
       (b.created_at at time zone m.time_zone)::date as day,
       count(*) as bookings,
       count(*) filter (where b.status = 'requested') as requested,
       count(*) filter (where b.status = 'accepted') as accepted,
       count(*) filter (where b.status = 'in_progress') as in_progress,
       count(*) filter (where b.status = 'completed') as completed,
       count(*) filter (where b.status in ('cancelled_by_customer', 'cancelled_by_provider', 'cancelled_by_admin')) as cancelled,
       count(*) filter (where b.status = 'declined') as declined,
       count(*) filter (where b.status = 'expired') as expired,
       count(*) filter (where b.status = 'disputed') as disputed,
       count(*) filter (where b.status = 'resolved') as resolved
from public.bookings as b
join public.markets as m on m.code = b.market_code
where (select private.can_read_admin_reports())
group by b.market_code, (b.created_at at time zone m.time_zone)::date
order by b.market_code, day;

revoke all on table public.admin_daily_bookings from anon, authenticated;
grant select on table public.admin_daily_bookings to authenticated, service_role;

-- Money per market and local day, from the ledger: GMV (through the platform and in
-- cash), commission earned net of commission refunded, and refunds.
create view public.admin_daily_revenue
with (security_invoker = true)
as
select x.market_code,
       x.currency,
       (x.occurred_at at time zone m.time_zone)::date as day,
       count(*) filter (where x.kind = 'payment.settled') as payments_settled,
       sum(x.gmv_platform_minor + x.gmv_cash_minor)::bigint as gmv_minor,
       sum(x.gmv_platform_minor)::bigint as gmv_platform_minor,
       sum(x.gmv_cash_minor)::bigint as gmv_cash_minor,
       sum(x.commission_minor)::bigint as commission_minor,
       count(*) filter (where x.kind = 'refund.issued') as refunds,
       sum(x.refund_minor)::bigint as refunds_minor
from private.ledger_money(null, '-infinity', 'infinity') as x
join public.markets as m on m.code = x.market_code
where (select private.can_read_admin_reports())
group by x.market_code, x.currency, (x.occurred_at at time zone m.time_zone)::date
order by x.market_code, day;

revoke all on table public.admin_daily_revenue from anon, authenticated;
grant select on table public.admin_daily_revenue to authenticated, service_role;

-- Payouts per market and local day, from the ledger: requested (and the commission debt
-- settled with them), confirmed sent, and failed (back in the providers' earnings).
create view public.admin_daily_payouts
with (security_invoker = true)
as
select o.market_code,
       e.currency,
       (e.occurred_at at time zone m.time_zone)::date as day,
       count(distinct e.id) filter (where e.kind = 'payout.requested') as requested,
       coalesce(sum(-l.amount_minor) filter (where e.kind = 'payout.requested' and a.kind = 'payout_clearing'), 0)::bigint
         as requested_minor,
       coalesce(sum(-l.amount_minor) filter (where e.kind = 'payout.requested' and a.kind = 'commission_receivable'), 0)::bigint
         as debt_settled_minor,
       count(distinct e.id) filter (where e.kind = 'payout.succeeded') as succeeded,
       coalesce(sum(l.amount_minor) filter (where e.kind = 'payout.succeeded' and a.kind = 'payout_clearing'), 0)::bigint
         as succeeded_minor,
       count(distinct e.id) filter (where e.kind = 'payout.failed') as failed,
       coalesce(sum(l.amount_minor) filter (where e.kind = 'payout.failed' and a.kind = 'payout_clearing'), 0)::bigint
         as failed_minor
from public.journal_entries as e
join public.payouts as o on o.id = (e.reference ->> 'payout_id')::uuid
join public.markets as m on m.code = o.market_code
join public.journal_lines as l on l.entry_id = e.id
join public.ledger_accounts as a on a.id = l.account_id
where e.kind in ('payout.requested', 'payout.succeeded', 'payout.failed')
  and (select private.can_read_admin_reports())
group by o.market_code, e.currency, (e.occurred_at at time zone m.time_zone)::date
order by o.market_code, day;

revoke all on table public.admin_daily_payouts from anon, authenticated;
grant select on table public.admin_daily_payouts to authenticated, service_role;

-- Verification requests waiting for a decision, oldest first.
create view public.admin_verification_queue
with (security_invoker = true)
as
select v.id as verification_id,
       v.provider_id,
       pr.business_name as provider_name,
       p.display_name,
       pr.market_code,
       pr.verification_status as provider_status,
       v.submitted_at,
       now() - v.submitted_at as age,
       cardinality(v.document_paths) as document_count,
       v.note,
       (select count(*) from public.provider_verifications as x
        where x.provider_id = v.provider_id and x.status = 'rejected') as earlier_rejections
from public.provider_verifications as v
join public.providers as pr on pr.id = v.provider_id
join public.profiles as p on p.id = v.provider_id
where v.status = 'pending'
  and (select private.can_read_admin_reports())
order by v.submitted_at, v.id;

revoke all on table public.admin_verification_queue from anon, authenticated;
grant select on table public.admin_verification_queue to authenticated, service_role;

-- Open disputes, oldest first: the parties, why, the booking's price, what the customer
-- has paid (net of refunds) and what escrow still holds for it (from the ledger).
create view public.admin_dispute_queue
with (security_invoker = true)
as
select d.id as dispute_id,
       d.booking_id,
       b.market_code,
       d.created_at as opened_at,
       now() - d.created_at as age,
       d.opener_role,
       d.opened_by,
       d.reason,
       d.booking_status_before,
       b.customer_id,
       cp.display_name as customer_name,
       b.provider_id,
       pr.business_name as provider_name,
       b.price_minor,
       b.currency_code as currency,
       (select coalesce(sum(p.captured_minor - p.refunded_minor), 0) from public.payments as p
        where p.booking_id = b.id)::bigint as paid_minor,
       (select coalesce(-sum(l.amount_minor), 0) from public.ledger_accounts as a
        join public.journal_lines as l on l.account_id = a.id
        where a.kind = 'escrow' and a.subject_id = b.id)::bigint as escrow_minor,
       (select count(*) from public.dispute_evidence as e where e.dispute_id = d.id) as evidence_count,
       (select count(*) from public.dispute_comments as c where c.dispute_id = d.id) as comment_count
from public.disputes as d
join public.bookings as b on b.id = d.booking_id
left join public.profiles as cp on cp.id = b.customer_id
left join public.providers as pr on pr.id = b.provider_id
where d.status = 'open'
  and (select private.can_read_admin_reports())
order by d.created_at, d.id;

revoke all on table public.admin_dispute_queue from anon, authenticated;
grant select on table public.admin_dispute_queue to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- API: admins show a hidden review again, with a reason (audited); the rating aggregate
-- follows. (Replaces unhide_review(uuid), which took no reason.)
drop function public.unhide_review(uuid);
create function public.unhide_review(review_id uuid, reason text)
returns public.reviews
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_review_hidden(review_id, false, reason); $$;
revoke execute on function public.unhide_review(uuid, text) from public, anon;
grant execute on function public.unhide_review(uuid, text) to authenticated, service_role;

-- API: an admin's figures for one market between two of its local dates (inclusive, at
-- most 366 days): users by role and sign-ups, bookings by status, GMV, commission and
-- refunds from the ledger, payment success by gateway, disputes, the average customer
-- rating and the most booked categories. Runs as the admin: RLS applies.
create function public.admin_dashboard(market text, from_date date, to_date date)
returns jsonb
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  place public.markets;
  window_start timestamptz;
  window_end timestamptz;
  users_json jsonb;
  roles_json jsonb;
  bookings_json jsonb;
  money_json jsonb;
  payments_json jsonb;
  disputes_json jsonb;
  ratings_json jsonb;
  categories_json jsonb;
begin
  perform private.require_admin();
  select m.* into place from public.markets as m where m.code = admin_dashboard.market;
  if not found then
    perform private.raise_error('market_unknown', jsonb_build_object('market', admin_dashboard.market));
  end if;
  if from_date is null or to_date is null then
    perform private.raise_error('invalid_input', jsonb_build_object('field', case when from_date is null then 'from_date' else 'to_date' end));
  end if;
  if to_date < from_date then
    perform private.raise_error('invalid_time_range', jsonb_build_object('from_date', from_date, 'to_date', to_date));
  end if;
  if to_date - from_date >= 366 then
    perform private.raise_error('date_range_too_long', jsonb_build_object('max_days', 366));
  end if;
  window_start := from_date::timestamp at time zone place.time_zone;
  window_end := (to_date + 1)::timestamp at time zone place.time_zone;

  -- Users of the market now, and who signed up in the period.
  select jsonb_object_agg(r.role, coalesce(c.users, 0))
  into roles_json
  from unnest(enum_range(null::public.app_role)) as r (role)
  left join (
    select ur.role, count(*) as users
    from public.user_roles as ur
    join public.profiles as p on p.id = ur.user_id
    where p.market_code = place.code
    group by ur.role
  ) as c on c.role = r.role;

  select jsonb_build_object(
           'total', count(*),
           'new_signups', count(*) filter (where p.created_at >= window_start and p.created_at < window_end),
           'suspended', count(*) filter (where a.status = 'suspended'),
           'by_role', roles_json)
  into users_json
  from public.profiles as p
  left join public.accounts as a on a.id = p.id
  where p.market_code = place.code;

  -- Bookings requested in the period, by the status they are in now.
  select jsonb_build_object('total', coalesce(sum(c.bookings), 0), 'by_status', jsonb_object_agg(s.status, coalesce(c.bookings, 0)))
  into bookings_json
  from unnest(enum_range(null::public.booking_status)) as s (status)
  left join (
    select b.status, count(*) as bookings
    from public.bookings as b
    where b.market_code = place.code and b.created_at >= window_start and b.created_at < window_end
    group by b.status
  ) as c on c.status = s.status;

  -- Money, from the ledger.
  select jsonb_build_object(
           'gmv_minor', coalesce(sum(x.gmv_platform_minor + x.gmv_cash_minor), 0),
           'gmv_platform_minor', coalesce(sum(x.gmv_platform_minor), 0),
           'gmv_cash_minor', coalesce(sum(x.gmv_cash_minor), 0),
           'commission_minor', coalesce(sum(x.commission_minor), 0),
           'refunds_minor', coalesce(sum(x.refund_minor), 0),
           'refunds', count(*) filter (where x.kind = 'refund.issued'),
           'payments_settled', count(*) filter (where x.kind = 'payment.settled'))
  into money_json
  from private.ledger_money(place.code, window_start, window_end) as x;

  -- Payments started in the period, per gateway ('wallet' and 'cash' for those methods):
  -- the success rate is succeeded / attempts that reached an outcome.
  select coalesce(jsonb_object_agg(g.gateway, jsonb_build_object(
           'attempts', g.attempts,
           'succeeded', g.succeeded,
           'failed', g.failed,
           'pending', g.pending,
           'success_rate', round(g.succeeded::numeric / nullif(g.attempts, 0), 4))), '{}'::jsonb)
  into payments_json
  from (
    select coalesce(p.gateway, p.method::text) as gateway,
           count(*) filter (where p.status <> 'pending') as attempts,
           count(*) filter (where p.captured_minor > 0) as succeeded,
           count(*) filter (where p.status in ('failed', 'expired', 'cancelled')) as failed,
           count(*) filter (where p.status = 'pending') as pending
    from public.payments as p
    where p.market_code = place.code and p.created_at >= window_start and p.created_at < window_end
    group by coalesce(p.gateway, p.method::text)
  ) as g;

  -- Disputes open now; opened and resolved in the period.
  select jsonb_build_object(
           'open', count(*) filter (where d.status = 'open'),
           'opened', count(*) filter (where d.created_at >= window_start and d.created_at < window_end),
           'resolved', count(*) filter (where d.resolved_at >= window_start and d.resolved_at < window_end))
  into disputes_json
  from public.disputes as d
  join public.bookings as b on b.id = d.booking_id
  where b.market_code = place.code;

  -- Customers' reviews of providers written in the period, as the public sees them
  -- (published, not hidden).
  select jsonb_build_object('average', round(avg(r.rating), 2), 'count', count(*))
  into ratings_json
  from public.reviews as r
  join public.bookings as b on b.id = r.booking_id
  where b.market_code = place.code
    and r.author_role = 'customer' and r.hidden_at is null
    and (r.published_at is not null or r.publish_after <= now())
    and r.created_at >= window_start and r.created_at < window_end;

  -- The five categories booked most in the period (the listing's own category).
  select coalesce(jsonb_agg(jsonb_build_object(
           'category_id', t.id, 'slug', t.slug, 'name', t.name, 'bookings', t.bookings, 'completed', t.completed)
           order by t.bookings desc, t.slug), '[]'::jsonb)
  into categories_json
  from (
    select c.id, c.slug, private.translate(c.name, place.default_locale) as name,
           count(*) as bookings, count(*) filter (where b.status = 'completed') as completed
    from public.bookings as b
    join public.service_listings as l on l.id = b.listing_id
    join public.service_categories as c on c.id = l.category_id
    where b.market_code = place.code and b.created_at >= window_start and b.created_at < window_end
    group by c.id
    order by count(*) desc, c.slug
    limit 5
  ) as t;

  return jsonb_build_object(
    'market', place.code,
    'currency', place.currency_code,
    'time_zone', place.time_zone,
    'from', from_date,
    'to', to_date,
    'users', users_json,
    'bookings', bookings_json,
    'money', money_json,
    'payments', payments_json,
    'disputes', disputes_json,
    'ratings', ratings_json,
    'top_categories', categories_json);
end;
$$;
revoke execute on function public.admin_dashboard(text, date, date) from public, anon;
grant execute on function public.admin_dashboard(text, date, date) to authenticated, service_role;

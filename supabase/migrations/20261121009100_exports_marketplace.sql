-- Exports of the services marketplace and its money: providers, bookings, payments,
-- payouts, reviews and disputes (see 20261121000300_exports.sql for how datasets work).
--
-- Every dataset runs as the calling admin, so RLS decides; text that users, providers
-- or gateways typed goes through private.csv_text_sql; times are ISO 8601 UTC, booleans
-- true/false, and from/to filter on the row's creation date in UTC, as in every other
-- dataset.
-- Left out on purpose: service addresses and coordinates, booking notes, idempotency
-- keys, document and evidence paths, and anything from webhook_inbox (raw bodies).

-- ---------------------------------------------------------------------------
-- Datasets
-- ---------------------------------------------------------------------------

-- Providers: business profile, badge, contact phone, listings and completed jobs.
-- Filters: market, status (verification: unverified|pending|verified|rejected), active
-- (true|false), from/to (profile created).
create function private.export_providers_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select pr.id, pr.market_code as market, %s as business_name, %s as display_name, a.phone,
              pr.verification_status::text as verification_status, %s as verified_at, pr.active::text as active,
              pr.years_experience, pr.service_radius_m,
              (select count(*) from public.service_listings l where l.provider_id = pr.id and l.active) as active_listings,
              (select count(*) from public.bookings b where b.provider_id = pr.id and b.status = 'completed') as completed_bookings,
              pr.rating_count, pr.rating_average,
              %s as created_at
       from public.providers pr
       join public.profiles p on p.id = pr.id
       left join public.accounts a on a.id = pr.id
       where true%s%s%s%s%s
       order by pr.created_at, pr.id$q$,
    private.csv_text_sql('pr.business_name'),
    private.csv_text_sql('p.display_name'),
    private.csv_time_sql('pr.verified_at'),
    private.csv_time_sql('pr.created_at'),
    private.export_condition(filters, 'market', 'pr.market_code = %L'),
    private.export_condition(filters, 'status', 'pr.verification_status::text = %L'),
    private.export_condition(filters, 'active', 'pr.active = %L::boolean'),
    private.export_condition(filters, 'from', $c$pr.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$pr.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_providers_query(jsonb) to authenticated, service_role;

-- Bookings: parties, listing, category, times, price and payment status (never the
-- address, coordinates or notes). Filters: market, status, payment_status, from/to
-- (requested).
create function private.export_bookings_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select b.id, b.market_code as market, b.status::text as status, b.payment_status::text as payment_status,
              %s as requested_at, %s as starts_at, %s as ends_at, b.time_zone,
              b.customer_id, %s as customer_name, b.provider_id, %s as provider_name,
              b.listing_id, %s as listing_title, c.slug as category,
              b.price_minor, b.currency_code as currency, b.pricing_unit::text as pricing_unit,
              %s as accepted_at, %s as completed_at, %s as cancelled_at
       from public.bookings b
       join public.markets m on m.code = b.market_code
       left join public.profiles cp on cp.id = b.customer_id
       left join public.providers pr on pr.id = b.provider_id
       left join public.service_listings l on l.id = b.listing_id
       left join public.service_categories c on c.id = l.category_id
       where true%s%s%s%s%s
       order by b.created_at, b.id$q$,
    private.csv_time_sql('b.created_at'),
    private.csv_time_sql('b.starts_at'),
    private.csv_time_sql('b.ends_at'),
    private.csv_text_sql('cp.display_name'),
    private.csv_text_sql('pr.business_name'),
    private.csv_text_sql('private.translate(l.title, m.default_locale)'),
    private.csv_time_sql('b.accepted_at'),
    private.csv_time_sql('b.completed_at'),
    private.csv_time_sql('b.cancelled_at'),
    private.export_condition(filters, 'market', 'b.market_code = %L'),
    private.export_condition(filters, 'status', 'b.status::text = %L'),
    private.export_condition(filters, 'payment_status', 'b.payment_status::text = %L'),
    private.export_condition(filters, 'from', $c$b.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$b.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_bookings_query(jsonb) to authenticated, service_role;

-- Payments: amounts captured and refunded, commission, the gateway's references for
-- reconciliation (never the callbacks themselves). Filters: market, status, method,
-- gateway, from/to (started).
create function private.export_payments_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select p.id, p.market_code as market, p.purpose::text as purpose, p.booking_id, p.payer_id, p.payee_id,
              p.method::text as method, p.gateway, %s as reference, %s as gateway_transaction_id,
              p.status::text as status, p.amount_minor, p.captured_minor, p.refunded_minor, p.currency,
              p.commission_rate_bps, p.commission_minor, p.late::text as late, %s as failure_reason,
              %s as created_at, %s as settled_at, %s as released_at
       from public.payments p
       where true%s%s%s%s%s%s
       order by p.created_at, p.id$q$,
    private.csv_text_sql('p.reference'),
    private.csv_text_sql('p.gateway_transaction_id'),
    private.csv_text_sql('p.failure_reason'),
    private.csv_time_sql('p.created_at'),
    private.csv_time_sql('p.settled_at'),
    private.csv_time_sql('p.released_at'),
    private.export_condition(filters, 'market', 'p.market_code = %L'),
    private.export_condition(filters, 'status', 'p.status::text = %L'),
    private.export_condition(filters, 'method', 'p.method::text = %L'),
    private.export_condition(filters, 'gateway', 'p.gateway = %L'),
    private.export_condition(filters, 'from', $c$p.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$p.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_payments_query(jsonb) to authenticated, service_role;

-- Payouts: amount, commission debt settled with it, rail, destination number and
-- outcome. Filters: market, status, from/to (requested).
create function private.export_payouts_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select o.id, o.market_code as market, o.provider_id, %s as provider_name,
              o.amount_minor, o.debt_settled_minor, o.currency, o.rail, o.phone, o.status::text as status,
              %s as gateway_reference, %s as failure_reason, o.attempts,
              %s as requested_at, %s as completed_at
       from public.payouts o
       left join public.providers pr on pr.id = o.provider_id
       where true%s%s%s%s
       order by o.created_at, o.id$q$,
    private.csv_text_sql('pr.business_name'),
    private.csv_text_sql('o.gateway_reference'),
    private.csv_text_sql('o.failure_reason'),
    private.csv_time_sql('o.created_at'),
    private.csv_time_sql('o.completed_at'),
    private.export_condition(filters, 'market', 'o.market_code = %L'),
    private.export_condition(filters, 'status', 'o.status::text = %L'),
    private.export_condition(filters, 'from', $c$o.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$o.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_payouts_query(jsonb) to authenticated, service_role;

-- Reviews, with their visibility: pending (double-blind, not yet published), published,
-- or hidden by an admin (and why). Filters: market, status (pending|published|hidden),
-- author_role (customer|provider), from/to (written).
create function private.export_reviews_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select r.id, r.booking_id, b.market_code as market, r.author_id, r.author_role::text as author_role, r.subject_id,
              r.rating, %s as comment,
              case when r.hidden_at is not null then 'hidden'
                   when r.published_at is not null or r.publish_after <= now() then 'published'
                   else 'pending' end as status,
              %s as created_at, %s as published_at, %s as hidden_at, r.hidden_by, %s as hidden_reason
       from public.reviews r
       join public.bookings b on b.id = r.booking_id
       where true%s%s%s%s%s
       order by r.created_at, r.id$q$,
    private.csv_text_sql('r.comment'),
    private.csv_time_sql('r.created_at'),
    private.csv_time_sql('coalesce(r.published_at, case when r.publish_after <= now() then r.publish_after end)'),
    private.csv_time_sql('r.hidden_at'),
    private.csv_text_sql('r.hidden_reason'),
    private.export_condition(filters, 'market', 'b.market_code = %L'),
    private.export_condition(filters, 'status', $c$(case when r.hidden_at is not null then 'hidden'
         when r.published_at is not null or r.publish_after <= now() then 'published' else 'pending' end) = %L$c$),
    private.export_condition(filters, 'author_role', 'r.author_role::text = %L'),
    private.export_condition(filters, 'from', $c$r.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$r.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_reviews_query(jsonb) to authenticated, service_role;

-- Disputes: who opened them and why, the booking's price, the outcome and refund, and
-- how much evidence and conversation there is (not the files). Filters: market, status
-- (open|resolved), outcome, from/to (opened).
create function private.export_disputes_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select d.id, d.booking_id, b.market_code as market, d.opened_by, d.opener_role::text as opener_role,
              d.booking_status_before::text as booking_status_before, %s as reason,
              d.status::text as status, d.outcome::text as outcome, b.price_minor, d.refund_minor, b.currency_code as currency,
              %s as resolution_note, d.resolved_by, %s as opened_at, %s as resolved_at,
              (select count(*) from public.dispute_evidence e where e.dispute_id = d.id) as evidence_count,
              (select count(*) from public.dispute_comments c where c.dispute_id = d.id) as comment_count
       from public.disputes d
       join public.bookings b on b.id = d.booking_id
       where true%s%s%s%s%s
       order by d.created_at, d.id$q$,
    private.csv_text_sql('d.reason'),
    private.csv_text_sql('d.resolution_note'),
    private.csv_time_sql('d.created_at'),
    private.csv_time_sql('d.resolved_at'),
    private.export_condition(filters, 'market', 'b.market_code = %L'),
    private.export_condition(filters, 'status', 'd.status::text = %L'),
    private.export_condition(filters, 'outcome', 'd.outcome::text = %L'),
    private.export_condition(filters, 'from', $c$d.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$d.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_disputes_query(jsonb) to authenticated, service_role;

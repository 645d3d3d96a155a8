-- Exports: the datasets admins download as CSV (edge function admin-export).
--
-- Each dataset is a security-invoker function `public.export_<dataset>(filters jsonb)`,
-- so the caller's RLS decides what it returns; admin-export runs
-- `copy (select * from public.export_<dataset>(…)) to stdout with (format csv, header)`
-- as the calling admin and streams Postgres's own RFC 4180 output. Text a user typed
-- passes through private.csv_text, which defuses spreadsheet formulas. Later contexts
-- add their datasets (bookings, payments, ledger lines, …) in their own migrations.

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- A cell that starts with = + - @ (or a tab or carriage return) is a formula to
-- Excel, LibreOffice and Google Sheets; a leading apostrophe makes it plain text
-- (OWASP "CSV injection").
create function private.csv_text(value text)
returns text
immutable
parallel safe
security invoker
set search_path = ''
language sql
as $$
  select case when value ~ '^[=+\-@\t\r]' then '''' || value else value end;
$$;
grant execute on function private.csv_text(text) to authenticated, service_role;

-- Timestamps in exports: ISO 8601, UTC, whatever the session's time zone.
create function private.csv_time(value timestamptz)
returns text
immutable
parallel safe
security invoker
set search_path = ''
language sql
as $$
  select to_char(value at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
$$;
grant execute on function private.csv_time(timestamptz) to authenticated, service_role;

-- Validated export filters: market, from/to (inclusive dates, UTC) and status.
create function private.export_filter(filters jsonb, name text)
returns text
immutable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  value text := nullif(btrim(filters ->> name), '');
begin
  if value is null then
    return null;
  end if;
  if name in ('from', 'to') and value !~ '^\d{4}-\d{2}-\d{2}$' then
    perform private.raise_error('invalid_input', jsonb_build_object('field', name, 'expected', 'YYYY-MM-DD'));
  end if;
  return value;
end;
$$;
grant execute on function private.export_filter(jsonb, text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- API: datasets
-- ---------------------------------------------------------------------------

-- Users: profile, private account fields and roles. Filters: market, status
-- (active|suspended), role, from/to (sign-up date).
create function public.export_users(filters jsonb default '{}')
returns table (
  id uuid,
  market text,
  display_name text,
  phone text,
  locale text,
  status text,
  status_reason text,
  roles text,
  signed_up_at text
)
stable
security invoker
set search_path = ''
language sql
as $$
  select p.id,
         p.market_code,
         private.csv_text(p.display_name),
         a.phone,
         a.locale,
         a.status::text,
         private.csv_text(a.status_reason),
         array_to_string(array(select r.role::text from public.user_roles as r where r.user_id = p.id order by r.role), ';'),
         private.csv_time(p.created_at)
  from public.profiles as p
  join public.accounts as a on a.id = p.id
  where (private.export_filter(filters, 'market') is null or p.market_code = private.export_filter(filters, 'market'))
    and (private.export_filter(filters, 'status') is null or a.status::text = private.export_filter(filters, 'status'))
    and (private.export_filter(filters, 'role') is null
         or exists (select from public.user_roles as r where r.user_id = p.id and r.role::text = private.export_filter(filters, 'role')))
    and (private.export_filter(filters, 'from') is null or p.created_at >= private.export_filter(filters, 'from')::date)
    and (private.export_filter(filters, 'to') is null or p.created_at < private.export_filter(filters, 'to')::date + 1)
  order by p.created_at, p.id;
$$;
revoke execute on function public.export_users(jsonb) from public, anon;
grant execute on function public.export_users(jsonb) to authenticated, service_role;

-- Exports: the datasets admins download as CSV (edge function admin-export).
--
-- Each dataset is a function `private.export_<dataset>_query(filters jsonb)` that
-- returns the text of one SELECT: its columns, with the CSV rules below written into
-- it as plain expressions, and its filters as quoted literals (format %L). admin-export
-- runs `copy (<that select>) to stdout with (format csv, header)` in a read-only
-- transaction as the calling admin, so RLS decides what it returns, and streams
-- Postgres's own RFC 4180 output: as fast as COPY itself, with nothing materialised.
-- (A set-returning function would be: with `set search_path` it cannot be inlined.)
-- Later contexts add their datasets in their own migrations.

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- SQL for a text cell safe to open in a spreadsheet: one that starts with = + - @ (or
-- a tab or carriage return) is a formula to Excel, LibreOffice and Google Sheets; a
-- leading apostrophe makes it plain text (OWASP "CSV injection").
create function private.csv_text_sql(expression text)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select format($f$(case when left(%1$s, 1) in ('=', '+', '-', '@', E'\t', E'\r') then '''' || (%1$s) else (%1$s) end)$f$, expression);
$$;
grant execute on function private.csv_text_sql(text) to authenticated, service_role;

-- SQL for a timestamp cell: ISO 8601 in UTC, whatever the session's time zone.
create function private.csv_time_sql(expression text)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select format($f$(replace((((%s) at time zone 'UTC')::timestamp(0))::text, ' ', 'T') || 'Z')$f$, expression);
$$;
grant execute on function private.csv_time_sql(text) to authenticated, service_role;

-- A filter value, checked: null when absent; from/to must be YYYY-MM-DD dates.
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

-- `and <column> = <literal>` for a filter that is set, '' otherwise.
create function private.export_condition(filters jsonb, name text, condition text)
returns text
immutable
security invoker
set search_path = ''
language sql
as $$
  select case when private.export_filter(filters, name) is null then ''
              else ' and ' || format(condition, private.export_filter(filters, name)) end;
$$;
grant execute on function private.export_condition(jsonb, text, text) to authenticated, service_role;

-- The SELECT for a dataset, from its private.export_<dataset>_query function.
create function private.export_query(dataset text, filters jsonb)
returns text
stable
security invoker
set search_path = ''
language plpgsql
as $$
declare
  builder regprocedure;
  statement text;
begin
  if dataset !~ '^[a-z][a-z_]{1,40}$' then
    perform private.raise_error('invalid_input', jsonb_build_object('dataset', dataset));
  end if;
  builder := to_regprocedure(format('private.export_%s_query(jsonb)', dataset));
  if builder is null then
    perform private.raise_error('invalid_input', jsonb_build_object('dataset', dataset));
  end if;
  execute format('select %s($1)', builder::regproc) into statement using coalesce(filters, '{}'::jsonb);
  return statement;
end;
$$;
grant execute on function private.export_query(text, jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Datasets
-- ---------------------------------------------------------------------------

-- Users: profile, private account fields and roles. Filters: market, status
-- (active|suspended), role, from/to (sign-up date, UTC).
create function private.export_users_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select p.id, p.market_code as market, %s as display_name, a.phone, a.locale, a.status::text as status,
              %s as status_reason,
              array_to_string(array(select r.role::text from public.user_roles r where r.user_id = p.id order by r.role), ';') as roles,
              %s as signed_up_at
       from public.profiles p
       join public.accounts a on a.id = p.id
       where true%s%s%s%s%s
       order by p.created_at, p.id$q$,
    private.csv_text_sql('p.display_name'),
    private.csv_text_sql('a.status_reason'),
    private.csv_time_sql('p.created_at'),
    private.export_condition(filters, 'market', 'p.market_code = %L'),
    private.export_condition(filters, 'status', 'a.status::text = %L'),
    private.export_condition(filters, 'role', 'exists (select from public.user_roles r where r.user_id = p.id and r.role::text = %L)'),
    private.export_condition(filters, 'from', $c$p.created_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$p.created_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_users_query(jsonb) to authenticated, service_role;

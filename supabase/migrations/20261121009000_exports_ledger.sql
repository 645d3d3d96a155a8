-- Exports of the money context (see 20261121000300_exports.sql for how datasets work).

-- Ledger lines with their entry and account. Filters: currency, market (its currency),
-- kind (the entry's, e.g. 'payment.settled'), from/to (dates the entry occurred, UTC).
create function private.export_ledger_lines_query(filters jsonb)
returns text
stable
security invoker
set search_path = ''
language sql
as $$
  select format(
    $q$select l.id as line_id, l.entry_id, %s as occurred_at, e.kind as entry_kind, %s as memo,
              l.account_id, a.kind::text as account_kind, a.owner_id, %s as gateway, a.subject_id,
              l.currency, l.amount_minor
       from public.journal_lines l
       join public.journal_entries e on e.id = l.entry_id
       join public.ledger_accounts a on a.id = l.account_id
       where true%s%s%s%s%s
       order by l.id$q$,
    private.csv_time_sql('e.occurred_at'),
    private.csv_text_sql('e.memo'),
    private.csv_text_sql('a.gateway'),
    private.export_condition(filters, 'currency', 'l.currency = %L'),
    private.export_condition(filters, 'market', 'l.currency = (select m.currency_code from public.markets m where m.code = %L)'),
    private.export_condition(filters, 'kind', 'e.kind = %L'),
    private.export_condition(filters, 'from', $c$e.occurred_at >= (%L::date)::timestamp at time zone 'UTC'$c$),
    private.export_condition(filters, 'to', $c$e.occurred_at < (%L::date + 1)::timestamp at time zone 'UTC'$c$)
  );
$$;
grant execute on function private.export_ledger_lines_query(jsonb) to authenticated, service_role;

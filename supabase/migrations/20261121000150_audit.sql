-- Audit: an append-only record of every privileged action — who, what, when, why,
-- and the row before and after. Triggers write it, so no code path can forget; nobody,
-- admins and the service role included, can change or remove an entry.
--
-- Each context attaches `private.audit_row()` to the tables whose changes are
-- privileged; functions that act with a reason call `private.set_audit_reason(reason)`
-- first and the triggers pick it up.

create table public.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  -- auth.uid() of the request; null for the service role, migrations and jobs.
  actor_id uuid,
  -- The request's role (authenticated, service_role) or the database role otherwise.
  actor_role text not null,
  action text not null,
  table_name text not null,
  record_id text,
  reason text,
  old_data jsonb,
  new_data jsonb,
  constraint audit_action_is_dotted check (action ~ '^[a-z_]+\.[a-z_]+$'),
  constraint audit_has_a_row check (old_data is not null or new_data is not null)
);
create index audit_log_occurred_at on public.audit_log (occurred_at desc);
create index audit_log_actor_id on public.audit_log (actor_id, occurred_at desc);
create index audit_log_record on public.audit_log (table_name, record_id, occurred_at desc);

alter table public.audit_log enable row level security;
revoke all on table public.audit_log from anon, authenticated, service_role;
grant select on table public.audit_log to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- Entries are never rewritten or removed, by anyone.
create function private.refuse_audit_change()
returns trigger
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  perform private.raise_error('audit_log_immutable');
  return null;
end;
$$;

create trigger audit_log_is_append_only
  before update or delete on public.audit_log
  for each row execute function private.refuse_audit_change();
create trigger audit_log_cannot_be_truncated
  before truncate on public.audit_log
  for each statement execute function private.refuse_audit_change();

insert into private.error_catalogue (code, sqlstate, message) values
  ('audit_log_immutable', 'PT409', 'Audit entries can never be changed or removed.');

-- The reason a privileged function gives, for the audit rows its changes produce.
create function private.set_audit_reason(reason text)
returns void
volatile
security invoker
set search_path = ''
language sql
as $$
  select set_config('soko.audit_reason', coalesce(reason, ''), true);
$$;
grant execute on function private.set_audit_reason(text) to authenticated, service_role;

-- Trigger: appends one entry per changed row. TG_ARGV[0] names the action
-- ('role.granted'); without it the action is '<table>.<operation>'.
create function private.audit_row()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  claims jsonb := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
begin
  insert into public.audit_log (actor_id, actor_role, action, table_name, record_id, reason, old_data, new_data)
  values (
    auth.uid(),
    coalesce(claims ->> 'role', session_user::text),
    coalesce(tg_argv[0], tg_table_name || '.' || lower(tg_op)),
    tg_table_schema || '.' || tg_table_name,
    coalesce(new_row ->> 'id', old_row ->> 'id', new_row ->> 'user_id', old_row ->> 'user_id', new_row ->> 'code', old_row ->> 'code'),
    nullif(current_setting('soko.audit_reason', true), ''),
    old_row,
    new_row
  );
  return null;
end;
$$;
revoke execute on function private.audit_row() from public;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Admins read the audit trail.
create policy audit_log_select_admins on public.audit_log
  for select to authenticated
  using ((select private.has_role('admin')));

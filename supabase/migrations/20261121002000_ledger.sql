-- Ledger: double-entry bookkeeping in integer minor units. Every movement of money is
-- one journal entry whose lines sum to zero, in one currency; history is append-only
-- (a correction is a new entry); each account keeps its balance, which may not go
-- negative where that would mean money we do not have.
--
-- Sign convention: a line's amount is positive for a debit and negative for a credit.
-- An account's balance is kept on its normal side: debit-normal accounts (assets:
-- gateway clearing, commission receivable) grow with debits; credit-normal accounts
-- (what we owe: wallets, earnings, escrow, payouts in flight; and revenue) with credits.
--
-- Only SQL functions post entries (private.post_entry, called by the payment,
-- refund and payout functions); apps and admins read through RLS.

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------

create type public.ledger_account_kind as enum (
  'platform_revenue',       -- commission earned
  'gateway_clearing',       -- money a gateway holds for us, per gateway and currency
  'customer_wallet',        -- what we owe a customer
  'provider_earnings',      -- what we owe a provider or seller, available to withdraw
  'escrow',                 -- held for one booking or order until it completes
  'commission_receivable',  -- what a provider owes us (commission on cash jobs)
  'payout_clearing'         -- payouts sent to a provider, not yet confirmed
);

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table public.ledger_accounts (
  id bigint generated always as identity primary key,
  kind public.ledger_account_kind not null,
  currency text not null,
  -- The user the account belongs to (wallets, earnings, receivables).
  owner_id uuid references public.profiles (id) on delete restrict,
  -- The gateway, for gateway clearing accounts.
  gateway text,
  -- The booking or order, for escrow accounts.
  subject_id uuid,
  debit_normal boolean generated always as (kind in ('gateway_clearing', 'commission_receivable')) stored,
  allow_negative boolean generated always as (kind in ('platform_revenue', 'gateway_clearing')) stored,
  balance_minor bigint not null default 0,
  created_at timestamptz not null default now(),
  constraint ledger_account_currency_is_iso check (currency ~ '^[A-Z]{3}$'),
  constraint ledger_account_owner_matches_kind check (
    (owner_id is not null) = (kind in ('customer_wallet', 'provider_earnings', 'commission_receivable', 'payout_clearing'))),
  constraint ledger_account_gateway_matches_kind check ((gateway is not null) = (kind = 'gateway_clearing')),
  constraint ledger_account_subject_matches_kind check ((subject_id is not null) = (kind = 'escrow')),
  constraint ledger_account_balance_not_negative check (allow_negative or balance_minor >= 0),
  -- Lines reference (id, currency), so a line can only post in its account's currency.
  constraint ledger_accounts_id_currency_key unique (id, currency),
  constraint ledger_accounts_identity_key unique nulls not distinct (kind, currency, owner_id, gateway, subject_id)
);
create index ledger_accounts_owner_id on public.ledger_accounts (owner_id) where owner_id is not null;
create index ledger_accounts_subject_id on public.ledger_accounts (subject_id) where subject_id is not null;

alter table public.ledger_accounts enable row level security;
revoke all on table public.ledger_accounts from anon, authenticated, service_role;
grant select on table public.ledger_accounts to authenticated, service_role;

create table public.journal_entries (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  currency text not null,
  -- What happened, e.g. 'payment.settled', 'booking.completed', 'payout.failed'.
  kind text not null,
  -- Posting the same key twice returns the first entry: retries never double-count.
  idempotency_key text not null,
  memo text,
  -- What the entry is about: {"payment_id": …, "booking_id": …}.
  reference jsonb not null default '{}',
  -- auth.uid() of the request that caused it; null for webhooks and jobs.
  created_by uuid,
  constraint journal_entry_currency_is_iso check (currency ~ '^[A-Z]{3}$'),
  constraint journal_entry_kind_is_dotted check (kind ~ '^[a-z_]+\.[a-z_]+$'),
  constraint journal_entry_key_is_present check (length(idempotency_key) between 1 and 200),
  constraint journal_entries_idempotency_key_key unique (idempotency_key),
  constraint journal_entries_id_currency_key unique (id, currency)
);
create index journal_entries_occurred_at on public.journal_entries (occurred_at);
create index journal_entries_reference on public.journal_entries using gin (reference jsonb_path_ops);

alter table public.journal_entries enable row level security;
revoke all on table public.journal_entries from anon, authenticated, service_role;
grant select on table public.journal_entries to authenticated, service_role;

create table public.journal_lines (
  id bigint generated always as identity primary key,
  entry_id bigint not null,
  account_id bigint not null,
  currency text not null,
  amount_minor bigint not null,
  constraint journal_line_amount_not_zero check (amount_minor <> 0),
  constraint journal_lines_entry_fkey foreign key (entry_id, currency)
    references public.journal_entries (id, currency),
  constraint journal_lines_account_fkey foreign key (account_id, currency)
    references public.ledger_accounts (id, currency)
);
create index journal_lines_entry_id on public.journal_lines (entry_id, currency);
create index journal_lines_account_id on public.journal_lines (account_id, currency, id);

alter table public.journal_lines enable row level security;
revoke all on table public.journal_lines from anon, authenticated, service_role;
grant select on table public.journal_lines to authenticated, service_role;

insert into private.error_catalogue (code, sqlstate, message) values
  ('ledger_unbalanced', 'PT409', 'A journal entry must have at least two lines that sum to zero.'),
  ('ledger_append_only', 'PT409', 'Ledger history cannot be changed; post a correcting entry instead.'),
  ('insufficient_funds', 'PT409', 'The balance is too low for this.'),
  ('ledger_idempotency_conflict', 'PT409', 'This idempotency key was already used for a different entry.');

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

-- History is append-only, for everyone.
create function private.refuse_ledger_change()
returns trigger
volatile
security invoker
set search_path = ''
language plpgsql
as $$
begin
  perform private.raise_error('ledger_append_only');
  return null;
end;
$$;

create trigger journal_entries_append_only before update or delete on public.journal_entries
  for each row execute function private.refuse_ledger_change();
create trigger journal_entries_no_truncate before truncate on public.journal_entries
  for each statement execute function private.refuse_ledger_change();
create trigger journal_lines_append_only before update or delete on public.journal_lines
  for each row execute function private.refuse_ledger_change();
create trigger journal_lines_no_truncate before truncate on public.journal_lines
  for each statement execute function private.refuse_ledger_change();

-- Each line moves its account's balance at once; the row lock this takes serialises
-- concurrent postings to the same account. An overdraft is refused with a stable
-- error here; the table's check constraint stays as the backstop.
create function private.apply_journal_line()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  update public.ledger_accounts as a
  set balance_minor = a.balance_minor + case when a.debit_normal then new.amount_minor else -new.amount_minor end
  where a.id = new.account_id
    and (a.allow_negative
         or a.balance_minor + case when a.debit_normal then new.amount_minor else -new.amount_minor end >= 0);
  if not found then
    perform private.raise_error('insufficient_funds', jsonb_build_object('account_id', new.account_id));
  end if;
  return null;
end;
$$;

create trigger journal_lines_apply after insert on public.journal_lines
  for each row execute function private.apply_journal_line();

-- At commit, every entry touched must balance: two or more lines summing to zero.
-- Deferred, so an entry's lines can be inserted one by one within a transaction.
create function private.check_entry_balanced()
returns trigger
stable
security definer
set search_path = ''
language plpgsql
as $$
declare
  entry bigint;
  line_count bigint;
  total numeric;
begin
  if tg_table_name = 'journal_entries' then
    entry := new.id;
  else
    entry := new.entry_id;
  end if;
  select count(*), coalesce(sum(l.amount_minor), 0) into line_count, total
  from public.journal_lines as l where l.entry_id = entry;
  if line_count < 2 or total <> 0 then
    perform private.raise_error('ledger_unbalanced', jsonb_build_object('entry_id', entry, 'lines', line_count, 'sum', total));
  end if;
  return null;
end;
$$;

create constraint trigger journal_entries_balanced after insert on public.journal_entries
  deferrable initially deferred
  for each row execute function private.check_entry_balanced();
create constraint trigger journal_lines_balanced after insert on public.journal_lines
  deferrable initially deferred
  for each row execute function private.check_entry_balanced();

-- The account for (kind, currency, owner | gateway | subject), created on first use.
create function private.ledger_account(
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
  insert into public.ledger_accounts (kind, currency, owner_id, gateway, subject_id)
  values (kind, currency, owner_id, gateway, subject_id)
  on conflict on constraint ledger_accounts_identity_key do nothing
  returning id into found_id;
  if found_id is null then
    select a.id into found_id from public.ledger_accounts as a
    where a.kind = ledger_account.kind and a.currency = ledger_account.currency
      and a.owner_id is not distinct from ledger_account.owner_id
      and a.gateway is not distinct from ledger_account.gateway
      and a.subject_id is not distinct from ledger_account.subject_id;
  end if;
  return found_id;
end;
$$;
revoke execute on function private.ledger_account(public.ledger_account_kind, text, uuid, text, uuid) from public;

-- Posts one balanced entry. `lines` is [{"account_id": 1, "amount_minor": 500}, …]
-- (debits positive, credits negative). The same idempotency key returns the entry
-- already posted, provided it is the same entry; a different one is refused.
create function private.post_entry(
  kind text,
  currency text,
  lines jsonb,
  idempotency_key text,
  memo text default null,
  reference jsonb default '{}'
)
returns bigint
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  posted bigint;
  existing jsonb;
  wanted jsonb;
begin
  -- Same accounts and amounts, in a canonical order, for comparing with a replay.
  select jsonb_agg(jsonb_build_array((l ->> 'account_id')::bigint, (l ->> 'amount_minor')::bigint)
                   order by (l ->> 'account_id')::bigint, (l ->> 'amount_minor')::bigint)
  into wanted
  from jsonb_array_elements(lines) as l;

  insert into public.journal_entries (kind, currency, idempotency_key, memo, reference, created_by)
  values (kind, currency, idempotency_key, memo, coalesce(reference, '{}'), auth.uid())
  on conflict on constraint journal_entries_idempotency_key_key do nothing
  returning id into posted;

  if posted is null then
    select e.id into posted from public.journal_entries as e where e.idempotency_key = post_entry.idempotency_key;
    select jsonb_agg(jsonb_build_array(l.account_id, l.amount_minor) order by l.account_id, l.amount_minor)
    into existing
    from public.journal_lines as l where l.entry_id = posted;
    if existing is distinct from wanted then
      perform private.raise_error('ledger_idempotency_conflict', jsonb_build_object('idempotency_key', idempotency_key));
    end if;
    return posted;
  end if;

  -- Lines in account order: concurrent postings lock accounts in the same order.
  insert into public.journal_lines (entry_id, account_id, currency, amount_minor)
  select posted, (l ->> 'account_id')::bigint, post_entry.currency, (l ->> 'amount_minor')::bigint
  from jsonb_array_elements(lines) as l
  order by (l ->> 'account_id')::bigint;

  return posted;
end;
$$;
revoke execute on function private.post_entry(text, text, jsonb, text, text, jsonb) from public;

-- Accounts whose kept balance differs from the sum of their lines (should be none).
create function private.ledger_drift()
returns table (account_id bigint, kept bigint, computed bigint)
stable
security definer
set search_path = ''
language sql
as $$
  select a.id, a.balance_minor,
         coalesce(sum(case when a.debit_normal then l.amount_minor else -l.amount_minor end), 0)::bigint
  from public.ledger_accounts as a
  left join public.journal_lines as l on l.account_id = a.id
  group by a.id
  having a.balance_minor <> coalesce(sum(case when a.debit_normal then l.amount_minor else -l.amount_minor end), 0);
$$;
revoke execute on function private.ledger_drift() from public;
grant execute on function private.ledger_drift() to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Users see their own accounts (wallet, earnings, receivable); admins see all.
create policy ledger_accounts_select_owner_or_admin on public.ledger_accounts
  for select to authenticated
  using (owner_id = (select auth.uid()) or (select private.has_role('admin')));

-- Users see the lines on their own accounts; admins see all.
create policy journal_lines_select_owner_or_admin on public.journal_lines
  for select to authenticated
  using (
    (select private.has_role('admin'))
    or account_id in (select a.id from public.ledger_accounts as a where a.owner_id = (select auth.uid()))
  );

-- Users see entries that touch one of their accounts; admins see all.
create policy journal_entries_select_owner_or_admin on public.journal_entries
  for select to authenticated
  using (
    (select private.has_role('admin'))
    or exists (
      select from public.journal_lines as l
      where l.entry_id = journal_entries.id
        and l.account_id in (select a.id from public.ledger_accounts as a where a.owner_id = (select auth.uid()))
    )
  );

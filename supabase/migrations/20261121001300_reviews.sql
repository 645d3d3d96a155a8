-- Reviews: after a booking completes, the customer and the provider each review the
-- other once. Double-blind: a review stays hidden from the other side until both have
-- reviewed or the market's review window has ended. The provider's rating aggregate
-- (providers.rating_count, rating_sum) counts published, unhidden reviews by customers
-- and changes by one addition or subtraction per review change.

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

create table public.reviews (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  author_id uuid not null references public.profiles (id) on delete cascade,
  subject_id uuid not null references public.profiles (id) on delete cascade,
  -- The author's part in the booking: customers review providers and vice versa.
  author_role public.booking_actor not null,
  rating smallint not null,
  comment text,
  created_at timestamptz not null default now(),
  -- The end of the review window: published then at the latest.
  publish_after timestamptz not null,
  -- Set when both parties have reviewed, or by the publishing job after publish_after.
  published_at timestamptz,
  hidden_at timestamptz,
  hidden_by uuid references auth.users (id) on delete set null,
  hidden_reason text,
  constraint reviews_one_per_author unique (booking_id, author_id),
  constraint review_rating_in_range check (rating between 1 and 5),
  constraint review_comment_length check (comment is null or length(comment) between 1 and 2000),
  constraint review_author_is_a_party check (author_role in ('customer', 'provider')),
  constraint review_not_about_self check (author_id <> subject_id),
  constraint review_hiding_has_reason check (hidden_at is null or length(btrim(hidden_reason)) > 0)
);
create index reviews_subject_id on public.reviews (subject_id, created_at desc);
create index reviews_author_id on public.reviews (author_id);
create index reviews_hidden_by on public.reviews (hidden_by);
-- The publishing job's queue.
create index reviews_unpublished on public.reviews (publish_after) where published_at is null;

alter table public.reviews enable row level security;
revoke all on table public.reviews from anon, authenticated;
grant select on table public.reviews to anon, authenticated;
grant all on table public.reviews to service_role;

-- ---------------------------------------------------------------------------
-- Private helpers
-- ---------------------------------------------------------------------------

insert into private.error_catalogue (code, sqlstate, message) values
  ('invalid_rating', '22023', 'A rating is a whole number from 1 to 5.'),
  ('booking_not_completed', 'PT409', 'You can review a booking once it is completed.'),
  ('review_window_closed', 'PT409', 'The time to review this booking has passed.'),
  ('already_reviewed', 'PT409', 'You have already reviewed this booking.'),
  ('review_not_found', 'PT404', 'No such review.');

-- Whether a review counts in its subject's provider rating.
create function private.review_counts(author_role public.booking_actor, published_at timestamptz, hidden_at timestamptz)
returns boolean
immutable
security invoker
set search_path = ''
language sql
as $$ select author_role = 'customer' and published_at is not null and hidden_at is null; $$;

-- Keeps providers.rating_count and rating_sum exact: each insert, update or delete
-- adds or subtracts its own contribution; nothing rescans the reviews.
create function private.apply_review_to_rating()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  old_counts boolean := tg_op <> 'INSERT' and private.review_counts(old.author_role, old.published_at, old.hidden_at);
  new_counts boolean := tg_op <> 'DELETE' and private.review_counts(new.author_role, new.published_at, new.hidden_at);
begin
  if old_counts and new_counts and old.subject_id = new.subject_id then
    if old.rating <> new.rating then
      update public.providers as p set rating_sum = p.rating_sum - old.rating + new.rating where p.id = new.subject_id;
    end if;
    return null;
  end if;
  if old_counts then
    update public.providers as p
    set rating_count = p.rating_count - 1, rating_sum = p.rating_sum - old.rating
    where p.id = old.subject_id;
  end if;
  if new_counts then
    update public.providers as p
    set rating_count = p.rating_count + 1, rating_sum = p.rating_sum + new.rating
    where p.id = new.subject_id;
  end if;
  return null;
end;
$$;
revoke execute on function private.apply_review_to_rating() from public;

create trigger reviews_apply_to_rating
  after insert or update or delete on public.reviews
  for each row execute function private.apply_review_to_rating();

-- Publishes reviews whose window has ended. Run by pg_cron where installed, and lazily
-- on every review submission.
create function private.publish_due_reviews()
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  published integer;
begin
  update public.reviews as r
  set published_at = r.publish_after
  where r.published_at is null and r.publish_after <= now();
  get diagnostics published = row_count;
  return published;
end;
$$;
revoke execute on function private.publish_due_reviews() from public;
grant execute on function private.publish_due_reviews() to service_role;

-- ---------------------------------------------------------------------------
-- Policies
-- ---------------------------------------------------------------------------

-- Anyone sees published, unhidden reviews of providers.
create policy reviews_select_anon on public.reviews
  for select to anon
  using (
    author_role = 'customer' and hidden_at is null
    and (published_at is not null or publish_after <= (select now()))
  );

-- Signed-in users also see their own reviews at once, published reviews about them,
-- and (providers) published reviews of customers; admins see all.
create policy reviews_select_users on public.reviews
  for select to authenticated
  using (
    author_id = (select auth.uid())
    or (select private.has_role('admin'))
    or (
      hidden_at is null
      and (published_at is not null or publish_after <= (select now()))
      and (author_role = 'customer' or subject_id = (select auth.uid()) or (select private.has_role('provider')))
    )
  );

-- ---------------------------------------------------------------------------
-- API functions
-- ---------------------------------------------------------------------------

-- A party of a completed booking reviews the other party. See public.submit_review.
create function private.submit_review(booking_id uuid, rating integer, comment text default null)
returns public.reviews
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_active_user();
  booking public.bookings;
  settings public.service_settings;
  role public.booking_actor;
  result public.reviews;
begin
  select b.* into booking from public.bookings as b where b.id = booking_id for update;
  if not found or caller not in (booking.customer_id, booking.provider_id) then
    perform private.raise_error('booking_not_found', jsonb_build_object('booking_id', booking_id));
  end if;
  if rating is null or rating not between 1 and 5 then
    perform private.raise_error('invalid_rating', jsonb_build_object('rating', rating));
  end if;
  if comment is not null and length(comment) > 2000 then
    perform private.raise_error('invalid_input', jsonb_build_object('field', 'comment'));
  end if;
  if booking.completed_at is null then
    perform private.raise_error('booking_not_completed', jsonb_build_object('status', booking.status));
  end if;
  select s.* into settings from public.service_settings as s where s.market_code = booking.market_code;
  if now() > booking.completed_at + coalesce(settings.review_window, interval '7 days') then
    perform private.raise_error('review_window_closed');
  end if;
  role := case when caller = booking.customer_id then 'customer' else 'provider' end;

  begin
    insert into public.reviews as r (booking_id, author_id, subject_id, author_role, rating, comment, publish_after)
    values (
      booking.id, caller,
      case when role = 'customer' then booking.provider_id else booking.customer_id end,
      role, submit_review.rating, nullif(btrim(submit_review.comment), ''),
      booking.completed_at + coalesce(settings.review_window, interval '7 days')
    )
    returning r.* into result;
  exception when unique_violation then
    perform private.raise_error('already_reviewed');
  end;

  -- Both have reviewed: publish both now. (The booking row lock orders the two authors.)
  if exists (select from public.reviews as r where r.booking_id = booking.id and r.author_id <> caller) then
    update public.reviews as r
    set published_at = now()
    where r.booking_id = booking.id and r.published_at is null;
    select r.* into result from public.reviews as r where r.id = result.id;
  end if;
  perform private.publish_due_reviews();
  return result;
end;
$$;
revoke execute on function private.submit_review(uuid, integer, text) from public;
grant execute on function private.submit_review(uuid, integer, text) to authenticated, service_role;

-- Admins hide an abusive review (with a reason) or show it again.
create function private.set_review_hidden(review_id uuid, hidden boolean, reason text)
returns public.reviews
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  caller uuid := private.require_admin();
  result public.reviews;
begin
  if hidden and (reason is null or length(btrim(reason)) = 0) then
    perform private.raise_error('reason_required');
  end if;
  perform private.set_audit_reason(reason);
  update public.reviews as r
  set hidden_at = case when hidden then coalesce(r.hidden_at, now()) end,
      hidden_by = case when hidden then caller end,
      hidden_reason = case when hidden then btrim(reason) end
  where r.id = review_id
  returning r.* into result;
  if not found then
    perform private.raise_error('review_not_found', jsonb_build_object('review_id', review_id));
  end if;
  return result;
end;
$$;
revoke execute on function private.set_review_hidden(uuid, boolean, text) from public;
grant execute on function private.set_review_hidden(uuid, boolean, text) to authenticated, service_role;

-- API: after completion, the customer rates the provider or the provider the customer
-- (1 to 5, optional comment), once. Hidden from the other side until both have
-- reviewed or the review window ends.
create function public.submit_review(booking_id uuid, rating integer, comment text default null)
returns public.reviews
volatile
security invoker
set search_path = ''
language sql
as $$ select private.submit_review(booking_id, rating, comment); $$;
revoke execute on function public.submit_review(uuid, integer, text) from public, anon;
grant execute on function public.submit_review(uuid, integer, text) to authenticated, service_role;

-- API: admins hide an abusive review, with a reason; the rating aggregate follows.
create function public.hide_review(review_id uuid, reason text)
returns public.reviews
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_review_hidden(review_id, true, reason); $$;
revoke execute on function public.hide_review(uuid, text) from public, anon;
grant execute on function public.hide_review(uuid, text) to authenticated, service_role;

-- API: admins show a hidden review again.
create function public.unhide_review(review_id uuid)
returns public.reviews
volatile
security invoker
set search_path = ''
language sql
as $$ select private.set_review_hidden(review_id, false, null); $$;
revoke execute on function public.unhide_review(uuid) from public, anon;
grant execute on function public.unhide_review(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Jobs
-- ---------------------------------------------------------------------------

do $cron$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    execute $job$select cron.schedule('soko-publish-due-reviews', '*/5 * * * *',
                                      'select private.publish_due_reviews()')$job$;
  end if;
end
$cron$;

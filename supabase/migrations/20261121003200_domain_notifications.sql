-- Domain events become in-app notifications (and, through private.notify, push and SMS).
--
-- Bookings, disputes and reviews write their events into the booking_events outbox in
-- the transaction that makes them; private.send_booking_notices turns each event into
-- a notification for each party it concerns and marks it notified, in one
-- transaction, so every event notifies exactly once however often the sender runs or
-- however many run at once. pg_cron runs it every 10 seconds where it is installed;
-- payments-reconcile (every minute) runs it everywhere. Keeping private.notify out of
-- request_booking and the transitions keeps the hot booking path short and never
-- makes a booking wait on a user's notification counter.
--
-- Who is told what (the app renders template_key + params in the user's language):
--   booking.requested            → provider   booking.requested
--   booking.accepted / declined  → customer   booking.accepted / booking.declined
--   booking.expired              → customer   booking.expired
--   booking.in_progress          → customer   booking.started
--   booking.completed            → the other party than whoever completed it (both, when an admin did)
--   booking.cancelled_by_*       → the other party (both, for an admin)  booking.cancelled, critical when the customer is the one told
--   booking.rescheduled          → the other party (both, for an admin)  booking.rescheduled
--   booking.disputed             → the other party (both, for an admin)  dispute.opened
--   booking.resolved             → both parties                          dispute.resolved
--   review.received              → the reviewed party (no rating or text: reviews are double-blind)
-- Payments, payouts and chat notify through their own paths (payment_notices, send_message).

-- Notifying is one consumer of the outbox among others (Money may act on the same
-- events), so it keeps its own mark instead of processed_at.
alter table public.booking_events add column notified_at timestamptz;
create index booking_events_unnotified on public.booking_events (id) where notified_at is null;

-- A review on its booking's outbox, so it notifies like the booking's other events.
create function private.record_review_event()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  insert into public.booking_events (booking_id, event_type, payload)
  values (new.booking_id, 'review.received', jsonb_build_object(
    'booking_id', new.booking_id, 'review_id', new.id, 'author_id', new.author_id,
    'subject_id', new.subject_id, 'author_role', new.author_role));
  return null;
end;
$$;
revoke execute on function private.record_review_event() from public;

create trigger reviews_record_event after insert on public.reviews
  for each row execute function private.record_review_event();

-- The notifications one outbox event makes: recipient, template, params, critical.
-- Params name the booking, its start in the provider's time zone ('when'), the listing's
-- title, both parties' names, and what the event carries (reason, dispute, outcome).
create function private.booking_event_notices(event public.booking_events)
returns table (user_id uuid, template_key text, params jsonb, critical boolean)
stable
security definer
set search_path = ''
language sql
as $$
  with facts as (
    select b.customer_id, b.provider_id,
           e.actor,
           case
             when event.event_type = 'booking.requested' then 'booking.requested'
             when event.event_type in ('booking.accepted', 'booking.declined', 'booking.expired', 'booking.completed',
                                       'booking.rescheduled') then event.event_type
             when event.event_type = 'booking.in_progress' then 'booking.started'
             when event.event_type like 'booking.cancelled\_by\_%' then 'booking.cancelled'
             when event.event_type = 'booking.disputed' then 'dispute.opened'
             when event.event_type = 'booking.resolved' then 'dispute.resolved'
             when event.event_type = 'review.received' then 'review.received'
           end as template_key,
           -- Who is told: one party, the other party than the actor, or both.
           case
             when event.event_type = 'booking.requested' then 'provider'
             when event.event_type in ('booking.accepted', 'booking.declined', 'booking.expired', 'booking.in_progress') then 'customer'
             when event.event_type = 'booking.resolved' then 'both'
             when event.event_type = 'review.received' then 'subject'
             when e.actor = 'customer' then 'provider'
             when e.actor = 'provider' then 'customer'
             else 'both'
           end as told,
           jsonb_strip_nulls(jsonb_build_object(
             'booking_id', b.id,
             'listing_id', b.listing_id,
             'listing_title', coalesce(l.title ->> 'en', (select t.value from jsonb_each_text(l.title) as t order by t.key limit 1)),
             'starts_at', b.starts_at,
             -- Digits only, so it reads the same in every language: 07.12.2026 10:00.
             'when', to_char(b.starts_at at time zone b.time_zone, 'DD.MM.YYYY HH24:MI'),
             'customer_name', cp.display_name,
             'provider_name', p.business_name,
             'status', b.status,
             'actor', e.actor,
             'reason', event.payload ->> 'reason',
             'dispute_id', event.payload ->> 'dispute_id',
             'outcome', event.payload ->> 'outcome',
             'refund_minor', event.payload -> 'refund_minor',
             'currency_code', case when event.event_type = 'booking.resolved' then b.currency_code end,
             'review_id', event.payload ->> 'review_id',
             'author_role', event.payload ->> 'author_role'
           )) as params
    from public.bookings as b
    join public.service_listings as l on l.id = b.listing_id
    join public.providers as p on p.id = b.provider_id
    left join public.profiles as cp on cp.id = b.customer_id
    cross join lateral (select event.payload ->> 'actor' as actor) as e
    where b.id = event.booking_id
  )
  select r.user_id, f.template_key, f.params,
         -- A customer must not miss a cancelled job: SMS where push cannot reach them.
         f.template_key = 'booking.cancelled' and r.user_id = f.customer_id
  from facts as f
  cross join lateral (
    select f.customer_id where f.told in ('customer', 'both')
    union all
    select f.provider_id where f.told in ('provider', 'both')
    union all
    select (event.payload ->> 'subject_id')::uuid where f.told = 'subject'
  ) as r (user_id)
  where f.template_key is not null and r.user_id is not null;
$$;
revoke execute on function private.booking_event_notices(public.booking_events) from public;

-- Turns up to `batch_size` outbox events not yet notified into notifications, oldest first,
-- and marks them notified in the same transaction. Concurrent senders take disjoint
-- batches (skip locked) and notify in user order, so they never deadlock on a user's
-- counters. Returns how many events it processed.
create function private.send_booking_notices(batch_size integer default 500)
returns integer
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  events public.booking_events[];
  notice record;
begin
  with taken as (
    update public.booking_events as e
    set notified_at = now()
    where e.id in (
      select x.id from public.booking_events as x
      where x.notified_at is null
      order by x.id
      limit greatest(1, least(coalesce(batch_size, 500), 10000))
      for update skip locked)
    returning e.*
  )
  select coalesce(array_agg(t order by t.id), '{}') into events from taken as t;
  for notice in
    select n.user_id, n.template_key, n.params, n.critical
    from generate_subscripts(events, 1) as i
    cross join lateral private.booking_event_notices(events[i]) as n
    where private.recipient_present(n.user_id)
    order by n.user_id, i
  loop
    perform private.notify(notice.user_id, notice.template_key, notice.params, null, notice.critical);
  end loop;
  return cardinality(events);
end;
$$;
revoke execute on function private.send_booking_notices(integer) from public;
grant execute on function private.send_booking_notices(integer) to service_role;

-- Live status on the users' own Realtime topics: when a booking or a payment changes
-- status, its parties' open apps hear it at once on user:<id> ('booking_status',
-- 'payment_status'), without waiting for the notification. A new request reaches the
-- provider as its notification: request_booking is the hot write (P1), so it gets no
-- trigger.
create function private.broadcast_booking_status()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
declare
  payload jsonb := jsonb_build_object(
    'booking_id', new.id, 'status', new.status, 'from_status', old.status,
    'starts_at', new.starts_at, 'ends_at', new.ends_at, 'changed_at', new.status_changed_at);
begin
  perform private.broadcast_to_user(new.customer_id, 'booking_status', payload);
  perform private.broadcast_to_user(new.provider_id, 'booking_status', payload);
  return null;
end;
$$;
revoke execute on function private.broadcast_booking_status() from public;

create trigger bookings_broadcast_status after update of status on public.bookings
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_booking_status();

create function private.broadcast_payment_status()
returns trigger
volatile
security definer
set search_path = ''
language plpgsql
as $$
begin
  perform private.broadcast_to_user(new.payer_id, 'payment_status', jsonb_build_object(
    'payment_id', new.id, 'booking_id', new.booking_id, 'status', new.status, 'from_status', old.status,
    'amount_minor', new.amount_minor, 'currency', new.currency));
  return null;
end;
$$;
revoke execute on function private.broadcast_payment_status() from public;

create trigger payments_broadcast_status after update of status on public.payments
  for each row when (old.status is distinct from new.status)
  execute function private.broadcast_payment_status();

-- Push and SMS texts: English, and the Uzbek market's languages (markets add theirs).
insert into private.notification_templates (template_key, locale, title, body, sms_body) values
  ('booking.requested', 'en', 'New booking request', '{listing_title} on {when}. Accept or decline it in the app.', null),
  ('booking.accepted', 'en', 'Booking confirmed', '{provider_name} accepted {listing_title} on {when}.', null),
  ('booking.declined', 'en', 'Booking declined', '{provider_name} cannot take {listing_title} on {when}.', null),
  ('booking.expired', 'en', 'Request expired', '{provider_name} did not answer your request for {when} in time.', null),
  ('booking.started', 'en', 'Job started', '{provider_name} started {listing_title}.', null),
  ('booking.completed', 'en', 'Job completed', '{listing_title} on {when} is done. How did it go?', null),
  ('booking.cancelled', 'en', 'Booking cancelled', '{listing_title} on {when} was cancelled.',
   '{app_name}: your booking for {when} was cancelled.'),
  ('booking.rescheduled', 'en', 'Booking moved', '{listing_title} now starts {when}.', null),
  ('dispute.opened', 'en', 'Dispute opened', 'A dispute was opened about {listing_title} on {when}.', null),
  ('dispute.resolved', 'en', 'Dispute resolved', 'The dispute about {listing_title} on {when} is resolved.', null),
  ('review.received', 'en', 'New review', 'You have a new review for {listing_title}. Leave yours to see it.', null),
  -- Uzbek (Latin and Cyrillic) and Russian, for the Uzbek services market.
  ('booking.requested', 'uz-Latn', 'Yangi buyurtma soʻrovi', '{listing_title}, {when}. Ilovada qabul qiling yoki rad eting.', null),
  ('booking.accepted', 'uz-Latn', 'Buyurtma tasdiqlandi', '{provider_name} {when} uchun {listing_title} buyurtmasini qabul qildi.', null),
  ('booking.declined', 'uz-Latn', 'Buyurtma rad etildi', '{provider_name} {when} uchun {listing_title} buyurtmasini qabul qila olmaydi.', null),
  ('booking.expired', 'uz-Latn', 'Soʻrov muddati tugadi', '{provider_name} {when} uchun soʻrovingizga oʻz vaqtida javob bermadi.', null),
  ('booking.started', 'uz-Latn', 'Ish boshlandi', '{provider_name} {listing_title} ishini boshladi.', null),
  ('booking.completed', 'uz-Latn', 'Ish yakunlandi', '{when} dagi {listing_title} bajarildi. Qanday oʻtdi?', null),
  ('booking.cancelled', 'uz-Latn', 'Buyurtma bekor qilindi', '{when} dagi {listing_title} bekor qilindi.', '{app_name}: {when} dagi buyurtmangiz bekor qilindi.'),
  ('booking.rescheduled', 'uz-Latn', 'Buyurtma vaqti oʻzgardi', '{listing_title} endi {when} da boshlanadi.', null),
  ('dispute.opened', 'uz-Latn', 'Nizo ochildi', '{when} dagi {listing_title} boʻyicha nizo ochildi.', null),
  ('dispute.resolved', 'uz-Latn', 'Nizo hal qilindi', '{when} dagi {listing_title} boʻyicha nizo hal qilindi.', null),
  ('review.received', 'uz-Latn', 'Yangi sharh', '{listing_title} uchun yangi sharh bor. Uni koʻrish uchun oʻzingiznikini qoldiring.', null),
  ('booking.requested', 'uz-Cyrl', 'Янги буюртма сўрови', '{listing_title}, {when}. Иловада қабул қилинг ёки рад этинг.', null),
  ('booking.accepted', 'uz-Cyrl', 'Буюртма тасдиқланди', '{provider_name} {when} учун {listing_title} буюртмасини қабул қилди.', null),
  ('booking.declined', 'uz-Cyrl', 'Буюртма рад этилди', '{provider_name} {when} учун {listing_title} буюртмасини қабул қила олмайди.', null),
  ('booking.expired', 'uz-Cyrl', 'Сўров муддати тугади', '{provider_name} {when} учун сўровингизга ўз вақтида жавоб бермади.', null),
  ('booking.started', 'uz-Cyrl', 'Иш бошланди', '{provider_name} {listing_title} ишини бошлади.', null),
  ('booking.completed', 'uz-Cyrl', 'Иш якунланди', '{when} даги {listing_title} бажарилди. Қандай ўтди?', null),
  ('booking.cancelled', 'uz-Cyrl', 'Буюртма бекор қилинди', '{when} даги {listing_title} бекор қилинди.', '{app_name}: {when} даги буюртмангиз бекор қилинди.'),
  ('booking.rescheduled', 'uz-Cyrl', 'Буюртма вақти ўзгарди', '{listing_title} энди {when} да бошланади.', null),
  ('dispute.opened', 'uz-Cyrl', 'Низо очилди', '{when} даги {listing_title} бўйича низо очилди.', null),
  ('dispute.resolved', 'uz-Cyrl', 'Низо ҳал қилинди', '{when} даги {listing_title} бўйича низо ҳал қилинди.', null),
  ('review.received', 'uz-Cyrl', 'Янги шарҳ', '{listing_title} учун янги шарҳ бор. Уни кўриш учун ўзингизникини қолдиринг.', null),
  ('booking.requested', 'ru', 'Новая заявка', '{listing_title}, {when}. Примите или отклоните её в приложении.', null),
  ('booking.accepted', 'ru', 'Заказ подтверждён', '{provider_name} принял заказ «{listing_title}» на {when}.', null),
  ('booking.declined', 'ru', 'Заказ отклонён', '{provider_name} не может выполнить «{listing_title}» {when}.', null),
  ('booking.expired', 'ru', 'Заявка истекла', '{provider_name} не ответил вовремя на заявку на {when}.', null),
  ('booking.started', 'ru', 'Работа начата', '{provider_name} приступил к «{listing_title}».', null),
  ('booking.completed', 'ru', 'Работа выполнена', '«{listing_title}» ({when}) выполнено. Как всё прошло?', null),
  ('booking.cancelled', 'ru', 'Заказ отменён', '«{listing_title}» на {when} отменён.', '{app_name}: ваш заказ на {when} отменён.'),
  ('booking.rescheduled', 'ru', 'Заказ перенесён', '«{listing_title}» теперь начинается {when}.', null),
  ('dispute.opened', 'ru', 'Открыт спор', 'Открыт спор по «{listing_title}» ({when}).', null),
  ('dispute.resolved', 'ru', 'Спор решён', 'Спор по «{listing_title}» ({when}) решён.', null),
  ('review.received', 'ru', 'Новый отзыв', 'У вас новый отзыв о «{listing_title}». Оставьте свой, чтобы его увидеть.', null)
on conflict on constraint notification_templates_pkey do nothing;

-- The payment, payout and chat texts of the earlier migrations in the markets' other
-- languages: Arabic (Egypt), Bengali (Bangladesh), Uzbek and Russian (Uzbekistan).
insert into private.notification_templates (template_key, locale, title, body) values
  ('payment.succeeded', 'ar', 'تم استلام الدفع', 'استلمنا دفعتك بقيمة {amount}.'),
  ('payment.failed', 'ar', 'فشل الدفع', 'لم تتم دفعتك بقيمة {amount}.'),
  ('payment.refunded', 'ar', 'تم رد المبلغ', 'رددنا إليك {amount}.'),
  ('payment.received', 'ar', 'تم دفع الطلب', 'دفع عميلك {amount}. يُحتجز المبلغ حتى إتمام العمل.'),
  ('earnings.released', 'ar', 'أرباح متاحة', 'أصبح {amount} متاحًا للسحب.'),
  ('payout.sent', 'ar', 'تم التحويل', 'أرسلنا {amount} إلى محفظتك.'),
  ('payout.failed', 'ar', 'فشل التحويل', 'تعذّر إرسال {amount}؛ أعيد المبلغ إلى رصيدك.'),
  ('chat.message', 'ar', 'رسالة جديدة', '{sender_name}: {preview}'),
  ('payment.succeeded', 'bn', 'পেমেন্ট পাওয়া গেছে', 'আপনার {amount} পেমেন্ট আমরা পেয়েছি।'),
  ('payment.failed', 'bn', 'পেমেন্ট ব্যর্থ', 'আপনার {amount} পেমেন্ট সম্পন্ন হয়নি।'),
  ('payment.refunded', 'bn', 'টাকা ফেরত', 'আমরা আপনাকে {amount} ফেরত দিয়েছি।'),
  ('payment.received', 'bn', 'বুকিংয়ের টাকা পরিশোধিত', 'আপনার গ্রাহক {amount} পরিশোধ করেছেন। কাজ শেষ হওয়া পর্যন্ত এটি জমা থাকবে।'),
  ('earnings.released', 'bn', 'আয় উত্তোলনযোগ্য', '{amount} এখন উত্তোলন করা যাবে।'),
  ('payout.sent', 'bn', 'টাকা পাঠানো হয়েছে', '{amount} আপনার মোবাইল ওয়ালেটে পাঠানো হয়েছে।'),
  ('payout.failed', 'bn', 'টাকা পাঠানো যায়নি', '{amount} পাঠানো যায়নি; টাকা আপনার ব্যালেন্সে ফেরত এসেছে।'),
  ('chat.message', 'bn', 'নতুন বার্তা', '{sender_name}: {preview}'),
  ('payment.succeeded', 'uz-Latn', 'Toʻlov qabul qilindi', '{amount} miqdoridagi toʻlovingiz qabul qilindi.'),
  ('payment.failed', 'uz-Latn', 'Toʻlov amalga oshmadi', '{amount} miqdoridagi toʻlovingiz oʻtmadi.'),
  ('payment.refunded', 'uz-Latn', 'Pul qaytarildi', 'Sizga {amount} qaytarildi.'),
  ('payment.received', 'uz-Latn', 'Buyurtma toʻlandi', 'Mijozingiz {amount} toʻladi. Ish bajarilguncha ushlab turiladi.'),
  ('earnings.released', 'uz-Latn', 'Daromad mavjud', '{amount} endi yechib olish uchun mavjud.'),
  ('payout.sent', 'uz-Latn', 'Pul yuborildi', '{amount} hamyoningizga yuborildi.'),
  ('payout.failed', 'uz-Latn', 'Pul yuborilmadi', '{amount} yuborilmadi; u balansingizga qaytdi.'),
  ('chat.message', 'uz-Latn', 'Yangi xabar', '{sender_name}: {preview}'),
  ('payment.succeeded', 'uz-Cyrl', 'Тўлов қабул қилинди', '{amount} миқдоридаги тўловингиз қабул қилинди.'),
  ('payment.failed', 'uz-Cyrl', 'Тўлов амалга ошмади', '{amount} миқдоридаги тўловингиз ўтмади.'),
  ('payment.refunded', 'uz-Cyrl', 'Пул қайтарилди', 'Сизга {amount} қайтарилди.'),
  ('payment.received', 'uz-Cyrl', 'Буюртма тўланди', 'Мижозингиз {amount} тўлади. Иш бажарилгунча ушлаб турилади.'),
  ('earnings.released', 'uz-Cyrl', 'Даромад мавжуд', '{amount} энди ечиб олиш учун мавжуд.'),
  ('payout.sent', 'uz-Cyrl', 'Пул юборилди', '{amount} ҳамёнингизга юборилди.'),
  ('payout.failed', 'uz-Cyrl', 'Пул юборилмади', '{amount} юборилмади; у балансингизга қайтди.'),
  ('chat.message', 'uz-Cyrl', 'Янги хабар', '{sender_name}: {preview}'),
  ('payment.succeeded', 'ru', 'Оплата получена', 'Мы получили вашу оплату {amount}.'),
  ('payment.failed', 'ru', 'Оплата не прошла', 'Ваша оплата {amount} не прошла.'),
  ('payment.refunded', 'ru', 'Возврат', 'Мы вернули вам {amount}.'),
  ('payment.received', 'ru', 'Заказ оплачен', 'Клиент оплатил {amount}. Сумма удерживается до выполнения работы.'),
  ('earnings.released', 'ru', 'Доход доступен', '{amount} теперь можно вывести.'),
  ('payout.sent', 'ru', 'Выплата отправлена', '{amount} отправлено на ваш кошелёк.'),
  ('payout.failed', 'ru', 'Выплата не прошла', 'Не удалось отправить {amount}; сумма возвращена на баланс.'),
  ('chat.message', 'ru', 'Новое сообщение', '{sender_name}: {preview}')
on conflict on constraint notification_templates_pkey do nothing;

-- With pg_cron, pending events are sent every 10 seconds; without it, payments-reconcile
-- sends them every minute.
do $cron$
begin
  if exists (select from pg_extension where extname = 'pg_cron') then
    execute $job$select cron.schedule('soko-send-booking-notices', '10 seconds',
                                      'select private.send_booking_notices(5000)')$job$;
  end if;
end
$cron$;

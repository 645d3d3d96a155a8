-- Demo data for local development (`npm run dev`, `supabase start`, `supabase db reset`).
-- Never applied to production by `db push` unless asked. Demo phones sign in with the
-- test OTP 123456 configured in config.toml ([auth.sms.test_otp]).

-- ---------------------------------------------------------------------------
-- Markets
-- ---------------------------------------------------------------------------
insert into public.markets
  (code, name, country_code, currency_code, currency_minor_units, phone_country_code,
   default_locale, locales, time_zone, modules, payment_gateways, sms_provider, role_labels, is_default)
values
  ('gh', 'HandyGH', 'GH', 'GHS', 2, '233', 'en', '{en}', 'Africa/Accra',
   '{services}', '{mtn_momo,paystack,fake}', 'hubtel',
   '{"customer": "client", "provider": "worker"}', true),
  ('uz', 'Xizmat', 'UZ', 'UZS', 2, '998', 'uz-Latn', '{uz-Latn,uz-Cyrl,ru,en}', 'Asia/Tashkent',
   '{services}', '{payme,click,fake}', 'eskiz',
   '{"customer": "mijoz", "provider": "usta"}', false),
  ('eg', 'Souq Handmade', 'EG', 'EGP', 2, '20', 'ar', '{ar,en}', 'Africa/Cairo',
   '{goods}', '{paymob,fake}', 'vonage',
   '{"customer": "buyer", "seller": "artist"}', false),
  ('bd', 'Nagorik Seba', 'BD', 'BDT', 2, '880', 'bn', '{bn,en}', 'Asia/Dhaka',
   '{city}', '{bkash,nagad,fake}', 'ssl_wireless',
   '{"customer": "citizen", "staff": "city staff"}', false)
on conflict (code) do nothing;

-- ---------------------------------------------------------------------------
-- Demo accounts, written the way GoTrue writes a confirmed phone user. The trigger
-- on auth.users gives each a profile, an account and the customer role.
-- ---------------------------------------------------------------------------
create temporary table demo_users (
  id uuid, phone text, market text, display_name text, locale text, roles public.app_role[]
);

insert into demo_users values
  ('5a1e0000-0000-4000-8000-000000000001', '233200000001', 'gh', 'Ama Mensah',      'en',      '{customer}'),
  ('5a1e0000-0000-4000-8000-000000000002', '233200000002', 'gh', 'Kwame Boateng',   'en',      '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000003', '233200000003', 'gh', 'Yaw Owusu',       'en',      '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000004', '233200000004', 'gh', 'Efua Asante',     'en',      '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000009', '233200000009', 'gh', 'Soko Admin',      'en',      '{customer,admin}'),
  ('5a1e0000-0000-4000-8000-000000000011', '998900000001', 'uz', 'Dilnoza Karimova', 'uz-Latn', '{customer}'),
  ('5a1e0000-0000-4000-8000-000000000012', '998900000002', 'uz', 'Bobur Usmonov',   'uz-Latn', '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000013', '998900000003', 'uz', 'Malika Rahimova', 'uz-Latn', '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000014', '998900000004', 'uz', 'Jasur Tursunov',  'uz-Cyrl', '{customer,provider}'),
  ('5a1e0000-0000-4000-8000-000000000021', '201000000001', 'eg', 'Mona Hassan',     'ar',      '{customer}'),
  ('5a1e0000-0000-4000-8000-000000000022', '201000000002', 'eg', 'Karim Atelier',   'ar',      '{customer,seller}'),
  ('5a1e0000-0000-4000-8000-000000000023', '201000000003', 'eg', 'Khan Store',      'ar',      '{customer,seller}'),
  ('5a1e0000-0000-4000-8000-000000000031', '8801700000001', 'bd', 'Rahim Uddin',    'bn',      '{customer}'),
  ('5a1e0000-0000-4000-8000-000000000032', '8801700000002', 'bd', 'Nasrin Akter',   'bn',      '{customer,staff}');

insert into auth.users (
  instance_id, id, aud, role, phone, phone_confirmed_at, raw_app_meta_data, raw_user_meta_data,
  created_at, updated_at, last_sign_in_at, confirmation_token, recovery_token,
  email_change_token_new, email_change, email_change_token_current, phone_change,
  phone_change_token, reauthentication_token, is_sso_user, is_anonymous
)
select
  '00000000-0000-0000-0000-000000000000', d.id, 'authenticated', 'authenticated', d.phone, now(),
  '{"provider": "phone", "providers": ["phone"]}'::jsonb,
  jsonb_build_object('market', d.market, 'display_name', d.display_name, 'locale', d.locale),
  now(), now(), null, '', '', '', '', '', '', '', '', false, false
from demo_users as d
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select d.id::text, d.id,
       jsonb_build_object('sub', d.id::text, 'phone', d.phone, 'phone_verified', true, 'email_verified', false),
       'phone', null, now(), now()
from demo_users as d
on conflict do nothing;

insert into public.user_roles (user_id, role)
select d.id, r.role
from demo_users as d cross join lateral unnest(d.roles) as r (role)
on conflict do nothing;

drop table demo_users;

-- ===========================================================================
-- Services (issue #3): settings and refund tiers for the services markets (gh, uz),
-- the category tree, verified demo providers with listings and weekly hours, so
-- search and booking work out of the box.
-- ===========================================================================

insert into public.service_settings (market_code, requires_verified_providers, request_ttl, booking_horizon, slot_step)
values
  ('gh', true,  interval '24 hours', interval '90 days', interval '30 minutes'),
  ('uz', false, interval '12 hours', interval '60 days', interval '30 minutes')
on conflict (market_code) do nothing;

insert into public.cancellation_refund_tiers (market_code, min_notice, refund_percent)
values
  ('gh', interval '48 hours', 100), ('gh', interval '24 hours', 50), ('gh', interval '0', 0),
  ('uz', interval '48 hours', 100), ('uz', interval '24 hours', 50), ('uz', interval '0', 0)
on conflict on constraint cancellation_refund_tiers_pkey do nothing;

insert into public.service_categories (id, parent_id, slug, icon, position, name)
values
  ('ca7e0000-0000-4000-8000-000000000001', null, 'home-repair', 'home_repair_service', 1,
   '{"en": "Home repair", "bn": "ঘর মেরামত", "ar": "إصلاحات المنزل", "uz-Latn": "Uy taʼmiri", "uz-Cyrl": "Уй таъмири", "ru": "Ремонт дома"}'),
  ('ca7e0000-0000-4000-8000-000000000002', null, 'cleaning', 'cleaning_services', 2,
   '{"en": "Cleaning", "bn": "পরিষ্কার-পরিচ্ছন্নতা", "ar": "التنظيف", "uz-Latn": "Tozalash", "uz-Cyrl": "Тозалаш", "ru": "Уборка"}'),
  ('ca7e0000-0000-4000-8000-000000000003', null, 'beauty', 'spa', 3,
   '{"en": "Beauty", "bn": "রূপচর্চা", "ar": "التجميل", "uz-Latn": "Goʻzallik", "uz-Cyrl": "Гўзаллик", "ru": "Красота"}')
on conflict (id) do nothing;

insert into public.service_categories (id, parent_id, slug, icon, position, name)
values
  ('ca7e0000-0000-4000-8000-000000000011', 'ca7e0000-0000-4000-8000-000000000001', 'plumbing', 'plumbing', 1,
   '{"en": "Plumbing", "bn": "প্লাম্বিং", "ar": "السباكة", "uz-Latn": "Santexnika", "uz-Cyrl": "Сантехника", "ru": "Сантехника"}'),
  ('ca7e0000-0000-4000-8000-000000000012', 'ca7e0000-0000-4000-8000-000000000001', 'electrical', 'electrical_services', 2,
   '{"en": "Electrical", "bn": "বিদ্যুতের কাজ", "ar": "الكهرباء", "uz-Latn": "Elektr ishlari", "uz-Cyrl": "Электр ишлари", "ru": "Электрика"}'),
  ('ca7e0000-0000-4000-8000-000000000013', 'ca7e0000-0000-4000-8000-000000000001', 'carpentry', 'carpenter', 3,
   '{"en": "Carpentry", "bn": "কাঠমিস্ত্রির কাজ", "ar": "النجارة", "uz-Latn": "Duradgorlik", "uz-Cyrl": "Дурадгорлик", "ru": "Столярные работы"}'),
  ('ca7e0000-0000-4000-8000-000000000021', 'ca7e0000-0000-4000-8000-000000000002', 'home-cleaning', 'mop', 1,
   '{"en": "Home cleaning", "bn": "বাসা পরিষ্কার", "ar": "تنظيف المنازل", "uz-Latn": "Uy tozalash", "uz-Cyrl": "Уй тозалаш", "ru": "Уборка квартир"}'),
  ('ca7e0000-0000-4000-8000-000000000022', 'ca7e0000-0000-4000-8000-000000000002', 'laundry', 'local_laundry_service', 2,
   '{"en": "Laundry", "bn": "লন্ড্রি", "ar": "غسيل الملابس", "uz-Latn": "Kir yuvish", "uz-Cyrl": "Кир ювиш", "ru": "Стирка"}'),
  ('ca7e0000-0000-4000-8000-000000000031', 'ca7e0000-0000-4000-8000-000000000003', 'hair', 'content_cut', 1,
   '{"en": "Hair", "bn": "চুলের যত্ন", "ar": "تصفيف الشعر", "uz-Latn": "Sartaroshlik", "uz-Cyrl": "Сартарошлик", "ru": "Парикмахер"}')
on conflict (id) do nothing;

-- The demo providers of seed's first part: Kwame, Yaw and Efua in Accra; Bobur, Malika
-- and Jasur in Tashkent.
-- Verified, as an admin would have approved them.
insert into public.providers
  (id, market_code, business_name, bio, skills, certifications, years_experience, service_radius_m, time_zone,
   verification_status, verified_at)
values
  ('5a1e0000-0000-4000-8000-000000000002', 'gh', 'Boateng Plumbing',
   '{"en": "Leaks, blocked drains and new fittings across Accra."}',
   '{plumbing,"drain cleaning","pipe fitting"}', '{"CTVET Plumbing Level 2"}', 9, 15000, 'Africa/Accra', 'verified', now()),
  ('5a1e0000-0000-4000-8000-000000000003', 'gh', 'Owusu Electricals',
   '{"en": "Licensed electrician: wiring, sockets, inspections."}',
   '{electrical,wiring,inspection}', '{"Energy Commission Class A"}', 12, 20000, 'Africa/Accra', 'verified', now()),
  ('5a1e0000-0000-4000-8000-000000000012', 'uz', 'Usmonov Usta',
   '{"uz-Latn": "Santexnika va elektr ishlari, Toshkent boʻylab.", "uz-Cyrl": "Сантехника ва электр ишлари, Тошкент бўйлаб.", "ru": "Сантехника и электрика по всему Ташкенту."}',
   '{santexnika,elektr}', '{}', 15, 25000, 'Asia/Tashkent', 'verified', now()),
  ('5a1e0000-0000-4000-8000-000000000004', 'gh', 'Asante Home Care',
   '{"en": "Deep cleaning and laundry for homes and offices, Accra and Tema."}',
   '{cleaning,laundry,ironing}', '{}', 6, 18000, 'Africa/Accra', 'verified', now()),
  ('5a1e0000-0000-4000-8000-000000000013', 'uz', 'Malika Tozalash',
   '{"uz-Latn": "Uy va ofislarni tozalash, kir yuvish.", "uz-Cyrl": "Уй ва офисларни тозалаш, кир ювиш.", "ru": "Уборка квартир и офисов, стирка."}',
   '{tozalash,"kir yuvish"}', '{}', 4, 20000, 'Asia/Tashkent', 'verified', now()),
  ('5a1e0000-0000-4000-8000-000000000014', 'uz', 'Tursunov Elektr',
   '{"uz-Latn": "Elektr montaj va taʼmir, Chilonzor va Sergeli.", "uz-Cyrl": "Электр монтаж ва таъмир, Чилонзор ва Сергели.", "ru": "Электромонтаж и ремонт, Чиланзар и Сергели."}',
   '{elektr,montaj}', '{"Elektr montajchi, 4-toifa"}', 11, 15000, 'Asia/Tashkent', 'verified', now())
on conflict (id) do nothing;

insert into public.provider_locations (provider_id, lat, lng)
values
  ('5a1e0000-0000-4000-8000-000000000002', 5.5560, -0.1969),   -- Osu, Accra
  ('5a1e0000-0000-4000-8000-000000000003', 5.6360, -0.1610),   -- East Legon, Accra
  ('5a1e0000-0000-4000-8000-000000000012', 41.3111, 69.2797),  -- Yunusobod, Tashkent
  ('5a1e0000-0000-4000-8000-000000000004', 5.6698, -0.0166),   -- Tema
  ('5a1e0000-0000-4000-8000-000000000013', 41.2995, 69.2401),  -- Mirobod, Tashkent
  ('5a1e0000-0000-4000-8000-000000000014', 41.2756, 69.2034)   -- Chilonzor, Tashkent
on conflict (provider_id) do nothing;

insert into public.provider_verifications
  (provider_id, status, document_paths, submitted_at, decided_at, decided_by)
select p.id, 'approved', array[p.id::text || '/national-id.pdf'], now() - interval '30 days', now() - interval '29 days',
       '5a1e0000-0000-4000-8000-000000000009'
from public.providers as p
where p.id in ('5a1e0000-0000-4000-8000-000000000002', '5a1e0000-0000-4000-8000-000000000003',
               '5a1e0000-0000-4000-8000-000000000004', '5a1e0000-0000-4000-8000-000000000012',
               '5a1e0000-0000-4000-8000-000000000013', '5a1e0000-0000-4000-8000-000000000014')
  and not exists (select from public.provider_verifications as v where v.provider_id = p.id);

insert into public.service_listings
  (id, provider_id, category_id, title, description, price_minor, pricing_unit, duration_minutes,
   buffer_before_minutes, buffer_after_minutes, min_notice_minutes, coverage_radius_m)
values
  ('11570000-0000-4000-8000-000000000001', '5a1e0000-0000-4000-8000-000000000002', 'ca7e0000-0000-4000-8000-000000000011',
   '{"en": "Leak repair"}', '{"en": "Find and fix a leaking tap, pipe or toilet. Parts extra."}',
   15000, 'fixed', 60, 15, 15, 120, null),
  ('11570000-0000-4000-8000-000000000002', '5a1e0000-0000-4000-8000-000000000002', 'ca7e0000-0000-4000-8000-000000000011',
   '{"en": "Plumber by the hour"}', '{"en": "Any plumbing job, billed per hour."}',
   8000, 'hourly', 120, 15, 15, 240, 10000),
  ('11570000-0000-4000-8000-000000000003', '5a1e0000-0000-4000-8000-000000000003', 'ca7e0000-0000-4000-8000-000000000012',
   '{"en": "Socket and switch installation"}', '{"en": "Install or replace up to three sockets or switches."}',
   10000, 'fixed', 45, 15, 15, 120, null),
  ('11570000-0000-4000-8000-000000000004', '5a1e0000-0000-4000-8000-000000000003', 'ca7e0000-0000-4000-8000-000000000012',
   '{"en": "House wiring inspection"}', '{"en": "Safety check of the whole installation, with a written report."}',
   20000, 'per_visit', 120, 30, 30, 1440, null),
  ('11570000-0000-4000-8000-000000000011', '5a1e0000-0000-4000-8000-000000000012', 'ca7e0000-0000-4000-8000-000000000011',
   '{"uz-Latn": "Santexnika taʼmiri", "uz-Cyrl": "Сантехника таъмири", "ru": "Ремонт сантехники", "en": "Plumbing repair"}',
   '{"uz-Latn": "Joʻmrak, quvur va unitaz taʼmiri.", "uz-Cyrl": "Жўмрак, қувур ва унитаз таъмири.", "ru": "Ремонт кранов, труб и унитазов."}',
   15000000, 'fixed', 60, 15, 15, 120, null),
  ('11570000-0000-4000-8000-000000000012', '5a1e0000-0000-4000-8000-000000000012', 'ca7e0000-0000-4000-8000-000000000012',
   '{"uz-Latn": "Elektr montaj", "uz-Cyrl": "Электр монтаж", "ru": "Электромонтаж", "en": "Electrical installation"}',
   '{"uz-Latn": "Rozetka, chiroq va simlarni oʻrnatish.", "uz-Cyrl": "Розетка, чироқ ва симларни ўрнатиш.", "ru": "Установка розеток, светильников и проводки."}',
   12000000, 'hourly', 60, 15, 15, 120, null),
  ('11570000-0000-4000-8000-000000000013', '5a1e0000-0000-4000-8000-000000000012', 'ca7e0000-0000-4000-8000-000000000013',
   '{"uz-Latn": "Mebel yigʻish", "uz-Cyrl": "Мебел йиғиш", "ru": "Сборка мебели", "en": "Furniture assembly"}',
   '{}', 20000000, 'per_visit', 90, 0, 30, 180, 15000),
  ('11570000-0000-4000-8000-000000000005', '5a1e0000-0000-4000-8000-000000000004', 'ca7e0000-0000-4000-8000-000000000021',
   '{"en": "Home deep clean"}', '{"en": "Kitchen, bathrooms and living areas, products included."}',
   25000, 'per_visit', 180, 0, 30, 720, null),
  ('11570000-0000-4000-8000-000000000006', '5a1e0000-0000-4000-8000-000000000004', 'ca7e0000-0000-4000-8000-000000000022',
   '{"en": "Laundry and ironing"}', '{"en": "Collected, washed, ironed and returned the same day."}',
   6000, 'hourly', 60, 0, 15, 240, 12000),
  ('11570000-0000-4000-8000-000000000014', '5a1e0000-0000-4000-8000-000000000013', 'ca7e0000-0000-4000-8000-000000000021',
   '{"uz-Latn": "Uyni tozalash", "uz-Cyrl": "Уйни тозалаш", "ru": "Уборка квартиры", "en": "Home cleaning"}',
   '{"uz-Latn": "Oshxona, hammom va xonalar.", "uz-Cyrl": "Ошхона, ҳаммом ва хоналар.", "ru": "Кухня, ванная и комнаты."}',
   30000000, 'per_visit', 180, 0, 30, 720, null),
  ('11570000-0000-4000-8000-000000000015', '5a1e0000-0000-4000-8000-000000000013', 'ca7e0000-0000-4000-8000-000000000022',
   '{"uz-Latn": "Kir yuvish va dazmollash", "uz-Cyrl": "Кир ювиш ва дазмоллаш", "ru": "Стирка и глажка", "en": "Laundry and ironing"}',
   '{}', 8000000, 'hourly', 60, 0, 15, 240, null),
  ('11570000-0000-4000-8000-000000000016', '5a1e0000-0000-4000-8000-000000000014', 'ca7e0000-0000-4000-8000-000000000012',
   '{"uz-Latn": "Rozetka va chiroq oʻrnatish", "uz-Cyrl": "Розетка ва чироқ ўрнатиш", "ru": "Установка розеток и светильников", "en": "Sockets and lights"}',
   '{"uz-Latn": "Uchtagacha rozetka yoki chiroq.", "uz-Cyrl": "Учтагача розетка ёки чироқ.", "ru": "До трёх розеток или светильников."}',
   10000000, 'fixed', 45, 15, 15, 120, null)
on conflict (id) do nothing;

-- Monday to Saturday 08:00–18:00 local time; Kwame also on Sunday afternoons.
insert into public.availability_rules (provider_id, weekday, start_time, end_time)
select p.id, d.weekday, time '08:00', time '18:00'
from unnest(array['5a1e0000-0000-4000-8000-000000000002', '5a1e0000-0000-4000-8000-000000000003',
                  '5a1e0000-0000-4000-8000-000000000004', '5a1e0000-0000-4000-8000-000000000012',
                  '5a1e0000-0000-4000-8000-000000000013', '5a1e0000-0000-4000-8000-000000000014']::uuid[]) as p (id)
cross join generate_series(1, 6) as d (weekday)
where not exists (select from public.availability_rules as r where r.provider_id = p.id)
union all
select '5a1e0000-0000-4000-8000-000000000002', 7, time '12:00', time '16:00'
where not exists (select from public.availability_rules as r
                  where r.provider_id = '5a1e0000-0000-4000-8000-000000000002');

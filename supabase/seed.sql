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
  ('5a1e0000-0000-4000-8000-000000000009', '233200000009', 'gh', 'Soko Admin',      'en',      '{customer,admin}'),
  ('5a1e0000-0000-4000-8000-000000000011', '998900000001', 'uz', 'Dilnoza Karimova', 'uz-Latn', '{customer}'),
  ('5a1e0000-0000-4000-8000-000000000012', '998900000002', 'uz', 'Bobur Usmonov',   'uz-Latn', '{customer,provider}'),
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
